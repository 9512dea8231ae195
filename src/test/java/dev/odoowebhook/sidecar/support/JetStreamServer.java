// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A NATS server with JetStream for tests. {@link #shared()} is the one that runs on these machines
 * and in CI, at 127.0.0.1:4222 (or WEBHOOK_TEST_NATS, host:port): absent, or without JetStream, the
 * tests FAIL with a line saying how to start one; they never skip. Tests create and delete their
 * own streams on it. {@link #startOwn()} starts a private nats-server (from the PATH) on a free
 * port with its store in a temporary directory, for tests that restart it.
 */
public final class JetStreamServer implements AutoCloseable {
  private static final String SHARED =
      System.getenv().getOrDefault("WEBHOOK_TEST_NATS", "127.0.0.1:4222");

  private final String hostPort;
  private final Path storeDir;

  /** user and password the server requires (a private one started with them), or null. */
  private final String user;

  private final String password;
  private Process process;
  private Connection connection;

  private JetStreamServer(String hostPort, Path storeDir, String user, String password) {
    this.hostPort = hostPort;
    this.storeDir = storeDir;
    this.user = user;
    this.password = password;
  }

  /** The shared server; fails the test when it is not there or has no JetStream. */
  public static JetStreamServer shared() {
    JetStreamServer s = new JetStreamServer(SHARED, null, null, null);
    s.connectOrFail(
        "Start one with `nats-server -a 127.0.0.1 -p 4222 -js`, or set WEBHOOK_TEST_NATS"
            + " to host:port of a server with JetStream.");
    return s;
  }

  /** Whether a nats-server binary is on the PATH, for {@link #startOwn()}. */
  public static boolean binaryOnPath() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, "nats-server"))) {
        return true;
      }
    }
    return false;
  }

  /** A private nats-server with JetStream (file storage), started from the PATH. */
  public static JetStreamServer startOwn() {
    return startOwn(null, null);
  }

  /** A private nats-server that requires this user and password of every client. */
  public static JetStreamServer startOwn(String user, String password) {
    try {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      JetStreamServer s =
          new JetStreamServer(
              "127.0.0.1:" + port, Files.createTempDirectory("webhook-nats-"), user, password);
      s.launch();
      return s;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot start nats-server: " + e.getMessage(), e);
    }
  }

  /** Stops a private server (SIGTERM) and starts it again on the same port and store. */
  public void restart() {
    stopOwn();
    try {
      launch();
    } catch (IOException e) {
      throw new IllegalStateException("Cannot restart nats-server: " + e.getMessage(), e);
    }
  }

  /** Stops a private server; its store stays for {@link #restart}. */
  public void stopOwn() {
    closeConnection();
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  private void launch() throws IOException {
    String[] hp = hostPort.split(":");
    List<String> command =
        new ArrayList<>(
            List.of("nats-server", "-a", hp[0], "-p", hp[1], "-js", "-sd", storeDir.toString()));
    if (user != null) {
      command.addAll(List.of("--user", user, "--pass", password));
    }
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(storeDir.resolve("nats.log").toFile()))
            .start();
    Instant deadline = Instant.now().plusSeconds(30);
    while (true) {
      try {
        connectOrFail("");
        return;
      } catch (IllegalStateException notYet) {
        if (!process.isAlive() || Instant.now().isAfter(deadline)) {
          throw new IOException("nats-server did not start: " + notYet.getMessage());
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

  private void connectOrFail(String fix) {
    try {
      Options.Builder options =
          new Options.Builder()
              .server("nats://" + hostPort)
              .connectionTimeout(Duration.ofSeconds(2))
              .maxReconnects(0)
              .errorListener(
                  new io.nats.client.ErrorListener() {}); // failures are thrown, not logged
      if (user != null) {
        options.userInfo(user, password);
      }
      connection = Nats.connect(options.build());
    } catch (IOException e) {
      throw new IllegalStateException(
          "No NATS server at " + hostPort + " (" + e.getMessage() + "). " + fix, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    try {
      connection.jetStreamManagement().getAccountStatistics();
    } catch (IOException | JetStreamApiException e) {
      closeConnection();
      throw new IllegalStateException(
          "The NATS server at "
              + hostPort
              + " has no JetStream ("
              + e.getMessage()
              + "): run it with -js. "
              + fix,
          e);
    }
  }

  /** host:port, for nats://host:port/prefix URLs. */
  public String hostPort() {
    return hostPort;
  }

  /** Creates (or replaces) a stream over these subjects, 2-minute duplicate window. */
  public void createStream(String name, StorageType storage, String... subjects) {
    deleteStream(name);
    try {
      jsm()
          .addStream(
              StreamConfiguration.builder()
                  .name(name)
                  .subjects(subjects)
                  .storageType(storage)
                  .duplicateWindow(Duration.ofMinutes(2))
                  .build());
    } catch (IOException | JetStreamApiException e) {
      throw new IllegalStateException("Cannot create stream " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Changes the subjects a stream covers, keeping its messages: moving them away is an outage of
   * the stream for publishers (their subjects have no stream) without losing what it holds.
   */
  public void setSubjects(String name, String... subjects) {
    try {
      StreamConfiguration now = jsm().getStreamInfo(name).getConfiguration();
      jsm().updateStream(StreamConfiguration.builder(now).subjects(subjects).build());
    } catch (IOException | JetStreamApiException e) {
      throw new IllegalStateException(
          "Cannot change the subjects of stream " + name + ": " + e.getMessage(), e);
    }
  }

  /** Deletes a stream if it exists. */
  public void deleteStream(String name) {
    try {
      jsm().deleteStream(name);
    } catch (JetStreamApiException notThere) {
      // 10059: stream not found, which is what we want.
    } catch (IOException e) {
      throw new IllegalStateException("Cannot delete stream " + name + ": " + e.getMessage(), e);
    }
  }

  public long messageCount(String stream) {
    try {
      return jsm().getStreamInfo(stream).getStreamState().getMsgCount();
    } catch (IOException | JetStreamApiException e) {
      throw new IllegalStateException("Cannot read stream " + stream + ": " + e.getMessage(), e);
    }
  }

  /** Every message of the stream, in stream order. */
  public List<MessageInfo> readAll(String stream) {
    try {
      var state = jsm().getStreamInfo(stream).getStreamState();
      List<MessageInfo> all = new ArrayList<>();
      for (long seq = state.getFirstSequence();
          seq <= state.getLastSequence() && state.getMsgCount() > 0;
          seq++) {
        all.add(jsm().getMessage(stream, seq));
      }
      return all;
    } catch (IOException | JetStreamApiException e) {
      throw new IllegalStateException("Cannot read stream " + stream + ": " + e.getMessage(), e);
    }
  }

  private JetStreamManagement jsm() throws IOException {
    if (connection == null) {
      connectOrFail("");
    }
    return connection.jetStreamManagement();
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      connection = null;
    }
  }

  @Override
  public void close() {
    closeConnection();
    if (storeDir != null) {
      stopOwn();
      try (Stream<Path> files = Files.walk(storeDir)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      } catch (IOException e) {
        System.err.println("Could not remove " + storeDir + ": " + e.getMessage());
      }
    }
  }
}
