// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The harness's own PostgreSQL 15 cluster: initdb into a fresh temporary directory, started on a
 * free port of 127.0.0.1 with logical decoding (Debezium), synchronous_commit=on and fsync on,
 * stopped (fast) and deleted by {@link #close()}. The shared PostgreSQL on 5432 is never touched.
 * initdb refuses to run as root, so as root the cluster's commands run as the postgres OS user.
 */
final class TempCluster implements AutoCloseable {
  static final String BIN = System.getenv().getOrDefault("PG_BIN", "/usr/lib/postgresql/15/bin");

  final int port;
  final Path dir;
  private final boolean asPostgresUser;
  private boolean started;

  private TempCluster(int port, Path dir, boolean asPostgresUser) {
    this.port = port;
    this.dir = dir;
    this.asPostgresUser = asPostgresUser;
  }

  static TempCluster start(int preferredPort, Path workDir)
      throws IOException, InterruptedException {
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory(workDir, "pgdata-parent");
    Path data = dir.resolve("data");
    if (root) {
      run(List.of("chown", "-R", "postgres", dir.toString()), 30);
    }
    int port = freePort(preferredPort);
    TempCluster c = new TempCluster(port, dir, root);
    c.pg(
        List.of(
            BIN + "/initdb",
            "-D",
            data.toString(),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync"),
        120);
    String conf =
        String.join(
            "\n",
            "listen_addresses = '127.0.0.1'",
            "port = " + port,
            "unix_socket_directories = '" + dir + "'",
            "wal_level = logical",
            "max_wal_senders = 10",
            "max_replication_slots = 10",
            "synchronous_commit = on",
            "fsync = on",
            "max_connections = 200",
            "shared_buffers = 512MB",
            "max_wal_size = 4GB",
            "shared_preload_libraries = 'pg_stat_statements'",
            "pg_stat_statements.track = none",
            "");
    Files.writeString(data.resolve("postgresql.auto.conf"), conf);
    if (root) {
      run(List.of("chown", "postgres", data.resolve("postgresql.auto.conf").toString()), 30);
    }
    c.pg(
        List.of(
            BIN + "/pg_ctl",
            "-D",
            data.toString(),
            "-l",
            dir.resolve("server.log").toString(),
            "-w",
            "-t",
            "60",
            "start"),
        90);
    c.started = true;
    return c;
  }

  String url(String db) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
  }

  Connection connect(String db) throws SQLException {
    return DriverManager.getConnection(url(db), "postgres", "");
  }

  void exec(String db, String... sql) throws SQLException {
    try (Connection c = connect(db);
        Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  long queryLong(String db, String sql) throws SQLException {
    try (Connection c = connect(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** A fresh database, optionally a copy of a template database. */
  void createDatabase(String name, String template) throws SQLException {
    exec(
        "postgres",
        "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)",
        "CREATE DATABASE " + name + (template == null ? "" : " TEMPLATE " + template));
    if (template != null) {
      // A copy of a migrated database holds its deliveries until confirmed (the sidecar's
      // protection against restored or duplicated databases): these copies are meant to deliver.
      exec(
          name,
          "DO $$ BEGIN IF to_regproc('webhook_confirm_copy') IS NOT NULL THEN"
              + " PERFORM webhook_check_installation(); PERFORM webhook_confirm_copy(); END IF; END $$");
    }
  }

  /** The PID of the postmaster (its backends are its children: the CPU split reads them). */
  long postmasterPid() throws IOException {
    return Long.parseLong(Files.readAllLines(dir.resolve("data/postmaster.pid")).get(0).trim());
  }

  @Override
  public void close() {
    if (!started) {
      return;
    }
    started = false;
    try {
      pg(
          List.of(
              BIN + "/pg_ctl", "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop"),
          60);
    } catch (IOException | InterruptedException e) {
      System.err.println(
          "Stopping the benchmark PostgreSQL failed: "
              + e.getMessage()
              + "; stop it with pg_ctl -D "
              + dir.resolve("data")
              + " stop");
      return;
    }
    deleteTree(dir);
  }

  private void pg(List<String> command, int timeoutSeconds)
      throws IOException, InterruptedException {
    List<String> full = new ArrayList<>();
    if (asPostgresUser) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    run(full, timeoutSeconds);
  }

  static String run(List<String> command, int timeoutSeconds)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("Timed out: " + String.join(" ", command));
    }
    String text = new String(out);
    if (p.exitValue() != 0) {
      throw new IOException(
          "Failed (exit " + p.exitValue() + "): " + String.join(" ", command) + "\n" + text);
    }
    return text;
  }

  private static int freePort(int preferred) throws IOException {
    for (int port = preferred; port < preferred + 50; port++) {
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
        return port;
      } catch (IOException busy) {
        // try the next one
      }
    }
    throw new IOException(
        "No free port between "
            + preferred
            + " and "
            + (preferred + 49)
            + "; pass --pg-port with a free one.");
  }

  static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("Could not delete " + dir + ": " + e.getMessage());
    }
  }
}
