package dev.odoowebhook.sidecar.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL server the tests use, found once per test run: a Testcontainers PostgreSQL when
 * Docker runs, else the server named by WEBHOOK_TEST_DB_URL / _USER / _PASSWORD (default the
 * local 127.0.0.1:5432 as postgres). A server that cannot be reached FAILS the tests with a
 * message saying how to point them at one: it is never a reason to skip.
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

  @SuppressWarnings("resource") // lives as long as the test JVM; Testcontainers' reaper ends it
  private static TestPostgres find() {
    String url = System.getenv("WEBHOOK_TEST_DB_URL");
    if (url == null && dockerAvailable()) {
      PostgreSQLContainer pg = new PostgreSQLContainer("postgres:15-alpine");
      pg.start();
      return new TestPostgres(pg.getJdbcUrl(), pg.getUsername(), pg.getPassword());
    }
    TestPostgres found = new TestPostgres(
        url == null ? "jdbc:postgresql://127.0.0.1:5432/postgres" : url,
        System.getenv().getOrDefault("WEBHOOK_TEST_DB_USER", "postgres"),
        System.getenv().getOrDefault("WEBHOOK_TEST_DB_PASSWORD", ""));
    try (Connection c = found.admin()) {
      c.isValid(5);
      return found;
    } catch (SQLException e) {
      throw new IllegalStateException("The tests need PostgreSQL and found none at " + found.adminUrl
          + " (" + e.getMessage() + "). Start it, or set WEBHOOK_TEST_DB_URL, WEBHOOK_TEST_DB_USER"
          + " and WEBHOOK_TEST_DB_PASSWORD to a server where this user may create databases.", e);
    }
  }

  private static boolean dockerAvailable() {
    // Asking Testcontainers without any Docker socket only logs errors: look first.
    if (System.getenv("DOCKER_HOST") == null && !new java.io.File("/var/run/docker.sock").exists()) {
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
    String name = "webhook_test_" + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT);
    try (Connection c = admin();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot create test database " + name + ": " + e.getMessage(), e);
    }
    return new TestDatabase(this, name);
  }

  void drop(String database) {
    try (Connection c = admin();
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot drop test database " + database + ": " + e.getMessage(), e);
    }
  }
}
