package dev.odoowebhook.sidecar.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The command line against a real database: results on stdout, one clear line per error. */
class CliTest {
  static TestDatabase db;

  @BeforeAll
  static void createDatabase() {
    db = TestDatabase.createMigrated();
  }

  @AfterAll
  static void dropDatabase() {
    db.close();
  }

  record Result(int code, String out, String err) {}

  static Result run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new Cli(env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Result run(String... args) {
    return run(db.env(), args);
  }

  /** An error is one line on stderr, names no Java exception, and shows no stack trace. */
  static void assertOneClearLine(Result r, int code, String expected) {
    assertEquals(code, r.code(), r.toString());
    String err = r.err().strip();
    assertFalse(err.contains("\n"), "one line, got: " + err);
    assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace or exception names: " + err);
    assertTrue(err.contains(expected), "expected \"" + expected + "\" in: " + err);
  }

  @Test
  void shouldMigrateAgainWithoutChange() {
    Result r = run("migrate");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertTrue(r.out().contains("Schema is up to date at version"), r.out());
  }

  @Test
  void shouldSayWhoMayMigrateWhenTheUserCannotCreateTables() {
    // Since PostgreSQL 15 only the owner creates in schema public (said again here for older
    // servers): the sidecar's restricted role, for one, cannot apply the schema.
    String role = "webhook_no_create_" + Long.toHexString(System.nanoTime());
    try (TestDatabase fresh = TestPostgres.get().newDatabase()) {
      fresh.exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC; CREATE ROLE " + role + " LOGIN PASSWORD 'secret-for-test'");
      try {
        Map<String, String> env = new HashMap<>(fresh.env());
        env.put("WEBHOOK_DB_USER", role);
        env.put("WEBHOOK_DB_PASSWORD", "secret-for-test");
        assertOneClearLine(run(env, "migrate"), Cli.FAILED,
            "the schema could not be applied: permission denied for schema public. Run `migrate` as the owner");
      } finally {
        fresh.exec("DROP OWNED BY " + role + "; DROP ROLE " + role);
      }
    }
  }

  @Test
  void shouldTrackAndUntrackAModel() {
    db.exec("CREATE TABLE IF NOT EXISTS sale_order (id serial PRIMARY KEY, name text, write_date timestamp, write_uid int)");
    Result r = run("track", "sale.order");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertTrue(db.value("SELECT webhook_capture_installed('sale.order')", Boolean.class));
    r = run("untrack", "sale.order");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertFalse(db.value("SELECT webhook_capture_installed('sale.order')", Boolean.class));
  }

  @Test
  void shouldNameAMissingTableWhenTrackingAnUnknownModel() {
    assertOneClearLine(run("track", "res.unknown"), Cli.FAILED, "Table \"res_unknown\" for model \"res.unknown\" does not exist");
  }

  @Test
  void shouldAddASubscriberAndShowTheGeneratedSecretOnce() {
    db.exec("SELECT webhook_track('res.partner')");
    Result r = run("subscriber", "add", "--name", "crm", "--url", "https://crm.example.com/hooks",
        "--models", "res.partner", "--events", "create,write", "--header", "Authorization=Bearer t0k3n");
    assertEquals(Cli.OK, r.code(), r.toString());
    Map<String, Object> s = db.rows("SELECT * FROM webhook_subscriber WHERE name = 'crm'").get(0);
    String secret = (String) s.get("secret");
    assertTrue(r.out().contains(secret), "the generated secret is shown when created");
    assertEquals(null, WebhookSigner.problemWith(secret));
    assertEquals(List.of("create", "write"), s.get("events"));
    Result list = run("subscriber", "list");
    assertTrue(list.out().contains("https://crm.example.com/hooks"), list.out());
    assertFalse(list.out().contains(secret), "never shown again");
    assertFalse(list.out().contains("t0k3n"));
  }

  @Test
  void shouldRejectBadSubscriberInputWithOneLineEach() {
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "not a url"), Cli.USAGE, "--url");
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "ftp://files.example.com"), Cli.USAGE, "only http:// and https://");
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "http://"), Cli.USAGE, "--url");
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "https://a.example", "--secret", "abc"), Cli.USAGE, "whsec_");
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "https://a.example", "--secret", "whsec_c2hvcnQ="), Cli.USAGE, "24 to 64 bytes");
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "https://a.example", "--events", "create,delete"), Cli.USAGE, "--events");
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "https://a.example", "--models", "sale.nothing"), Cli.FAILED, "sale.nothing is not tracked");
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "https://a.example", "--timeout", "forever"), Cli.USAGE, "--timeout");
    assertOneClearLine(run("subscriber", "add", "--url", "https://a.example"), Cli.USAGE, "needs --name");
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "https://a.example", "--colour", "red"), Cli.USAGE, "Unknown option --colour");
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "https://a.example", "--header", "webhook-id=forged"), Cli.USAGE, "--header webhook-id is set by the sidecar itself");
    assertOneClearLine(run("subscriber", "add", "--name", "x", "--url", "https://a.example", "--header", "Connection=close"), Cli.USAGE, "--header Connection is part of HTTP's framing");
    assertEquals(0, db.count("SELECT count(*) FROM webhook_subscriber WHERE name = 'x'"), "nothing half-created");
  }

  @Test
  void shouldRefuseADuplicateSubscriberName() {
    run("subscriber", "add", "--name", "twice", "--url", "https://a.example");
    assertOneClearLine(run("subscriber", "add", "--name", "twice", "--url", "https://b.example"), Cli.FAILED, "exists already");
  }

  @Test
  void shouldExplainADeadDatabase() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_DB_URL", "jdbc:postgresql://127.0.0.1:1/odoo");
    assertOneClearLine(run(env, "status"), Cli.FAILED, "Cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/odoo");
  }

  @Test
  void shouldExplainAMissingDatabaseAndAMissingSchema() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_DB_URL", db.url() + "_missing");
    assertOneClearLine(run(env, "status"), Cli.FAILED, "Check the database name in WEBHOOK_DB_URL");
    env.put("WEBHOOK_DB_URL", db.url().substring(0, db.url().lastIndexOf('/') + 1) + "postgres");
    assertOneClearLine(run(env, "status"), Cli.FAILED, "Run the `migrate` command first");
  }

  @Test
  void shouldRejectInvalidSettingsNamingThem() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_DB_URL", "postgres://localhost/odoo");
    assertOneClearLine(run(env, "status"), Cli.USAGE, "WEBHOOK_DB_URL");
    assertOneClearLine(run("--workers", "many", "status"), Cli.USAGE, "--workers");
    assertOneClearLine(run("--http-port", "70000", "status"), Cli.USAGE, "--http-port");
    assertOneClearLine(run("--lease", "0s", "status"), Cli.USAGE, "must be more than zero");
    assertOneClearLine(run("--route-min-interval", "5s", "status"), Cli.USAGE, "expected 0ms to 1s");
  }

  @Test
  void shouldNeverShowThePasswordInErrors() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_DB_PASSWORD", "s3cr3t-pw");
    env.put("WEBHOOK_POLL_INTERVAL", "soon");
    Result r = run(env, "status");
    assertFalse(r.err().contains("s3cr3t-pw"));
  }

  @Test
  void shouldReplayByStatusAndRejectAmbiguousReplays() {
    assertOneClearLine(run("replay"), Cli.USAGE, "Say which deliveries to replay");
    assertOneClearLine(run("replay", "--id", "abc"), Cli.USAGE, "--id takes a whole number");
    assertOneClearLine(run("replay", "--id", "999999"), Cli.FAILED, "Delivery 999999 does not exist");
    Result r = run("replay", "--dead", "--dry-run");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertTrue(r.out().contains("0 deliveries would be replayed"), r.out());
  }

  @Test
  void shouldPrintStatusAndHelp() {
    Result r = run("status");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertTrue(r.out().contains("Deliveries: pending 0, processing 0, sent 0, failed 0, dead 0"), r.out());
    for (String command : Help.COMMANDS.keySet()) {
      Result h = run((command + " --help").split(" "));
      assertEquals(Cli.OK, h.code(), command);
      assertTrue(h.out().startsWith("Usage:"), h.out());
    }
    Result all = run("--help");
    assertEquals(Cli.OK, all.code());
    assertTrue(all.out().contains("WEBHOOK_DB_URL"));
    assertOneClearLine(run("frobnicate"), Cli.USAGE, "Unknown command `frobnicate`");
  }
}
