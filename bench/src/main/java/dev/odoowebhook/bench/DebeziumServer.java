// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The closest real peer: Debezium Server (the distribution from Maven Central,
 * io.debezium:debezium-server-dist, fetched and unpacked with {@code mvn -Pdebezium-server}), as
 * its own process, with its PostgreSQL source (pgoutput, no snapshot) and its HTTP sink signing
 * with Standard Webhooks, posting to the harness's receiver. Needs Java 21 or later (its classes
 * are built for 21): {@code --peer-java} or {@code PEER_JAVA}, else the newest JDK ≥ 21 installed
 * beside the one running the harness. Every started process is stopped by {@link #stopAll()}.
 */
final class DebeziumServer implements AutoCloseable {
  private static final Set<DebeziumServer> LIVE = ConcurrentHashMap.newKeySet();

  /** Where the distribution and a Java for it are; or why the peer cannot run. */
  record Setup(Path dist, Path java, String version, String missing) {
    boolean available() {
      return missing == null;
    }

    static Setup notMeasured(String why) {
      return new Setup(null, null, null, why);
    }

    /**
     * The distribution: {@code distOption} if given; else, with {@code fetch}, the tar.gz from the
     * local Maven repository ({@code mvn dependency:get} brings it from Maven Central when absent),
     * unpacked once under {@code bench/target}; else none (not measured).
     */
    static Setup find(
        Path benchDir, String distOption, boolean fetch, String javaOption, String version)
        throws IOException, InterruptedException {
      Path dist;
      if (distOption != null) {
        dist = Path.of(distOption);
      } else if (fetch) {
        dist = fetchAndUnpack(benchDir.resolve("target/debezium-server-dist"), version);
      } else {
        return new Setup(
            null,
            null,
            version,
            "(Debezium Server not set up: run the harness with"
                + " `mvn -Pdebezium-server ...`: it fetches io.debezium:debezium-server-dist:"
                + version
                + ":tar.gz, about 700 MB, from Maven Central)");
      }
      if (!Files.isDirectory(dist.resolve("lib"))) {
        return new Setup(
            dist, null, version, "(no Debezium Server distribution in " + dist.getFileName() + ")");
      }
      Optional<Path> java = javaOption != null ? Optional.of(Path.of(javaOption)) : newestJdk21();
      if (java.isEmpty() || !Files.isExecutable(java.get())) {
        return new Setup(
            dist,
            null,
            version,
            "(no Java 21 or later for Debezium Server: --peer-java or PEER_JAVA)");
      }
      return new Setup(dist, java.get(), version, null);
    }

    private static Path fetchAndUnpack(Path target, String version)
        throws IOException, InterruptedException {
      Path dist = target.resolve("debezium-server");
      Path marker = target.resolve(".unpacked-" + version);
      if (Files.exists(marker) && Files.isDirectory(dist.resolve("lib"))) {
        return dist;
      }
      String repo =
          System.getProperty(
              "bench.m2", Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
      Path tarball =
          Path.of(
              repo,
              "io",
              "debezium",
              "debezium-server-dist",
              version,
              "debezium-server-dist-" + version + ".tar.gz");
      if (!Files.isRegularFile(tarball)) {
        String mavenHome = System.getProperty("maven.home");
        String mvn = mavenHome == null ? "mvn" : Path.of(mavenHome, "bin", "mvn").toString();
        Progress.say(
            "Debezium Server: fetching io.debezium:debezium-server-dist:%s:tar.gz (about 700 MB)",
            version);
        run(
            List.of(
                mvn,
                "-q",
                "-B",
                "dependency:get",
                "-Dtransitive=false",
                "-Dartifact=io.debezium:debezium-server-dist:" + version + ":tar.gz"),
            1_800);
      }
      Progress.say("Debezium Server: unpacking %s", tarball.getFileName());
      TempCluster.deleteTree(target);
      Files.createDirectories(target);
      run(List.of("tar", "-xzf", tarball.toString(), "-C", target.toString()), 600);
      Files.writeString(marker, version);
      return dist;
    }

    private static void run(List<String> cmd, int timeoutSeconds)
        throws IOException, InterruptedException {
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(
            String.join(" ", cmd.subList(0, 2))
                + " did not finish within "
                + timeoutSeconds
                + " s");
      }
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + ")");
      }
    }

    /** The newest JDK of version 21 or later in the folder that holds the running one. */
    private static Optional<Path> newestJdk21() {
      Path home = Path.of(System.getProperty("java.home"));
      Path parent = home.getParent();
      if (parent == null) {
        return Optional.empty();
      }
      try (Stream<Path> jdks = Files.list(parent)) {
        return jdks.filter(d -> Files.isExecutable(d.resolve("bin/java")) && major(d) >= 21)
            .max(Comparator.comparingInt(Setup::major))
            .map(d -> d.resolve("bin/java"));
      } catch (IOException e) {
        return Optional.empty();
      }
    }

    private static int major(Path jdk) {
      try {
        for (String line : Files.readAllLines(jdk.resolve("release"))) {
          if (line.startsWith("JAVA_VERSION=")) {
            String v = line.substring(line.indexOf('"') + 1);
            return Integer.parseInt(v.split("[.\"]")[0]);
          }
        }
      } catch (IOException | RuntimeException e) {
        // not a JDK with a release file
      }
      return 0;
    }
  }

  final Process process;
  final Path log;
  private final String slot;
  private final TempCluster pg;
  private final String db;

  /**
   * Starts it on one database, posting every res_partner change to {@code url}, signed with {@code
   * secret}; {@code retries} attempts {@code retryIntervalMs} apart before it gives up.
   */
  DebeziumServer(
      Setup setup,
      Path workDir,
      TempCluster pg,
      String db,
      String slot,
      String url,
      String secret,
      int pollIntervalMs,
      int retries,
      int retryIntervalMs)
      throws IOException {
    this.pg = pg;
    this.db = db;
    this.slot = slot;
    Path dir = Files.createDirectories(workDir.resolve("debezium-server-" + slot));
    Path config = Files.createDirectories(dir.resolve("config"));
    Properties p = new Properties();
    p.setProperty("debezium.sink.type", "http");
    p.setProperty("debezium.sink.http.url", url);
    p.setProperty("debezium.sink.http.timeout.ms", "10000");
    p.setProperty("debezium.sink.http.retries", Integer.toString(retries));
    p.setProperty("debezium.sink.http.retry.interval.ms", Integer.toString(retryIntervalMs));
    p.setProperty("debezium.sink.http.authentication.type", "standard-webhooks");
    p.setProperty("debezium.sink.http.authentication.webhook.secret", secret);
    p.setProperty("debezium.format.value", "json");
    p.setProperty("debezium.format.value.schemas.enable", "false");
    p.setProperty("debezium.format.key.schemas.enable", "false");
    p.setProperty(
        "debezium.source.connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.setProperty(
        "debezium.source.offset.storage.file.filename", dir.resolve("offsets.dat").toString());
    p.setProperty("debezium.source.offset.flush.interval.ms", "0");
    p.setProperty("debezium.source.database.hostname", "127.0.0.1");
    p.setProperty("debezium.source.database.port", Integer.toString(pg.port));
    p.setProperty("debezium.source.database.user", "postgres");
    p.setProperty("debezium.source.database.password", "unused-trust-auth");
    p.setProperty("debezium.source.database.dbname", db);
    p.setProperty("debezium.source.topic.prefix", "bench");
    p.setProperty("debezium.source.table.include.list", "public.res_partner");
    p.setProperty("debezium.source.plugin.name", "pgoutput");
    p.setProperty("debezium.source.slot.name", slot);
    // Kept when it stops (as in production: the slot holds what it has not sent yet); the
    // harness drops it in close().
    p.setProperty("debezium.source.slot.drop.on.stop", "false");
    p.setProperty("debezium.source.publication.name", "pub_" + slot);
    p.setProperty("debezium.source.publication.autocreate.mode", "filtered");
    p.setProperty("debezium.source.snapshot.mode", "no_data");
    p.setProperty("debezium.source.poll.interval.ms", Integer.toString(pollIntervalMs));
    p.setProperty("quarkus.http.host", "127.0.0.1");
    p.setProperty("quarkus.http.port", "0");
    p.setProperty("quarkus.log.level", "INFO");
    p.setProperty("quarkus.log.console.json", "false");
    try (var out = Files.newBufferedWriter(config.resolve("application.properties"))) {
      p.store(out, "written by the benchmark harness");
    }
    Path d = setup.dist();
    String runner;
    try (Stream<Path> files = Files.list(d)) {
      runner =
          files
              .map(Path::toString)
              .filter(f -> f.endsWith("-runner.jar"))
              .findFirst()
              .orElseThrow(() -> new IOException("no *-runner.jar in " + d));
    }
    List<String> cmd =
        new ArrayList<>(
            List.of(
                setup.java().toString(),
                "-Xmx1g",
                "-cp",
                runner + ":" + d.resolve("config/lib") + ":" + d.resolve("lib") + "/*",
                "io.debezium.server.Main"));
    log = dir.resolve("debezium-server.log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    process = pb.start();
    LIVE.add(this);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** Lines of its log that contain a word (e.g. "Exceeded maximum number of attempts"). */
  List<String> logLines(String word) {
    try {
      return Files.readAllLines(log).stream().filter(l -> l.contains(word)).toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  @Override
  public String toString() {
    return "Debezium Server (pid "
        + pid()
        + (isAlive() ? ", running" : ", exited " + process.exitValue())
        + "); its log ends with:\n"
        + tail();
  }

  /** SIGTERM, SIGKILL after 30 s; then drops its replication slot and publication. */
  @Override
  public void close() {
    LIVE.remove(this);
    try {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    // The slot stays active for a moment after the process is gone; drop it once it is not.
    try (Connection c = pg.connect(db);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(pg_drop_replication_slot(slot_name))"
                    + " FROM pg_replication_slots WHERE slot_name = ? AND NOT active");
        PreparedStatement left =
            c.prepareStatement("SELECT count(*) FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      left.setString(1, slot);
      Bench.waitFor(
          10_000,
          () -> {
            ps.execute();
            try (var rs = left.executeQuery()) {
              rs.next();
              return rs.getLong(1) == 0;
            }
          });
    } catch (Exception e) {
      Progress.say("could not drop replication slot %s: %s", slot, e);
    }
  }

  static void stopAll() {
    for (DebeziumServer s : List.copyOf(LIVE)) {
      s.close();
    }
  }
}
