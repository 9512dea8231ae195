// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import static dev.odoowebhook.sidecar.support.CommandLine.assertOneClearLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.CommandLine.Result;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Broker credentials from the command line (`subscriber add | update` with --broker-user,
 * --broker-password, --broker-token, --no-broker-credentials), as a process, on a real database:
 * secrets read from the environment, a file or stdin, never printed, refused with one line when
 * they do not fit the URL, all or nothing.
 */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class BrokerCredentialsCliTest {
  static TestDatabase db;
  static CommandLine cli;

  private static final String NATS = "nats://127.0.0.1:4222/odoo.changes";
  private static final String KAFKA_SASL = "kafka://127.0.0.1:9092/odoo.changes?sasl=PLAIN";
  private static final Map<String, String> PW = Map.of("BROKER_PW", "pw-from-env");

  @BeforeEach
  void noSubscribers() {
    db.exec("SELECT webhook_track('res.partner'); TRUNCATE webhook_subscriber CASCADE");
  }

  private static Result run(Map<String, String> env, String stdin, String... args) {
    return cli.runWith(env, stdin, args);
  }

  private static Result ok(Map<String, String> env, String stdin, String... args) {
    Result r = run(env, stdin, args);
    assertEquals(Cli.OK, r.code(), r.toString());
    return r;
  }

  /** The stored credentials of a subscriber: [username, password, token], or none. */
  private static List<Object> stored(String name) {
    List<Map<String, Object>> rows =
        db.rows(
            "SELECT c.username, c.password, c.token FROM webhook_broker_credential c"
                + " JOIN webhook_subscriber s ON s.id = c.subscriber_id WHERE s.name = ?",
            name);
    return rows.isEmpty()
        ? List.of()
        : Arrays.asList(
            rows.get(0).get("username"), rows.get(0).get("password"), rows.get(0).get("token"));
  }

  /** Everything a refusal must leave as it was. */
  private static String snapshot() {
    return db.rows(
            "SELECT s.*, c.* FROM webhook_subscriber s"
                + " LEFT JOIN webhook_broker_credential c ON c.subscriber_id = s.id ORDER BY s.id")
        .toString();
  }

  /** One clear line, the secret nowhere in the output, and nothing changed. */
  private static void assertRefused(String expected, Map<String, String> env, String... args) {
    String before = snapshot();
    Result r = run(env, null, args);
    assertOneClearLine(r, Cli.USAGE, expected);
    assertFalse((r.out() + r.err()).contains("pw-from-env"), r.toString());
    assertEquals(before, snapshot(), "nothing changed by `" + String.join(" ", args) + "`");
  }

  /** A nats:// subscriber "events" with a user and the password of $BROKER_PW. */
  private static Result addEvents() {
    return ok(
        PW,
        null,
        "subscriber",
        "add",
        "--name",
        "events",
        "--url",
        NATS,
        "--broker-user",
        "svc-odoo",
        "--broker-password",
        "env:BROKER_PW");
  }

  /** {@link #assertRefused} of `subscriber update events OPTIONS...`. */
  private static void assertUpdateRefused(
      String expected, Map<String, String> env, String... options) {
    List<String> args = new java.util.ArrayList<>(List.of("subscriber", "update", "events"));
    args.addAll(List.of(options));
    assertRefused(expected, env, args.toArray(String[]::new));
  }

  @Test
  void shouldStoreCredentialsReadFromTheEnvironmentAFileOrStdinAndNeverPrintThem()
      throws IOException {
    Result added = addEvents();
    assertTrue(added.out().contains("with broker credentials"), added.out());
    assertEquals(List.of("svc-odoo", "pw-from-env"), stored("events").subList(0, 2));

    Path token = Files.createTempFile("broker-token-", ".txt");
    try {
      Files.writeString(token, "tok-from-file\n");
      Result updated =
          ok(Map.of(), null, "subscriber", "update", "events", "--broker-token", "file:" + token);
      assertTrue(updated.out().contains("updated: broker credentials"), updated.out());
      assertEquals(
          Arrays.asList(null, null, "tok-from-file"),
          stored("events"),
          "replaced as a whole; the file's line break dropped");
    } finally {
      Files.delete(token);
    }

    ok(
        Map.of(),
        "pw-from-stdin\n",
        "subscriber",
        "update",
        "events",
        "--broker-user",
        "svc-2",
        "--broker-password",
        "stdin");
    assertEquals(Arrays.asList("svc-2", "pw-from-stdin", null), stored("events"));

    ok(
        PW,
        null,
        "subscriber",
        "add",
        "--name",
        "warehouse",
        "--url",
        KAFKA_SASL,
        "--broker-user",
        "svc-kafka",
        "--broker-password",
        "env:BROKER_PW");
    assertEquals(Arrays.asList("svc-kafka", "pw-from-env", null), stored("warehouse"));
    ok(Map.of(), null, "subscriber", "add", "--name", "crm", "--url", "https://crm.example/in");

    Result list = ok(Map.of(), null, "subscriber", "list");
    for (String secret : List.of("pw-from-env", "pw-from-stdin", "tok-from-file")) {
      assertFalse(list.out().contains(secret), list.out());
    }
    assertTrue(list.out().lines().findFirst().orElseThrow().contains("CREDENTIALS"), list.out());
    assertTrue(line(list, "events").contains(" set "), list.out());
    assertTrue(line(list, "warehouse").contains(" set "), list.out());
    assertTrue(line(list, "crm").contains(" - "), list.out());

    ok(Map.of(), null, "subscriber", "update", "events", "--no-broker-credentials");
    assertEquals(List.of(), stored("events"));
    assertTrue(line(ok(Map.of(), null, "subscriber", "list"), "events").contains(" - "));
  }

  private static String line(Result list, String name) {
    return list.out().lines().filter(l -> l.contains(" " + name + " ")).findFirst().orElseThrow();
  }

  @Test
  void shouldRefuseCredentialsThatDoNotFitWithOneLineAndChangeNothing() throws IOException {
    addEvents();
    assertRefused(
        "Broker credentials apply to kafka:// and nats:// URLs only",
        PW,
        "subscriber",
        "add",
        "--name",
        "crm",
        "--url",
        "https://crm.example/in",
        "--broker-user",
        "svc",
        "--broker-password",
        "env:BROKER_PW");
    assertRefused(
        "add ?sasl=PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 to the URL",
        PW,
        "subscriber",
        "add",
        "--name",
        "k",
        "--url",
        "kafka://127.0.0.1:9092/odoo",
        "--broker-user",
        "svc",
        "--broker-password",
        "env:BROKER_PW");
    assertRefused(
        "it needs a user name and password",
        Map.of(),
        "subscriber",
        "add",
        "--name",
        "k",
        "--url",
        KAFKA_SASL);
    assertRefused(
        "Kafka takes a user name and password (SASL), not a token",
        PW,
        "subscriber",
        "add",
        "--name",
        "k",
        "--url",
        KAFKA_SASL,
        "--broker-token",
        "env:BROKER_PW");
    assertUpdateRefused(
        "A broker password needs a user name", PW, "--broker-password", "env:BROKER_PW");
    assertUpdateRefused(
        "a user name and password, or a token, not both",
        PW,
        "--broker-user",
        "svc",
        "--broker-password",
        "env:BROKER_PW",
        "--broker-token",
        "env:BROKER_PW");
    assertUpdateRefused(
        "never the secret itself",
        Map.of(),
        "--broker-user",
        "svc",
        "--broker-password",
        "hunter2");
    assertUpdateRefused(
        "the environment variable \"NOT_SET_ANYWHERE\" is not set",
        Map.of(),
        "--broker-token",
        "env:NOT_SET_ANYWHERE");
    Path gone = Files.createTempDirectory("broker-secret-").resolve("missing.txt");
    Files.delete(gone.getParent());
    assertUpdateRefused("there is no such file", Map.of(), "--broker-token", "file:" + gone);
    assertUpdateRefused(
        "cannot both be read from stdin",
        Map.of(),
        "--broker-user",
        "svc",
        "--broker-password",
        "stdin",
        "--broker-token",
        "stdin");
    assertUpdateRefused(
        "The subscriber has broker credentials: give new ones with the URL, or"
            + " --no-broker-credentials",
        Map.of(),
        "--url",
        "https://crm.example/in");
    assertUpdateRefused(
        "--no-broker-credentials removes the broker credentials",
        Map.of(),
        "--no-broker-credentials",
        "--broker-user",
        "x");
    assertRefused(
        "Unknown option --no-broker-credentials",
        Map.of(),
        "subscriber",
        "add",
        "--name",
        "x",
        "--url",
        NATS,
        "--no-broker-credentials");
    assertEquals(List.of("svc-odoo", "pw-from-env"), stored("events").subList(0, 2));

    // The URL and the credentials change together, or not at all.
    ok(
        Map.of(),
        null,
        "subscriber",
        "update",
        "events",
        "--url",
        "https://crm.example/in",
        "--no-broker-credentials");
    assertEquals(List.of(), stored("events"));
  }
}
