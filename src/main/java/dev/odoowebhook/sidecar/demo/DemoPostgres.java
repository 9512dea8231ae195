// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.demo;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The demo's PostgreSQL: the embedded server of io.zonky.test (binaries from the demo jar, unpacked
 * once into the temporary folder and reused), with its data in a temporary folder of its own that
 * {@link #close} removes. No shutdown hook of its own: the demo stops it after the sidecar. Not
 * thread-safe; close is idempotent.
 */
final class DemoPostgres implements AutoCloseable {
  static final String DATABASE = "odoo_demo";
  static final String USER = "postgres";

  private final EmbeddedPostgres server;
  private final Path dataParent;
  private boolean closed;

  private DemoPostgres(EmbeddedPostgres server, Path dataParent) {
    this.server = server;
    this.dataParent = dataParent;
  }

  static DemoPostgres start() throws IOException, SQLException {
    Path parent = Files.createTempDirectory("odoo-webhook-demo-");
    try {
      EmbeddedPostgres server =
          EmbeddedPostgres.builder()
              .setDataDirectory(parent.resolve("data"))
              .setCleanDataDirectory(true)
              .setRegisterShutdownHook(false)
              .setServerConfig("fsync", "off") // a demo's data is thrown away at the end
              .setServerConfig("listen_addresses", "127.0.0.1")
              .setPGStartupWait(Duration.ofSeconds(60))
              .start();
      DemoPostgres pg = new DemoPostgres(server, parent);
      try (Connection c = DriverManager.getConnection(pg.url("postgres"), USER, "");
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE " + DATABASE);
      }
      return pg;
    } catch (IOException | SQLException | RuntimeException e) {
      deleteTree(parent);
      throw e;
    }
  }

  String url() {
    return url(DATABASE);
  }

  private String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + server.getPort() + "/" + database;
  }

  int port() {
    return server.getPort();
  }

  Path dataFolder() {
    return dataParent;
  }

  String version() throws SQLException {
    try (Connection c = DriverManager.getConnection(url(), USER, "");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW server_version")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Stops the server (fast shutdown) and removes its data folder. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } finally {
      deleteTree(dataParent);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }
}
