// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import static dev.odoowebhook.sidecar.support.CommandLine.assertOneClearLine;
import static dev.odoowebhook.sidecar.support.CommandLine.refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.CommandLine.Result;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * `subscriber update | remove | pause | resume | rotate-secret | list`, as a process, on a real
 * database.
 */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class SubscriberCommandsTest {
  static TestDatabase db;
  static CommandLine cli;

  @BeforeEach
  void noSubscribers() {
    db.exec("SELECT webhook_track('res.partner'); TRUNCATE webhook_subscriber CASCADE");
  }

  private static long add(String name) {
    Result r =
        cli.run(
            "subscriber", "add", "--name", name, "--url", "https://" + name + ".example.com/hooks");
    assertEquals(Cli.OK, r.code(), r.toString());
    return db.count("SELECT id FROM webhook_subscriber WHERE name = ?", name);
  }

  private static Map<String, Object> row(long id) {
    return db.rows("SELECT * FROM webhook_subscriber WHERE id = ?", id).get(0);
  }

  @Test
  void shouldUpdateOnlyTheOptionsGiven() {
    long id = add("crm");
    Map<String, Object> before = row(id);
    Result r =
        cli.run(
            "subscriber",
            "update",
            "crm",
            "--url",
            "https://new.example.com/in",
            "--timeout",
            "30s",
            "--events",
            "create");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertEquals(1, r.out().strip().lines().count(), "one line: " + r.out());
    assertTrue(r.out().contains("\"crm\" updated: url, events, timeout_ms"), r.out());
    Map<String, Object> after = row(id);
    assertEquals("https://new.example.com/in", after.get("url"));
    assertEquals(30_000, after.get("timeout_ms"));
    assertEquals(List.of("create"), after.get("events"));
    for (String unchanged :
        List.of(
            "name",
            "secret",
            "models",
            "max_retries",
            "backoff_base_ms",
            "max_concurrency",
            "headers",
            "rate_limit_per_second",
            "active",
            "paused")) {
      assertEquals(before.get(unchanged), after.get(unchanged), unchanged);
    }

    assertEquals(
        Cli.OK,
        cli.run(
                "subscriber",
                "update",
                "crm",
                "--rename",
                "crm-eu",
                "--models",
                "res.partner",
                "--rate-limit",
                "5",
                "--header",
                "Authorization=Bearer x")
            .code());
    after = row(id);
    assertEquals("crm-eu", after.get("name"));
    assertEquals(List.of("res.partner"), after.get("models"));
    assertEquals(
        0,
        new java.math.BigDecimal("5")
            .compareTo((java.math.BigDecimal) after.get("rate_limit_per_second")));
    assertEquals(
        Cli.OK,
        cli.run("subscriber", "update", "crm-eu", "--models", "*", "--rate-limit", "none").code());
    after = row(id);
    assertNull(after.get("models"), "* is every tracked model again");
    assertNull(after.get("rate_limit_per_second"));
  }

  @Test
  void shouldRefuseUpdatesWithOneLineEach() {
    add("crm");
    add("erp");
    assertOneClearLine(cli.run("subscriber", "update", "crm"), Cli.USAGE, "Say what to change");
    assertOneClearLine(
        cli.run("subscriber", "update", "--url", "https://a.example"),
        Cli.USAGE,
        "Name one subscriber to update");
    assertOneClearLine(
        cli.run("subscriber", "update", "nobody", "--timeout", "5s"),
        Cli.FAILED,
        "There is no subscriber named \"nobody\"; see `subscriber list`");
    cli.assertEachRefused(
        List.of("subscriber", "update", "crm"),
        refusal(
            Cli.FAILED,
            "A subscriber named \"erp\" exists already; choose another --rename",
            "--rename",
            "erp"),
        refusal(Cli.USAGE, "Unknown option --name", "--name", "x"),
        refusal(Cli.USAGE, "--timeout", "--timeout", "forever"),
        refusal(Cli.USAGE, "--events", "--events", "delete"),
        refusal(Cli.FAILED, "sale.nothing is not tracked", "--models", "sale.nothing"),
        refusal(Cli.USAGE, "is not a number from 1 to 65535", "--url", "https://a.example:99999/"),
        refusal(Cli.USAGE, "control characters", "--rename", "bad\tname"));
    assertEquals(
        "https://crm.example.com/hooks",
        db.value("SELECT url FROM webhook_subscriber WHERE name = 'crm'", String.class),
        "nothing changed");
  }

  @Test
  void shouldRefuseUrlsThatCannotBeAttemptedAndNamesWithControlCharacters() {
    cli.assertEachRefused(
        List.of("subscriber", "add", "--name", "x", "--url"),
        refusal(
            Cli.USAGE,
            "the port 99999 is not a number from 1 to 65535",
            "https://a.example:99999/hooks"),
        refusal(Cli.USAGE, "is not a number from 1 to 65535", "https://a.example:0/hooks"),
        refusal(Cli.USAGE, "is not a number from 1 to 65535", "https://a.example:99999999999/"),
        refusal(Cli.USAGE, "must not have a #fragment", "https://a.example/hooks#part"));
    Result withPassword =
        cli.run("subscriber", "add", "--name", "x", "--url", "https://bob:hunter2@a.example/hooks");
    assertOneClearLine(withPassword, Cli.USAGE, "must not carry user:password@");
    assertFalse(
        withPassword.err().contains("hunter2"),
        "the password is not echoed: " + withPassword.err());
    assertOneClearLine(
        cli.run("subscriber", "add", "--name", "bad\nname", "--url", "https://a.example"),
        Cli.USAGE,
        "--name must not contain control characters");
    assertEquals(0, db.count("SELECT count(*) FROM webhook_subscriber"), "nothing created");
  }

  @Test
  void shouldListStatusesAndNeverPrintUrlCredentials() {
    add("on");
    add("held");
    add("off");
    assertEquals(Cli.OK, cli.run("subscriber", "pause", "held").code());
    db.exec(
        "UPDATE webhook_subscriber SET active = false WHERE name = 'off';"
            // Written by other means than the CLI, e.g. SQL or an older addon: still never shown.
            + " UPDATE webhook_subscriber SET url = 'https://alice:s3cr3t@on.example.com/hooks' WHERE name = 'on'");
    Result list = cli.run("subscriber", "list");
    assertEquals(Cli.OK, list.code(), list.toString());
    assertTrue(list.out().lines().findFirst().orElseThrow().contains("STATUS"), list.out());
    assertTrue(
        list.out().lines().anyMatch(l -> l.contains(" on ") && l.contains(" active ")), list.out());
    assertTrue(
        list.out().lines().anyMatch(l -> l.contains(" held ") && l.contains(" paused ")),
        list.out());
    assertTrue(
        list.out().lines().anyMatch(l -> l.contains(" off ") && l.contains(" inactive ")),
        list.out());
    assertFalse(list.out().contains("alice") || list.out().contains("s3cr3t"), list.out());
    assertTrue(list.out().contains("https://***@on.example.com/hooks"), list.out());
  }

  @Test
  void shouldPauseAndResumeSayingSo() {
    long id = add("crm");
    Result paused = cli.run("subscriber", "pause", "crm");
    assertEquals(Cli.OK, paused.code(), paused.toString());
    assertTrue(paused.out().contains("\"crm\" paused"), paused.out());
    assertEquals(true, row(id).get("paused"));
    assertTrue(cli.run("subscriber", "pause", "crm").out().contains("was paused already"));
    assertEquals(true, row(id).get("active"), "paused is not inactive: events are still routed");
    Result resumed = cli.run("subscriber", "resume", "crm");
    assertEquals(Cli.OK, resumed.code(), resumed.toString());
    assertTrue(resumed.out().contains("\"crm\" resumed: its 0 waiting deliveries"), resumed.out());
    assertEquals(false, row(id).get("paused"));
    assertOneClearLine(
        cli.run("subscriber", "pause", "nobody"),
        Cli.FAILED,
        "There is no subscriber named \"nobody\"");
    assertOneClearLine(cli.run("subscriber", "resume"), Cli.USAGE, "Name one subscriber to resume");
  }

  @Test
  void shouldSayWhatGoesAndRemoveOnlyWithYes() {
    long id = add("crm");
    long other = add("erp");
    insertDelivery(id, 1, "pending");
    insertDelivery(id, 2, "processing");
    long failed = insertDelivery(id, 3, "failed");
    insertDelivery(id, 4, "dead");
    insertDelivery(id, 5, "sent");
    insertDelivery(id, 6, "sent");
    insertDelivery(other, 1, "pending");
    db.exec(
        "INSERT INTO webhook_attempt (delivery_id, attempt, started_at, duration_ms, message_id, error_type, sidecar_id)"
            + " VALUES ("
            + failed
            + ", 1, now(), 5, 'msg_1', 'timeout', 's1'), ("
            + failed
            + ", 2, now(), 5, 'msg_1', 'timeout', 's1')");

    Result asked = cli.run("subscriber", "remove", "crm");
    assertOneClearLine(asked, Cli.USAGE, "add --yes to remove \"crm\"");
    assertTrue(
        asked
            .out()
            .contains(
                "3 open deliveries (pending 1, processing 1, failed 1), 1 dead and 2 sent,"
                    + " with 2 attempts logged"),
        asked.out());
    assertTrue(asked.out().contains("1 in flight now will finish as \"deleted\""), asked.out());
    assertEquals(
        1,
        db.count("SELECT count(*) FROM webhook_subscriber WHERE id = ?", id),
        "nothing removed yet");

    Result removed = cli.run("subscriber", "remove", "crm", "--yes");
    assertEquals(Cli.OK, removed.code(), removed.toString());
    assertTrue(
        removed.out().contains("\"crm\" removed with its 6 deliveries and 2 attempts"),
        removed.out());
    assertEquals(0, db.count("SELECT count(*) FROM webhook_subscriber WHERE id = ?", id));
    assertEquals(0, db.count("SELECT count(*) FROM webhook_delivery WHERE subscriber_id = ?", id));
    assertEquals(0, db.count("SELECT count(*) FROM webhook_attempt"));
    assertEquals(
        1,
        db.count("SELECT count(*) FROM webhook_delivery WHERE subscriber_id = ?", other),
        "others untouched");
    assertOneClearLine(
        cli.run("subscriber", "remove", "crm", "--yes"),
        Cli.FAILED,
        "There is no subscriber named \"crm\"");
  }

  @Test
  void shouldRotateTheSecretKeepingTheOldOneUntilKeepOld() {
    long id = add("crm");
    String first = (String) row(id).get("secret");
    Result r = cli.run("subscriber", "rotate-secret", "crm");
    assertEquals(Cli.OK, r.code(), r.toString());
    Map<String, Object> rotated = row(id);
    String second = (String) rotated.get("secret");
    assertNotEquals(first, second);
    assertNull(WebhookSigner.problemWith(second));
    assertTrue(r.out().contains(second), "the new secret is shown once: " + r.out());
    assertEquals(first, rotated.get("previous_secret"));
    OffsetDateTime expires =
        ((java.sql.Timestamp) rotated.get("previous_secret_expires_at"))
            .toInstant()
            .atOffset(java.time.ZoneOffset.UTC);
    Duration left = Duration.between(OffsetDateTime.now(java.time.ZoneOffset.UTC), expires);
    assertTrue(
        left.compareTo(Duration.ofHours(23)) > 0 && left.compareTo(Duration.ofHours(25)) < 0,
        "24h by default: " + left);

    String given = WebhookSigner.newSecret();
    r = cli.run("subscriber", "rotate-secret", "crm", "--secret", given, "--keep-old", "0s");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertFalse(r.out().contains(given), "a given secret is not printed back");
    assertTrue(r.out().contains("the old secret no longer signs"), r.out());
    rotated = row(id);
    assertEquals(given, rotated.get("secret"));
    assertNull(rotated.get("previous_secret"), "0s drops the old secret at once");
    assertNull(rotated.get("previous_secret_expires_at"));

    assertOneClearLine(
        cli.run("subscriber", "rotate-secret", "crm", "--secret", given),
        Cli.FAILED,
        "current secret");
    assertOneClearLine(
        cli.run("subscriber", "rotate-secret", "crm", "--keep-old", "forever"),
        Cli.USAGE,
        "--keep-old");
    assertOneClearLine(
        cli.run("subscriber", "rotate-secret", "crm", "--secret", "abc"), Cli.USAGE, "whsec_");
    assertOneClearLine(
        cli.run("subscriber", "rotate-secret", "nobody"),
        Cli.FAILED,
        "no subscriber named \"nobody\"");
  }

  private static long insertDelivery(long subscriber, long record, String status) {
    return db.count(
        "INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, status, sent_at,"
            + " locked_until, locked_by, first_event_id, last_event_id, first_captured_at, last_captured_at)"
            + " VALUES (?, 'res.partner', ?, 'write', ?,"
            + " CASE WHEN ? = 'sent' THEN now() END,"
            + " CASE WHEN ? = 'processing' THEN now() + interval '1 minute' END,"
            + " CASE WHEN ? = 'processing' THEN 'another-sidecar' END,"
            + " 1, 1, now(), now()) RETURNING id",
        subscriber,
        record,
        status,
        status,
        status,
        status);
  }
}
