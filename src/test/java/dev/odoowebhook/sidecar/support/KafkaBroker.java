// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A real Apache Kafka broker for tests: one KRaft node that is broker and controller at once, on
 * free ports of 127.0.0.1, its log in a temporary directory, run as a child JVM from the test class
 * path (kafka_2.13 is a test dependency: no Docker, no download at test time). {@link #restart}
 * stops it cleanly and starts it again on the same ports and data; {@link #close} stops it and
 * removes the directory. Auto-creation of topics is off: tests create theirs.
 */
public final class KafkaBroker implements AutoCloseable {
  private static final Duration START_WAIT = Duration.ofSeconds(90);

  private final Path dir;

  /** JVM options of the broker: quick to start for tests, or as Kafka runs for a benchmark. */
  private final List<String> jvm;

  private final int port;
  private final int saslPort;
  private final int controllerPort;

  /** The one user of the SASL/PLAIN listener, and its password. */
  public static final String SASL_USER = "svc";

  public static final String SASL_PASSWORD = "s3cret-pw";
  private Process process;

  private KafkaBroker(List<String> jvm) throws IOException {
    this.jvm = jvm;
    dir = Files.createTempDirectory("webhook-kafka-");
    port = freePort();
    saslPort = freePort();
    controllerPort = freePort();
    Files.writeString(
        dir.resolve("server.properties"),
        String.join(
            "\n",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
            "listeners=PLAINTEXT://127.0.0.1:"
                + port
                + ",SASL_PLAINTEXT://127.0.0.1:"
                + saslPort
                + ",CONTROLLER://127.0.0.1:"
                + controllerPort,
            "advertised.listeners=PLAINTEXT://127.0.0.1:"
                + port
                + ",SASL_PLAINTEXT://127.0.0.1:"
                + saslPort,
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
            // A second listener that requires a login, for the credentials test.
            "sasl.enabled.mechanisms=PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config="
                + "org.apache.kafka.common.security.plain.PlainLoginModule required user_"
                + SASL_USER
                + "=\""
                + SASL_PASSWORD
                + "\";",
            "log.dirs=" + dir.resolve("data"),
            "num.partitions=3",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            ""),
        StandardCharsets.UTF_8);
  }

  /** Formats a fresh log directory and starts the broker; waits until it answers. */
  public static KafkaBroker start() {
    // Small and quick to start: one broker with a handful of test topics.
    return start(List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
  }

  /** A broker with the JVM settings of Kafka's own start script (G1, full JIT), for measuring. */
  public static KafkaBroker startForBenchmark() {
    return start(List.of("-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"));
  }

  private static KafkaBroker start(List<String> jvm) {
    try {
      KafkaBroker k = new KafkaBroker(jvm);
      k.format();
      k.launch();
      return k;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot start a Kafka broker: " + e.getMessage(), e);
    }
  }

  /** host:port for bootstrap.servers. */
  public String bootstrap() {
    return "127.0.0.1:" + port;
  }

  /** host:port of the listener that requires SASL/PLAIN as {@link #SASL_USER}. */
  public String saslBootstrap() {
    return "127.0.0.1:" + saslPort;
  }

  /** Stops the broker (a clean shutdown) and starts it again on the same ports and data. */
  public void restart() {
    stop();
    try {
      launch();
    } catch (IOException e) {
      throw new IllegalStateException("Cannot restart the Kafka broker: " + e.getMessage(), e);
    }
  }

  /** Stops the broker and waits for its process to end. */
  public void stop() {
    if (process == null) {
      return;
    }
    process.destroy(); // SIGTERM: a controlled shutdown
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    process = null;
  }

  public void createTopic(String name, int partitions) {
    try (Admin admin = admin()) {
      admin
          .createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Cannot create topic " + name + ": " + e, e);
    }
  }

  public void deleteTopic(String name) {
    try (Admin admin = admin()) {
      admin.deleteTopics(Set.of(name)).all().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Cannot delete topic " + name + ": " + e, e);
    }
  }

  /** Everything in the topic now, from the start, every partition, in each partition's order. */
  public List<ConsumerRecord<String, byte[]>> readAll(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
              .map(info -> new TopicPartition(topic, info.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
      Instant deadline = Instant.now().plusSeconds(30);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("Reading " + topic + " took more than 30 s");
        }
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      return records;
    }
  }

  private Admin admin() {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            5000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            30000));
  }

  private void format() throws IOException {
    Process f =
        java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                dir.resolve("server.properties").toString())
            .redirectOutput(dir.resolve("format.log").toFile())
            .start();
    try {
      if (!f.waitFor(60, TimeUnit.SECONDS) || f.exitValue() != 0) {
        f.destroyForcibly();
        throw new IOException("formatting the log directory failed: " + tail("format.log"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.destroyForcibly();
      throw new IOException("interrupted", e);
    }
  }

  private void launch() throws IOException {
    process =
        java("kafka.Kafka", dir.resolve("server.properties").toString())
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("kafka.log").toFile()))
            .start();
    Instant deadline = Instant.now().plus(START_WAIT);
    awaitPort(deadline); // before any client: a client's retries against a closed port only log
    try (Admin admin = admin()) {
      while (true) {
        if (!process.isAlive()) {
          throw new IOException(
              "the broker exited (" + process.exitValue() + "): " + tail("kafka.log"));
        }
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          return;
        } catch (ExecutionException | java.util.concurrent.TimeoutException notYet) {
          if (Instant.now().isAfter(deadline)) {
            stop();
            throw new IOException(
                "the broker did not answer within "
                    + START_WAIT.toSeconds()
                    + " s: "
                    + tail("kafka.log"));
          }
          Thread.sleep(200);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private void awaitPort(Instant deadline) throws IOException {
    while (true) {
      try (java.net.Socket s = new java.net.Socket()) {
        s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException notYet) {
        if (!process.isAlive()) {
          throw new IOException(
              "the broker exited (" + process.exitValue() + "): " + tail("kafka.log"));
        }
        if (Instant.now().isAfter(deadline)) {
          stop();
          throw new IOException(
              "the broker did not open port "
                  + port
                  + " within "
                  + START_WAIT.toSeconds()
                  + " s: "
                  + tail("kafka.log"));
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  private ProcessBuilder java(String mainClass, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvm);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
  }

  private String tail(String log) {
    try {
      List<String> lines = Files.readAllLines(dir.resolve(log));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    } catch (IOException e) {
      // A leftover temporary directory is harmless; say where it is.
      System.err.println("Could not remove " + dir + ": " + e.getMessage());
    }
  }
}
