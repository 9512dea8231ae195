// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import static dev.odoowebhook.sidecar.support.CommandLine.assertOneClearLine;
import static dev.odoowebhook.sidecar.support.CommandLine.refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.CommandLine.Result;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The command line, as a process, against a real database: results on stdout, one clear line per
 * error.
 */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class CliTest {
  static TestDatabase db;
  static CommandLine cli;

  @Test
  void shouldMigrateAgainWithoutChange() {
    Result r = cli.run("migrate");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertTrue(r.out().contains("Schema is up to date at version"), r.out());
  }

  @Test
  void shouldSayWhoMayMigrateWhenTheUserCannotCreateTables() {
    // Since PostgreSQL 15 only the owner creates in schema public (said again here for older
    // servers): the sidecar's restricted role, for one, cannot apply the schema.
    String role = "webhook_no_create_" + Long.toHexString(System.nanoTime());
    try (TestDatabase fresh = TestPostgres.get().newDatabase()) {
      fresh.exec(
          "REVOKE CREATE ON SCHEMA public FROM PUBLIC; CREATE ROLE "
              + role
              + " LOGIN PASSWORD 'secret-for-test'");
      try {
        Map<String, String> env = new HashMap<>(fresh.env());
        env.put("WEBHOOK_DB_USER", role);
        env.put("WEBHOOK_DB_PASSWORD", "secret-for-test");
        assertOneClearLine(
            cli.run(env, "migrate"),
            Cli.FAILED,
            "the schema could not be applied: permission denied for schema public. Run `migrate` as the owner");
      } finally {
        fresh.exec("DROP OWNED BY " + role + "; DROP ROLE " + role);
      }
    }
  }

  @Test
  void shouldTrackAndUntrackAModel() {
    db.exec(
        "CREATE TABLE IF NOT EXISTS sale_order (id serial PRIMARY KEY, name text, write_date timestamp, write_uid int)");
    Result r = cli.run("track", "sale.order");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertTrue(db.value("SELECT webhook_capture_installed('sale.order')", Boolean.class));
    r = cli.run("untrack", "sale.order");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertFalse(db.value("SELECT webhook_capture_installed('sale.order')", Boolean.class));
  }

  @Test
  void shouldNameAMissingTableWhenTrackingAnUnknownModel() {
    assertOneClearLine(
        cli.run("track", "res.unknown"),
        Cli.FAILED,
        "Table \"res_unknown\" for model \"res.unknown\" does not exist");
  }

  @Test
  void shouldAddASubscriberAndShowTheGeneratedSecretOnce() {
    db.exec("SELECT webhook_track('res.partner')");
    Result r =
        cli.run(
            "subscriber",
            "add",
            "--name",
            "crm",
            "--url",
            "https://crm.example.com/hooks",
            "--models",
            "res.partner",
            "--events",
            "create,write",
            "--header",
            "Authorization=Bearer t0k3n");
    assertEquals(Cli.OK, r.code(), r.toString());
    Map<String, Object> s = db.rows("SELECT * FROM webhook_subscriber WHERE name = 'crm'").get(0);
    String secret = (String) s.get("secret");
    assertTrue(r.out().contains(secret), "the generated secret is shown when created");
    assertEquals(null, WebhookSigner.problemWith(secret));
    assertEquals(List.of("create", "write"), s.get("events"));
    Result list = cli.run("subscriber", "list");
    assertTrue(list.out().contains("https://crm.example.com/hooks"), list.out());
    assertFalse(list.out().contains(secret), "never shown again");
    assertFalse(list.out().contains("t0k3n"));
  }

  @Test
  void shouldRejectBadSubscriberInputWithOneLineEach() {
    cli.assertEachRefused(
        List.of("subscriber", "add", "--name", "x", "--url"),
        refusal(Cli.USAGE, "--url", "not a url"),
        refusal(
            Cli.USAGE, "only http://, https://, kafka:// and nats://", "ftp://files.example.com"),
        refusal(Cli.USAGE, "--url", "http://"));
    cli.assertEachRefused(
        List.of("subscriber", "add", "--name", "x", "--url", "https://a.example"),
        refusal(Cli.USAGE, "whsec_", "--secret", "abc"),
        refusal(Cli.USAGE, "24 to 64 bytes", "--secret", "whsec_c2hvcnQ="),
        refusal(Cli.USAGE, "--events", "--events", "create,delete"),
        refusal(Cli.FAILED, "sale.nothing is not tracked", "--models", "sale.nothing"),
        refusal(Cli.USAGE, "--timeout", "--timeout", "forever"),
        refusal(Cli.USAGE, "Unknown option --colour", "--colour", "red"),
        refusal(
            Cli.USAGE,
            "--header webhook-id is set by the sidecar itself",
            "--header",
            "webhook-id=forged"),
        refusal(
            Cli.USAGE,
            "--header Connection is part of HTTP's framing",
            "--header",
            "Connection=close"));
    assertOneClearLine(
        cli.run("subscriber", "add", "--url", "https://a.example"), Cli.USAGE, "needs --name");
    assertEquals(
        0,
        db.count("SELECT count(*) FROM webhook_subscriber WHERE name = 'x'"),
        "nothing half-created");
  }

  @Test
  void shouldRefuseADuplicateSubscriberName() {
    cli.run("subscriber", "add", "--name", "twice", "--url", "https://a.example");
    assertOneClearLine(
        cli.run("subscriber", "add", "--name", "twice", "--url", "https://b.example"),
        Cli.FAILED,
        "exists already");
  }

  @Test
  void shouldExplainADeadDatabase() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_DB_URL", "jdbc:postgresql://127.0.0.1:1/odoo");
    assertOneClearLine(
        cli.run(env, "status"),
        Cli.FAILED,
        "Cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/odoo");
  }

  @Test
  void shouldExplainAMissingDatabaseAndAMissingSchema() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_DB_URL", db.url() + "_missing");
    assertOneClearLine(
        cli.run(env, "status"), Cli.FAILED, "Check the database name in WEBHOOK_DB_URL");
    env.put("WEBHOOK_DB_URL", db.url().substring(0, db.url().lastIndexOf('/') + 1) + "postgres");
    assertOneClearLine(cli.run(env, "status"), Cli.FAILED, "Run the `migrate` command first");
  }

  @Test
  void shouldRejectInvalidSettingsNamingThem() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_DB_URL", "postgres://localhost/odoo");
    assertOneClearLine(cli.run(env, "status"), Cli.USAGE, "WEBHOOK_DB_URL");
    assertOneClearLine(cli.run("--workers", "many", "status"), Cli.USAGE, "--workers");
    assertOneClearLine(cli.run("--http-port", "70000", "status"), Cli.USAGE, "--http-port");
    assertOneClearLine(cli.run("--lease", "0s", "status"), Cli.USAGE, "must be more than zero");
    assertOneClearLine(
        cli.run("--route-min-interval", "5s", "status"), Cli.USAGE, "expected 0ms to 1s");
  }

  @Test
  void shouldNeverShowThePasswordInErrors() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_DB_PASSWORD", "s3cr3t-pw");
    env.put("WEBHOOK_POLL_INTERVAL", "soon");
    Result r = cli.run(env, "status");
    assertFalse(r.err().contains("s3cr3t-pw"));
  }

  @Test
  void shouldReplayByStatusAndRejectAmbiguousReplays() {
    assertOneClearLine(cli.run("replay"), Cli.USAGE, "Say which deliveries to replay");
    assertOneClearLine(cli.run("replay", "--id", "abc"), Cli.USAGE, "--id takes a whole number");
    assertOneClearLine(
        cli.run("replay", "--id", "999999"), Cli.FAILED, "Delivery 999999 does not exist");
    Result r = cli.run("replay", "--dead", "--dry-run");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertTrue(r.out().contains("0 deliveries would be replayed"), r.out());
  }

  @Test
  void shouldPrintStatusAndHelp() {
    Result r = cli.run("status");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertTrue(
        r.out().contains("Deliveries: pending 0, processing 0, sent 0, failed 0, dead 0"), r.out());
    for (String command : Help.COMMANDS.keySet()) {
      Result h = cli.run((command + " --help").split(" "));
      assertEquals(Cli.OK, h.code(), command);
      assertTrue(h.out().startsWith("Usage:"), h.out());
    }
    Result all = cli.run("--help");
    assertEquals(Cli.OK, all.code());
    assertTrue(all.out().contains("WEBHOOK_DB_URL"));
    assertOneClearLine(cli.run("frobnicate"), Cli.USAGE, "Unknown command `frobnicate`");
  }
}
