// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL server the tests use, found once per test run. WEBHOOK_TEST_DB chooses:
 *
 * <ul>
 *   <li>{@code local}: the server named by WEBHOOK_TEST_DB_URL / _USER / _PASSWORD (default the
 *       local 127.0.0.1:5432 as postgres);
 *   <li>{@code docker}: a Testcontainers PostgreSQL;
 *   <li>{@code embedded}: an embedded PostgreSQL (io.zonky.test, the version of the binaries in
 *       pom.xml), started in a temporary folder and removed when the tests end;
 *   <li>{@code auto} (the default): Docker when it runs and no URL is set, else the local server;
 *       when that is not reachable and no URL was set, the embedded one, except in CI ({@code
 *       CI=true}).
 * </ul>
 *
 * A server that was asked for (a URL, a choice, or CI) and cannot be reached FAILS the tests with a
 * message saying how to point them at one: it is never a reason to skip, nor to switch.
 */
public final class TestPostgres {
  private static TestPostgres instance;

  final String adminUrl;
  final String user;
  final String password;
  private final String urlPrefix;

  private TestPostgres(String adminUrl, String user, String password) {
    this.adminUrl = adminUrl;
    this.user = user;
    this.password = password;
    this.urlPrefix = adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1);
  }

  /** A server of the test's own, e.g. an {@link OwnPostgres} cluster. */
  public static TestPostgres at(String adminUrl, String user, String password) {
    return new TestPostgres(adminUrl, user, password);
  }

  public static synchronized TestPostgres get() {
    if (instance == null) {
      instance = find();
    }
    return instance;
  }

  private static TestPostgres find() {
    String url = System.getenv("WEBHOOK_TEST_DB_URL");
    String choice =
        System.getenv().getOrDefault("WEBHOOK_TEST_DB", "auto").trim().toLowerCase(Locale.ROOT);
    switch (choice) {
      case "embedded":
        return embedded();
      case "docker":
        if (!dockerAvailable()) {
          throw new IllegalStateException(
              "WEBHOOK_TEST_DB=docker, but no Docker engine answers."
                  + " Start one, or choose WEBHOOK_TEST_DB=local or embedded.");
        }
        return docker();
      case "local":
        return local(url).orElseThrow();
      case "auto":
      case "":
        break;
      default:
        throw new IllegalStateException(
            "WEBHOOK_TEST_DB="
                + choice
                + " is not a choice: auto (the default), local, docker or embedded.");
    }
    if (url == null && dockerAvailable()) {
      return docker();
    }
    Attempt local = local(url);
    if (local.server != null) {
      return local.server;
    }
    if (url != null || "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw local.failure; // configured, or CI: a missing database fails, it never switches
    }
    System.err.println(
        "No PostgreSQL at "
            + local.url
            + " and no Docker: the tests run on an"
            + " embedded PostgreSQL (WEBHOOK_TEST_DB=embedded|local|docker chooses on purpose).");
    return embedded();
  }

  /** A local server found, or the failure that says how to point the tests at one. */
  private record Attempt(String url, TestPostgres server, IllegalStateException failure) {
    TestPostgres orElseThrow() {
      if (server == null) {
        throw failure;
      }
      return server;
    }
  }

  private static Attempt local(String url) {
    TestPostgres found =
        new TestPostgres(
            url == null ? "jdbc:postgresql://127.0.0.1:5432/postgres" : url,
            System.getenv().getOrDefault("WEBHOOK_TEST_DB_USER", "postgres"),
            System.getenv().getOrDefault("WEBHOOK_TEST_DB_PASSWORD", ""));
    try (Connection c = found.admin()) {
      c.isValid(5);
      return new Attempt(found.adminUrl, found, null);
    } catch (SQLException e) {
      return new Attempt(
          found.adminUrl,
          null,
          new IllegalStateException(
              "The tests need PostgreSQL"
                  + " and found none at "
                  + found.adminUrl
                  + " ("
                  + e.getMessage()
                  + "). Start it, or set"
                  + " WEBHOOK_TEST_DB_URL, WEBHOOK_TEST_DB_USER and WEBHOOK_TEST_DB_PASSWORD to a server"
                  + " where this user may create databases, or WEBHOOK_TEST_DB=embedded.",
              e));
    }
  }

  @SuppressWarnings("resource") // lives as long as the test JVM; Testcontainers' reaper ends it
  private static TestPostgres docker() {
    PostgreSQLContainer pg = new PostgreSQLContainer("postgres:15-alpine");
    pg.start();
    return new TestPostgres(pg.getJdbcUrl(), pg.getUsername(), pg.getPassword());
  }

  /** Started once per test JVM; its own shutdown hook stops it and removes its data folder. */
  private static TestPostgres embedded() {
    try {
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder()
              .setServerConfig("fsync", "off")
              .setServerConfig("listen_addresses", "127.0.0.1")
              .setServerConfig("synchronous_commit", "off")
              .setServerConfig("full_page_writes", "off")
              .setServerConfig("max_connections", "300")
              .setPGStartupWait(Duration.ofSeconds(60))
              .start();
      String url = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres";
      try (Connection c = DriverManager.getConnection(url, "postgres", "");
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SHOW server_version")) {
        rs.next();
        System.err.println("Tests on an embedded PostgreSQL " + rs.getString(1) + " at " + url);
      }
      return new TestPostgres(url, "postgres", "");
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("Cannot start the embedded PostgreSQL: " + e.getMessage(), e);
    }
  }

  private static boolean dockerAvailable() {
    // Asking Testcontainers without any Docker socket only logs errors: look first.
    if (System.getenv("DOCKER_HOST") == null
        && !new java.io.File("/var/run/docker.sock").exists()) {
      return false;
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  Connection admin() throws SQLException {
    return DriverManager.getConnection(adminUrl, user, password);
  }

  String urlOf(String database) {
    return urlPrefix + database;
  }

  /** A new, empty database of its own for one test class. */
  public TestDatabase newDatabase() {
    String name =
        "webhook_test_" + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT);
    try (Connection c = admin();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Cannot create test database " + name + ": " + e.getMessage(), e);
    }
    return new TestDatabase(this, name);
  }

  void drop(String database) {
    try (Connection c = admin();
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Cannot drop test database " + database + ": " + e.getMessage(), e);
    }
  }
}
