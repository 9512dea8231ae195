// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.Pipeline;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One identity per installation (invariant 9, issue 18 point 7), with real copies: a
 * pg_dump/pg_restore cycle and CREATE DATABASE ... TEMPLATE (what Odoo's "duplicate database"
 * runs). A copy holds its deliveries until `confirm-copy`, and its webhook-ids never repeat the
 * original's although its delivery ids do.
 */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class DatabaseCopyTest {
  static CommandLine cli;

  @Test
  void shouldHoldDeliveriesOfARestoredDumpUntilConfirmedAndNeverRepeatAWebhookId()
      throws Exception {
    try (Pipeline p = new Pipeline();
        TestDatabase restored = TestPostgres.get().newDatabase()) {
      p.subscribe("erp", "", "");
      p.startSidecar(Map.of());
      p.partner("before the dump");
      Await.until(
          "first delivery",
          Duration.ofSeconds(20),
          () -> p.receiver.requests().size() == 1,
          p::statuses);

      Path dump = Files.createTempFile("webhook-copy-", ".dump");
      try {
        run(p.db, List.of("pg_dump", "-Fc", "-f", dump.toString()));
        run(restored, List.of("pg_restore", "--no-owner", "-d", name(restored), dump.toString()));
      } finally {
        Files.deleteIfExists(dump);
      }

      // The original goes on: its next delivery gets the next id.
      p.partner("original, after the dump");
      Await.until(
          "second delivery",
          Duration.ofSeconds(20),
          () -> p.receiver.requests().size() == 2,
          p::statuses);
      p.stopSidecar();
      String originalId = p.receiver.requests().get(1).header("webhook-id");

      assertEquals(
          "copy", restored.value("SELECT state FROM webhook_installation_status()", String.class));
      Sidecar onCopy = Sidecar.start(restored.config(Map.of()));
      try {
        assertEquals(
            Installation.State.HELD, Installation.status(onCopy.database().dataSource()).state());
        restored.exec("INSERT INTO res_partner (name) VALUES ('copy, after the restore')");
        Await.until(
            "the copy's event routed",
            Duration.ofSeconds(20),
            () ->
                restored.count("SELECT count(*) FROM webhook_delivery WHERE status = 'pending'")
                    == 1);
        Thread.sleep(2000);
        assertEquals(2, p.receiver.requests().size(), "a copy never delivers by surprise");

        CommandLine.Result status = cli.run(restored.env(), "status");
        assertTrue(
            status.out().contains("Installation: DELIVERIES HELD, This database is a copy"),
            status.toString());

        CommandLine.Result confirm = cli.run(restored.env(), "confirm-copy");
        assertEquals(0, confirm.code(), confirm.toString());
        assertTrue(
            confirm.out().contains("1 subscriber(s) paused by the hold resumed"),
            confirm.toString());
        Await.until(
            "the copy's delivery after confirm-copy",
            Duration.ofSeconds(20),
            () -> p.receiver.requests().size() == 3);
      } finally {
        onCopy.stop();
      }
      Receiver.Request fromCopy = p.receiver.requests().get(2);
      assertEquals(
          "copy, after the restore",
          restored.value(
              "SELECT name FROM res_partner WHERE id = ?",
              String.class,
              fromCopy.data().get("record_id").asLong()));
      assertEquals(
          p.db.count("SELECT max(id) FROM webhook_delivery"),
          restored.count("SELECT max(id) FROM webhook_delivery"),
          "the copy reissued the original's delivery id");
      assertNotEquals(originalId, fromCopy.header("webhook-id"), "but never its webhook-id");
      assertTrue(fromCopy.header("webhook-id").startsWith("msg_"), fromCopy.header("webhook-id"));
      assertEquals(
          "original",
          restored.value("SELECT state FROM webhook_installation_status()", String.class));
    }
  }

  @Test
  void shouldHoldADatabaseCopiedAsATemplateAsOdoosDuplicateDoes(TestDatabase classDb)
      throws Exception {
    String original = "webhook_test_" + UUID.randomUUID().toString().substring(0, 8);
    String copy = original + "_copy";
    String early = original + "_early";
    try {
      admin(classDb, "CREATE DATABASE " + original);
      psql(
          classDb,
          original,
          "CREATE TABLE res_partner (id serial PRIMARY KEY, name text, write_date timestamp, write_uid int)");
      runOk(
          List.of(
              "psql",
              "-q",
              "-v",
              "ON_ERROR_STOP=1",
              "-d",
              original,
              "-f",
              Path.of("sql", "install.sql").toString()),
          classDb);
      psql(
          classDb,
          original,
          "INSERT INTO webhook_subscriber (name, url, secret) VALUES ('erp', 'https://erp.example.com/hook',"
              + " 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), ('off', 'https://off.example.com/hook',"
              + " 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')");
      psql(classDb, original, "UPDATE webhook_subscriber SET active = false WHERE name = 'off'");
      admin(classDb, "CREATE DATABASE " + copy + " TEMPLATE " + original);
      admin(classDb, "CREATE DATABASE " + early + " TEMPLATE " + original);

      assertEquals("original", check(classDb, original));
      assertEquals("original", check(classDb, original), "the same database, again");
      assertEquals("held", check(classDb, copy));
      assertEquals(
          "[erp=true, off=false]",
          pausedBySubscriber(classDb, copy),
          "active subscribers paused on the copy; the original's untouched");
      assertEquals("[erp=false, off=false]", pausedBySubscriber(classDb, original));

      // Confirmed (psql, the CLI or the addon) before any sidecar started on the copy: held and
      // confirmed at once, its subscribers as they were, and no sidecar holds it later.
      assertEquals(
          1,
          queryInt(classDb, early, "SELECT webhook_confirm_copy()"),
          "erp paused by the hold and resumed");
      assertEquals("[erp=false, off=false]", pausedBySubscriber(classDb, early));
      assertEquals("original", check(classDb, early), "a sidecar starting later delivers");
      assertEquals(
          null,
          queryInt(classDb, early, "SELECT webhook_confirm_copy()"),
          "confirmed already: nothing to confirm");

      // pg_upgrade keeps the database and table oids but not the cluster's system identifier.
      psql(
          classDb,
          original,
          "UPDATE webhook_installation SET system_identifier = 'an older cluster'");
      assertEquals("upgraded", check(classDb, original));
      assertEquals("original", check(classDb, original));
      assertEquals(
          "[erp=false, off=false]",
          pausedBySubscriber(classDb, original),
          "an upgrade is not a copy");
    } finally {
      admin(classDb, "DROP DATABASE IF EXISTS " + copy + " WITH (FORCE)");
      admin(classDb, "DROP DATABASE IF EXISTS " + early + " WITH (FORCE)");
      admin(classDb, "DROP DATABASE IF EXISTS " + original + " WITH (FORCE)");
    }
  }

  @Test
  void shouldDeactivateSubscribersAndRevokeTokensWhenOdooNeutralizesTheDatabase(TestDatabase db)
      throws Exception {
    db.exec(
        "INSERT INTO webhook_subscriber (name, url, secret) VALUES ('prod', 'https://prod.example.com/hook',"
            + " 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');"
            + " INSERT INTO webhook_api_token (name, token_hash, models) VALUES ('app', repeat('a', 64), ARRAY['res.partner'])");
    // What odoo/modules/neutralize.py does with each installed module's data/neutralize.sql.
    db.exec(Files.readString(Path.of("odoo-addon", "webhook_sidecar", "data", "neutralize.sql")));
    assertEquals(0, db.count("SELECT count(*) FROM webhook_subscriber WHERE active"));
    assertEquals(0, db.count("SELECT count(*) FROM webhook_api_token WHERE revoked_at IS NULL"));
  }

  @Test
  void shouldSayInStatusThatTheOriginalIsNotHeld(TestDatabase db) {
    assertFalse(cli.run("status").out().contains("HELD"));
    CommandLine.Result confirm = cli.run("confirm-copy");
    assertEquals(0, confirm.code(), confirm.toString());
    assertTrue(
        confirm.out().contains("not held as a copy: nothing to confirm"), confirm.toString());
  }

  // --- helpers -------------------------------------------------------------------------------

  private static Integer queryInt(TestDatabase any, String database, String sql)
      throws SQLException {
    try (Connection c =
            DriverManager.getConnection(urlOf(any, database), any.user(), any.password());
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      int value = rs.getInt(1);
      return rs.wasNull() ? null : value;
    }
  }

  private static String check(TestDatabase any, String database) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(urlOf(any, database), any.user(), any.password());
        ResultSet rs = c.createStatement().executeQuery("SELECT webhook_check_installation()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String pausedBySubscriber(TestDatabase any, String database) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c =
            DriverManager.getConnection(urlOf(any, database), any.user(), any.password());
        ResultSet rs =
            c.createStatement()
                .executeQuery("SELECT name, paused FROM webhook_subscriber ORDER BY name")) {
      while (rs.next()) {
        out.add(rs.getString(1) + "=" + rs.getBoolean(2));
      }
    }
    return out.toString();
  }

  private static void admin(TestDatabase any, String sql) throws SQLException {
    try (Connection c =
        DriverManager.getConnection(urlOf(any, "postgres"), any.user(), any.password())) {
      c.createStatement().execute(sql);
    }
  }

  private static void psql(TestDatabase any, String database, String sql) throws SQLException {
    try (Connection c =
        DriverManager.getConnection(urlOf(any, database), any.user(), any.password())) {
      c.createStatement().execute(sql);
    }
  }

  static String urlOf(TestDatabase any, String database) {
    String url = any.url();
    return url.substring(0, url.lastIndexOf('/') + 1) + database;
  }

  static String name(TestDatabase db) {
    String url = db.url();
    int q = url.indexOf('?');
    return url.substring(url.lastIndexOf('/') + 1, q < 0 ? url.length() : q);
  }

  /** Runs a PostgreSQL client (pg_dump, pg_restore, psql) against db's server and database. */
  static void run(TestDatabase db, List<String> command) throws Exception {
    List<String> full = new ArrayList<>(command);
    if (command.get(0).equals("pg_dump")) {
      full.add(name(db));
    }
    runOk(full, db);
  }

  static void runOk(List<String> command, TestDatabase server) throws Exception {
    URI uri = URI.create(server.url().substring("jdbc:".length()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("PGHOST", uri.getHost());
    pb.environment().put("PGPORT", String.valueOf(uri.getPort() < 0 ? 5432 : uri.getPort()));
    pb.environment().put("PGUSER", server.user());
    pb.environment().put("PGPASSWORD", server.password());
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes());
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
    assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
  }
}
