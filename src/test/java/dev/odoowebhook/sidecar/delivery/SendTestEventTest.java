// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.svix.Webhook;
import com.svix.exceptions.WebhookVerificationException;
import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.cli.Cli;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.CommandLine.Result;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * "Send test event" with a real record's body (webhook_send_test_event(subscriber, model, id) and
 * `subscriber test`), through the real router, an in-process sidecar and a real receiver: the body
 * is the record's in the subscriber's payload mode, signed, marked data.test = true, sent to that
 * subscriber only, and the record's real deliveries go on untouched beside it.
 */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class SendTestEventTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static TestDatabase db;
  static CommandLine cli;
  Receiver receiver;
  Sidecar sidecar;
  final Map<String, String> secrets = new HashMap<>();

  @BeforeEach
  void setUp() {
    db.exec(
        "SELECT webhook_track('res.partner'); TRUNCATE res_partner RESTART IDENTITY;"
            + " TRUNCATE webhook_subscriber, webhook_event CASCADE;"
            + " SELECT webhook_set_captured_fields('res.partner', ARRAY['name', 'email'])");
    receiver = new Receiver();
  }

  @AfterEach
  void tearDown() {
    if (sidecar != null) {
      sidecar.stop();
    }
    receiver.close();
  }

  private long subscriber(String name, String payload) {
    String secret = WebhookSigner.newSecret();
    secrets.put(name, secret);
    return db.addSubscriber(
        name,
        receiver.url("/" + name),
        secret,
        "models, payload",
        "'{res.partner}', '" + payload + "'");
  }

  private long sendTest(long subscriber, String model, long recordId) {
    return db.count("SELECT webhook_send_test_event(?, ?, ?)", subscriber, model, recordId);
  }

  private List<Receiver.Request> to(String name) {
    return receiver.requests().stream().filter(r -> r.path().equals("/" + name)).toList();
  }

  private JsonNode testTo(String name) {
    List<JsonNode> tests =
        to(name).stream()
            .map(Receiver.Request::data)
            .filter(d -> d.path("test").asBoolean(false))
            .toList();
    assertEquals(1, tests.size(), name + " got one test: " + receiver.requests());
    return tests.get(0);
  }

  private String statuses() {
    return db.rows(
            "SELECT id, subscriber_id, model, record_id, event, status FROM webhook_delivery")
        .toString();
  }

  @Test
  void shouldSendTheRecordsBodySignedToThatSubscriberOnlyBesideItsRealDeliveries()
      throws Exception {
    db.exec("INSERT INTO res_partner (name, email) VALUES ('Azure', 'old@azure.example')");
    db.exec("SELECT webhook_route_events()"); // no subscriber yet: nothing to deliver
    long values = subscriber("values", "changes");
    subscriber("mirror", "record");
    long plain = subscriber("plain", "ids");
    subscriber("other", "ids");

    sendTest(values, "res.partner", 1);
    Result queued = cli.run("subscriber", "test", "mirror", "--model", "res.partner", "--id", "1");
    assertEquals(Cli.OK, queued.code(), queued.toString());
    assertTrue(queued.out().contains("res.partner #1"), queued.out());
    sendTest(plain, "res.partner", 1);
    Result fixed = cli.run("subscriber", "test", "plain"); // the one-argument form still works
    assertEquals(Cli.OK, fixed.code(), fixed.toString());
    // A real change after the tests were queued: its deliveries go to every subscriber, apart.
    db.exec("UPDATE res_partner SET email = 'new@azure.example'");
    db.exec("SELECT webhook_route_events()");
    assertEquals(
        4,
        db.count("SELECT count(*) FROM webhook_delivery WHERE model = 'res.partner' AND NOT test"));
    // The tests name the real model, marked by the test column; the fixed one names webhook.test.
    assertEquals(
        3, db.count("SELECT count(*) FROM webhook_delivery WHERE model = 'res.partner' AND test"));
    assertEquals(
        1, db.count("SELECT count(*) FROM webhook_delivery WHERE model = 'webhook.test' AND test"));

    sidecar = Sidecar.start(db.config(Map.of()));
    Await.until(
        "every delivery sent",
        WAIT,
        () -> db.count("SELECT count(*) FROM webhook_delivery WHERE status <> 'sent'") == 0,
        this::statuses);
    assertEquals(8, receiver.requests().size(), "4 tests and 4 real: " + receiver.requests());

    for (String name : List.of("values", "mirror", "plain", "other")) {
      for (Receiver.Request r : to(name)) {
        new Webhook(secrets.get(name)).verify(r.body(), r.headers()); // Svix's verifier
      }
      JsonNode real =
          to(name).stream()
              .map(Receiver.Request::data)
              .filter(d -> !d.has("test"))
              .findFirst()
              .orElseThrow();
      assertEquals("write", real.path("event").asText(), real.toString());
      assertEquals(1, real.path("coalesced_count").asInt(), "no test merged in: " + real);
    }
    Receiver.Request signed = to("values").get(0);
    assertThrows(
        WebhookVerificationException.class,
        () -> new Webhook(secrets.get("other")).verify(signed.body(), signed.headers()),
        "the check is real");
    assertTrue(to("other").stream().noneMatch(r -> r.data().has("test")), "tests went to one");

    JsonNode changes = testTo("values");
    assertEquals("res.partner", changes.path("model").asText(), changes.toString());
    assertEquals(1, changes.path("record_id").asLong());
    assertEquals("create", changes.path("event").asText());
    assertEquals(0, changes.path("last_event_id").asLong(), "no event is behind a test");
    assertEquals("old@azure.example", changes.at("/changes/email/new").asText(), "values then");
    assertTrue(changes.at("/changes/email/old").isNull(), changes.toString());
    JsonNode record = testTo("mirror");
    assertEquals("new@azure.example", record.at("/record/email").asText(), "read when sent");
    assertEquals("Azure", record.at("/record/name").asText());
    List<JsonNode> plainTests =
        to("plain").stream().map(Receiver.Request::data).filter(d -> d.has("test")).toList();
    assertEquals(2, plainTests.size(), plainTests.toString());
    assertTrue(
        plainTests.stream()
            .anyMatch(d -> d.path("model").asText().equals("res.partner") && !d.has("changes")),
        "the ids body of the record: " + plainTests);
    assertTrue(
        plainTests.stream().anyMatch(d -> d.path("model").asText().equals("webhook.test")),
        "the fixed test event: " + plainTests);

    // The addon's delivery form renders what was sent.
    ObjectMapper json = new ObjectMapper();
    for (Receiver.Request r : List.of(to("values").get(0), to("plain").get(0))) {
      JsonNode sent = r.data();
      JsonNode rendered =
          json.readTree(
                  db.value(
                      "SELECT webhook_delivery_body(?)::text",
                      String.class,
                      sent.path("delivery_id").asLong()))
              .get("data");
      for (String field : List.of("model", "record_id", "event", "test", "changes")) {
        assertEquals(sent.get(field), rendered.get(field), field + " of " + sent);
      }
    }
  }

  @Test
  void shouldRefuseWhatCannotBeSentWithOneLineAndChangeNothing() throws Exception {
    db.exec("INSERT INTO res_partner (name) VALUES ('Azure')");
    long crm = subscriber("crm", "changes");
    db.exec("SELECT webhook_route_events()");
    assertEquals(1, db.count("SELECT count(*) FROM webhook_delivery"), "the real create");

    CommandLine.assertOneClearLine(
        cli.run("subscriber", "test", "crm", "--model", "res.partner", "--id", "999"),
        Cli.FAILED,
        "Record 999 of res.partner does not exist");
    CommandLine.assertOneClearLine(
        cli.run("subscriber", "test", "crm", "--model", "sale.order", "--id", "1"),
        Cli.FAILED,
        "Subscriber \"crm\" does not receive sale.order: choose a record of res.partner");
    CommandLine.assertOneClearLine(
        cli.run("subscriber", "test", "crm", "--model", "res.partner"),
        Cli.USAGE,
        "Give --model and --id together");
    CommandLine.assertOneClearLine(
        cli.run("subscriber", "test", "nobody"), Cli.FAILED, "no subscriber named \"nobody\"");
    db.exec("UPDATE webhook_subscriber SET models = NULL"); // every tracked model
    assertEquals(
        "22023",
        sqlStateOf("SELECT webhook_send_test_event(" + crm + ", 'res.users', 1)"),
        "a model that is not tracked is not received");
    assertEquals(1, db.count("SELECT count(*) FROM webhook_delivery"), "nothing was queued");

    // Beside the record's open real delivery, and again while the first test waits: one test.
    long first = sendTest(crm, "res.partner", 1);
    long again = sendTest(crm, "res.partner", 1);
    assertEquals(first, again, "the waiting test is sent again, not doubled");
    assertEquals(
        List.of(Map.of("model", "res.partner", "event", "create", "coalesced_count", 1)),
        db.rows(
            "SELECT model, event, coalesced_count FROM webhook_delivery"
                + " WHERE status = 'pending' AND model = 'res.partner' AND NOT test"),
        "the real delivery is as the router left it");
    assertEquals(
        "true",
        db.value("SELECT webhook_delivery_body(?) #>> '{data,test}'", String.class, first),
        "marked as a test");
  }

  @Test
  void shouldTurnTheOldModelMarkIntoTheTestColumnWhenMigrated() throws Exception {
    long crm = subscriber("crm", "ids");
    // Rows as the releases before V21 stored tests: the mark in the model column.
    for (String model : List.of("webhook.test:res.partner", "webhook.test", "res.partner")) {
      db.exec(
          "INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, first_event_id,"
              + " last_event_id, first_captured_at, last_captured_at) VALUES ("
              + crm
              + ", '"
              + model
              + "', 1, 'create', 0, 0, now(), now())");
    }
    db.exec(Files.readString(Path.of("sql", "V21__webhook_delivery_test.sql")));
    assertEquals(
        List.of(
            Map.of("model", "res.partner", "test", true),
            Map.of("model", "webhook.test", "test", true),
            Map.of("model", "res.partner", "test", false)),
        db.rows("SELECT model, test FROM webhook_delivery ORDER BY id"),
        "the real model, marked as a test; real deliveries untouched");
  }

  private String sqlStateOf(String sql) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.execute();
      return "none";
    } catch (SQLException e) {
      return e.getSQLState();
    }
  }
}
