// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.cli.Cli;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.OwnPostgres;
import dev.odoowebhook.sidecar.support.SidecarProcess;
import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * `run` against a database that is not there, as a process: a definitive answer (wrong password, no
 * such database, no such role) fails the start at once in one line with PostgreSQL's own reason;
 * only an unreachable server is waited for, one line per try.
 */
class DatabaseAtStartupTest {
  private static final String DEMO = "java -jar target/odoo-webhook-sidecar-demo.jar demo";
  static TestDatabase db;

  @BeforeAll
  static void setUp() {
    db = TestPostgres.get().newDatabase();
  }

  @AfterAll
  static void tearDown() {
    db.close();
  }

  @Test
  void shouldFailAtOnceOnAWrongPassword() throws Exception {
    try (OwnPostgres pg = OwnPostgres.startRequiringPasswords()) {
      try (Connection c = DriverManager.getConnection(pg.url("postgres"), "postgres", "");
          Statement st = c.createStatement()) {
        st.execute("CREATE ROLE odoo_app LOGIN PASSWORD 'the-right-one'");
      }
      Map<String, String> env = env(pg.url("postgres"), "odoo_app", "a-wrong-one", "5m");
      String error = failedStart(env, Duration.ofSeconds(15));
      assertTrue(error.contains("PostgreSQL at " + pg.url("postgres")), error);
      assertTrue(error.contains("password authentication failed for user \"odoo_app\""), error);
      assertTrue(error.contains("Check WEBHOOK_DB_USER and WEBHOOK_DB_PASSWORD"), error);
      assertFalse(error.contains("a-wrong-one"), "the password is never shown: " + error);

      // A one-shot command says the same, PostgreSQL's reason rather than the pool's timeout.
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit =
          new Cli(
                  env,
                  new PrintStream(out, true, StandardCharsets.UTF_8),
                  new PrintStream(err, true, StandardCharsets.UTF_8))
              .run(new String[] {"status"});
      String said = err.toString(StandardCharsets.UTF_8);
      assertEquals(Cli.FAILED, exit, said);
      assertEquals(1, said.strip().lines().count(), said);
      assertTrue(said.contains("password authentication failed for user \"odoo_app\""), said);
      assertFalse(said.contains("Connection is not available"), said);
    }
  }

  @Test
  void shouldFailAtOnceOnAMissingDatabase() throws Exception {
    String url = db.url() + "_missing";
    String error = failedStart(env(url, db.user(), db.password(), "5m"), Duration.ofSeconds(15));
    String name = url.substring(url.lastIndexOf('/') + 1);
    assertTrue(error.contains("PostgreSQL at " + url), error);
    assertTrue(error.contains("database \"" + name + "\" does not exist"), error);
    assertTrue(error.contains("Check the database name in WEBHOOK_DB_URL"), error);
  }

  @Test
  void shouldFailAtOnceOnAMissingRole() throws Exception {
    String error = failedStart(env(db.url(), "no_such_role", "", "5m"), Duration.ofSeconds(15));
    assertTrue(error.contains("role \"no_such_role\" does not exist"), error);
  }

  @Test
  void shouldWaitForAnUnreachableServerSayingSoOncePerTry() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/odoo";
    try (SidecarProcess sidecar = SidecarProcess.start(env(url, "odoo", "", "4s"))) {
      Await.until(
          "the first try reported",
          Duration.ofSeconds(10),
          () -> sidecar.log().contains("Waiting for the database (try 1"),
          sidecar::log);
      Await.until("given up", Duration.ofSeconds(20), () -> !sidecar.isAlive(), sidecar::log);
      String log = sidecar.log();
      assertEquals(1, sidecar.terminate(5), log);
      List<String> waits = lines(log, "Waiting for the database");
      assertTrue(
          waits.size() >= 2 && waits.size() <= 4, "one line per try, 1 s then 2 s apart:\n" + log);
      assertTrue(
          waits.get(0).contains("Cannot connect to PostgreSQL at " + url + " (Connection refused)"),
          log);
      assertTrue(waits.get(0).contains(DEMO), "the first line says how to try the demo:\n" + log);
      assertTrue(waits.get(1).contains("(try 2"), log);
      List<String> errors = lines(log, "Error:");
      assertEquals(1, errors.size(), log);
      assertTrue(errors.get(0).contains("Cannot connect to PostgreSQL at " + url), log);
      assertFalse(log.contains("\tat "), "no stack trace:\n" + log);
      assertFalse(log.contains("HikariPool"), "no pool internals:\n" + log);
    }
  }

  /** Starts `run`, waits for it to exit, checks it failed in one line, and returns that line. */
  private static String failedStart(Map<String, String> env, Duration within) throws Exception {
    long start = System.nanoTime();
    try (SidecarProcess sidecar = SidecarProcess.start(env)) {
      Await.until("the start refused", within, () -> !sidecar.isAlive(), sidecar::log);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      String log = sidecar.log();
      assertEquals(1, sidecar.terminate(5), log);
      assertTrue(
          took.compareTo(Duration.ofSeconds(10)) < 0,
          "at once, not after waiting: " + took + "\n" + log);
      assertFalse(
          log.contains("Waiting for the database"),
          "a definitive answer is not waited for:\n" + log);
      assertFalse(log.contains("\tat "), "no stack trace:\n" + log);
      assertFalse(log.contains("HikariPool"), "no pool internals:\n" + log);
      List<String> errors = lines(log, "Error:");
      assertEquals(1, errors.size(), log);
      assertTrue(errors.get(0).contains(DEMO), "says how to try the demo instead:\n" + log);
      return errors.get(0);
    }
  }

  private static List<String> lines(String log, String containing) {
    return Arrays.stream(log.split("\n")).filter(l -> l.contains(containing)).toList();
  }

  private static Map<String, String> env(String url, String user, String password, String wait) {
    Map<String, String> env = new HashMap<>();
    env.put("WEBHOOK_DB_URL", url);
    env.put("WEBHOOK_DB_USER", user);
    env.put("WEBHOOK_DB_PASSWORD", password);
    env.put("WEBHOOK_HTTP_PORT", "0");
    env.put("WEBHOOK_STARTUP_WAIT", wait);
    return env;
  }
}
