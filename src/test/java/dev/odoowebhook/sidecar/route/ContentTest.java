// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.svix.Webhook;
import dev.odoowebhook.sidecar.support.PipelineTest;
import dev.odoowebhook.sidecar.support.Receiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a delivery carries: captured values, {@code changes} net of merges, the record as it is when
 * sent, and Odoo-domain conditions, end to end through the real capture, router and sender.
 */
class ContentTest extends PipelineTest {
  static final Duration WAIT = Duration.ofSeconds(30);

  @BeforeEach
  void saleOrders() {
    p.db.exec(
        "CREATE TABLE IF NOT EXISTS sale_order (id serial PRIMARY KEY, name varchar,"
            + " state varchar DEFAULT 'draft', amount_total numeric, partner_id integer,"
            + " access_token varchar, write_date timestamp, write_uid integer);"
            + " SET session_replication_role = replica; TRUNCATE sale_order RESTART IDENTITY;"
            + " SET session_replication_role = origin;"
            + " SELECT webhook_track('sale.order');"
            + " SELECT webhook_set_captured_fields('sale.order', ARRAY['state', 'amount_total', 'partner_id']);"
            + " SELECT webhook_set_captured_fields('res.partner', ARRAY['name', 'email', 'credit_limit', 'properties'])");
  }

  private long subscriber(
      String name, String models, String payload, String domain, String fields) {
    return p.db.count(
        "INSERT INTO webhook_subscriber (name, url, secret, models, payload, domain,"
            + " changed_fields_filter) VALUES (?, ?, ?, ?::text[], ?, ?, ?::text[]) RETURNING id",
        name,
        p.receiver.url(),
        p.secret,
        models,
        payload,
        domain,
        fields);
  }

  private void route() {
    p.db.exec("SELECT webhook_route_events(10000)");
  }

  private List<Receiver.Request> awaitRequests(int n) {
    dev.odoowebhook.sidecar.support.Await.until(
        n + " requests", WAIT, () -> p.receiver.requests().size() >= n, p::statuses);
    return p.receiver.requests();
  }

  @Test
  void shouldSendOldAndNewValuesOfAPartnersEmailInChangesMode() throws Exception {
    subscriber("crm", "{res.partner}", "changes", null, null);
    p.db.exec(
        "INSERT INTO res_partner (name, email, credit_limit) VALUES ('Azure', 'old@azure.example', 1000.50)");
    p.startSidecar(Map.of());
    awaitRequests(1);
    p.db.exec("UPDATE res_partner SET email = 'new@azure.example'");
    Receiver.Request r = awaitRequests(2).get(1);
    new Webhook(p.secret)
        .verify(r.body(), r.headers()); // a third-party verifier: the whole body is signed
    JsonNode data = r.data();
    assertEquals("write", data.path("event").asText());
    assertEquals("old@azure.example", data.at("/changes/email/old").asText(), r.body());
    assertEquals("new@azure.example", data.at("/changes/email/new").asText(), r.body());
    assertEquals(
        1, data.path("changes").size(), "only the captured fields that changed: " + r.body());
    JsonNode created = p.receiver.requests().get(0).data();
    assertEquals(
        1000.5, created.at("/changes/credit_limit/new").asDouble(), "numbers stay numbers");
    assertTrue(
        p.receiver.requests().get(0).body().contains("\"new\":1000.50"),
        "an amount keeps its digits: " + p.receiver.requests().get(0).body());
    assertTrue(created.at("/changes/credit_limit/old").isNull());
  }

  @Test
  void shouldDeliverAnOrderOnceWhenItBecomesSale() throws Exception {
    subscriber("sales", "{sale.order}", "changes", "[('state', '=', 'sale')]", "{state}");
    p.startSidecar(Map.of());
    p.db.exec("INSERT INTO sale_order (name, amount_total) VALUES ('S001', 100)");
    p.db.exec("UPDATE sale_order SET amount_total = 150");
    p.db.exec("UPDATE sale_order SET state = 'sale'");
    p.db.exec("UPDATE sale_order SET amount_total = 175"); // still sale, but state did not change
    p.db.exec("INSERT INTO sale_order (name, amount_total) VALUES ('S002', 5)"); // stays draft
    Receiver.Request r = awaitRequests(1).get(0);
    // Everything above is routed once the last write's event is: then nothing more may come.
    dev.odoowebhook.sidecar.support.Await.until(
        "all routed",
        WAIT,
        () -> p.db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0);
    Thread.sleep(300);
    assertEquals(1, p.receiver.requests().size(), p.statuses());
    new Webhook(p.secret).verify(r.body(), r.headers());
    assertEquals("draft", r.data().at("/changes/state/old").asText(), r.body());
    assertEquals("sale", r.data().at("/changes/state/new").asText(), r.body());
    assertEquals(1, p.db.count("SELECT count(*) FROM webhook_delivery"), p.statuses());
  }

  @Test
  void shouldMergeWritesDuringAnOutageIntoTheFirstOldAndTheLastNewValue() {
    subscriber("crm", "{res.partner}", "changes", null, null);
    long id = p.partner("a");
    p.db.exec("UPDATE res_partner SET email = 'one@example.com'");
    route();
    p.db.exec("UPDATE res_partner SET email = 'two@example.com'");
    p.db.exec("UPDATE res_partner SET email = 'three@example.com'");
    p.db.exec("UPDATE res_partner SET email = 'four@example.com'");
    route();
    List<Map<String, Object>> d =
        p.db.rows(
            "SELECT event, coalesced_count, changes->'email'->>'old' AS old, changes->'email'->>'new' AS new"
                + " FROM webhook_delivery WHERE record_id = ?",
            id);
    assertEquals(1, d.size(), d.toString());
    assertEquals("create", d.get(0).get("event"), "create + writes stay a create");
    assertEquals(5, d.get(0).get("coalesced_count"));
    assertEquals(null, d.get(0).get("old"), "a create had no old value");
    assertEquals("four@example.com", d.get(0).get("new"));
    // Once sent, the next writes merge into a write with the first old and the last new value.
    p.db.exec("UPDATE webhook_delivery SET status = 'sent', sent_at = now()");
    p.db.exec("UPDATE res_partner SET email = 'five@example.com'");
    p.db.exec("UPDATE res_partner SET email = 'six@example.com'");
    p.db.exec("UPDATE res_partner SET email = 'seven@example.com'");
    route();
    Map<String, Object> w =
        p.db
            .rows(
                "SELECT event, changes->'email'->>'old' AS old,"
                    + " changes->'email'->>'new' AS new FROM webhook_delivery WHERE status = 'pending'")
            .get(0);
    assertEquals("write", w.get("event"));
    assertEquals("four@example.com", w.get("old"));
    assertEquals("seven@example.com", w.get("new"));
  }

  @Test
  void shouldCarryTheLastValuesOfADeletedRecordAndReadOthersAsTheyAreNow() throws Exception {
    subscriber("mirror", "{res.partner}", "record", null, null);
    p.db.exec("UPDATE webhook_subscriber SET record_fields = '{name,email}'");
    p.db.exec("INSERT INTO res_partner (name, email) VALUES ('Deco', 'deco@example.com')");
    p.startSidecar(Map.of());
    Receiver.Request created = awaitRequests(1).get(0);
    assertEquals("Deco", created.data().at("/record/name").asText(), created.body());
    assertEquals(
        2, created.data().path("record").size(), "only the record fields: " + created.body());
    p.stopSidecar(); // an outage: the write and the unlink merge into one unlink
    p.db.exec("UPDATE res_partner SET email = 'last@example.com'");
    p.db.exec("DELETE FROM res_partner");
    p.startSidecar(Map.of());
    Receiver.Request gone = awaitRequests(2).get(1);
    new Webhook(p.secret).verify(gone.body(), gone.headers());
    assertEquals("unlink", gone.data().path("event").asText());
    assertEquals(
        "last@example.com",
        gone.data().at("/record/email").asText(),
        "the values it had when deleted: " + gone.body());
    assertEquals(
        "deco@example.com",
        gone.data().at("/changes/email/old").asText(),
        "the value before the merged changes: " + gone.body());
  }

  /** The new values the capture recorded in the last event of sale order S1. */
  private Object lastNewValues() {
    return p.db
        .rows(
            "SELECT e.new_values::text AS new_values"
                + " FROM webhook_event e JOIN sale_order o ON o.id = e.record_id"
                + " WHERE e.model = 'sale.order' AND o.name = 'S1' ORDER BY e.id DESC LIMIT 1")
        .get(0)
        .get("new_values");
  }

  @Test
  void shouldRecordTheFieldsAWriteChangedAndThoseADomainNames() {
    p.db.exec("INSERT INTO sale_order (name, state, amount_total) VALUES ('S1', 'draft', 10)");
    p.db.exec("UPDATE sale_order SET amount_total = 20");
    assertEquals(
        "{\"amount_total\": 20}",
        lastNewValues(),
        "no domain: only what the write changed (the event is written in Odoo's transaction)");

    long sales = subscriber("sales", "{sale.order}", "changes", "[('state', '=', 'sale')]", null);
    p.db.exec("UPDATE sale_order SET amount_total = 30");
    assertEquals(
        "{\"state\": \"draft\", \"amount_total\": 30}",
        lastNewValues(),
        "a field a domain names goes with every write, changed or not");

    // Two writes of the record in one transaction: the values of both are kept.
    p.db.exec(
        "BEGIN; UPDATE sale_order SET amount_total = 40; UPDATE sale_order SET partner_id = 7; COMMIT");
    assertEquals(
        "{\"state\": \"draft\", \"partner_id\": 7, \"amount_total\": 40}", lastNewValues());

    p.db.exec("DELETE FROM webhook_subscriber WHERE id = " + sales);
    p.db.exec("UPDATE sale_order SET amount_total = 50");
    assertEquals(
        "{\"amount_total\": 50}",
        lastNewValues(),
        "once no domain names it, it is no longer recorded");
  }

  @Test
  void shouldFillTheDomainFieldsOfSubscribersSavedBeforeTheyWereRecorded() throws Exception {
    subscriber("sales", "{sale.order}", "changes", "[('state', '=', 'sale')]", null);
    // As a database upgraded to V22 is: the column empty, the capture generated without it.
    p.db.exec(
        "SET session_replication_role = replica; UPDATE webhook_subscriber SET domain_fields = NULL;"
            + " SET session_replication_role = origin;"
            + " SELECT webhook_generate_capture_function('sale.order')");
    p.db.exec("INSERT INTO sale_order (name, state, amount_total) VALUES ('S1', 'draft', 10)");
    p.db.exec("UPDATE sale_order SET amount_total = 20");
    assertEquals("{\"amount_total\": 20}", lastNewValues());

    p.db.exec(Files.readString(Path.of("sql", "R__webhook_content.sql"))); // as migrate applies it
    assertEquals(
        "{state}",
        p.db.rows("SELECT domain_fields::text AS f FROM webhook_subscriber").get(0).get("f"));
    p.db.exec("UPDATE sale_order SET amount_total = 30");
    assertEquals("{\"state\": \"draft\", \"amount_total\": 30}", lastNewValues());
  }

  @Test
  void shouldJudgeAnEventCapturedBeforeItsDomainWasSavedOnTheRecordAsItIsNow() {
    p.db.exec(
        "INSERT INTO sale_order (name, state, amount_total) VALUES ('S1', 'sale', 10), ('S2', 'draft', 10)");
    route();
    // Captured while no domain named state: these events do not carry it.
    p.db.exec("UPDATE sale_order SET amount_total = 99");
    assertEquals(
        0,
        p.db.count(
            "SELECT count(*) FROM webhook_event WHERE routed_at IS NULL AND new_values -> 'state' IS NOT NULL"));
    subscriber("sold", "{sale.order}", "changes", "[('state', '=', 'sale')]", null);
    subscriber("unsold", "{sale.order}", "changes", "[('state', '!=', 'sale')]", null);
    route();
    List<Map<String, Object>> d =
        p.db.rows(
            "SELECT s.name AS subscriber, o.name AS record FROM webhook_delivery d"
                + " JOIN webhook_subscriber s ON s.id = d.subscriber_id"
                + " JOIN sale_order o ON o.id = d.record_id ORDER BY s.name");
    assertEquals(
        List.of(
            Map.of("subscriber", "sold", "record", "S1"),
            Map.of("subscriber", "unsold", "record", "S2")),
        d,
        "each order reaches the one subscriber whose domain it matches, none is lost");
  }

  @Test
  void shouldNotMergeAnEventThatDoesNotMatchIntoTheOpenDelivery() {
    subscriber("sales", "{sale.order}", "changes", "[('state', '=', 'sale')]", null);
    p.db.exec("INSERT INTO sale_order (name, state, amount_total) VALUES ('S1', 'sale', 10)");
    route();
    p.db.exec("UPDATE sale_order SET state = 'cancel'");
    route();
    Map<String, Object> d =
        p.db
            .rows(
                "SELECT coalesced_count, changes->'state'->>'new' AS state"
                    + " FROM webhook_delivery")
            .get(0);
    assertEquals(1, d.get("coalesced_count"));
    assertEquals("sale", d.get("state"));
  }

  @Test
  void shouldRefuseDomainsItCannotUseWithOneLineAndSaveNothing() {
    Map<String, String> refused =
        Map.of(
            "[('name', '=', 'x')]", "is not captured",
            "[('state', 'child_of', 1)]", "not supported",
            "[('partner_id.name', '=', 'x')]", "not a field of this model",
            "[('state', '=', context_today())]", "not supported",
            "[('state', '=', 'x'); DROP TABLE sale_order; --]", "unexpected character",
            "[('state', '=', 'x')", "square brackets",
            "['&', ('state', '=', 'x')]", "ends where a term was expected");
    refused.forEach(
        (domain, why) -> {
          IllegalStateException e =
              assertThrows(
                  IllegalStateException.class,
                  () -> subscriber("bad", "{sale.order}", "ids", domain, null),
                  domain);
          assertTrue(e.getMessage().contains("Subscriber \"bad\": "), e.getMessage());
          assertTrue(e.getMessage().contains(why), domain + " -> " + e.getMessage());
        });
    assertThrows(
        IllegalStateException.class,
        () ->
            subscriber("two", "{sale.order,res.partner}", "ids", "[('state', '=', 'sale')]", null));
    assertEquals(0, p.db.count("SELECT count(*) FROM webhook_subscriber"));
    assertEquals(1, p.db.count("SELECT count(*) FROM pg_class WHERE relname = 'sale_order'"));
  }

  @Test
  void shouldCompareHostileDomainTextAsDataOnly() {
    String hostile = "x\") || true || (\"";
    subscriber(
        "sales",
        "{sale.order}",
        "ids",
        "[('state', '=', 'x\") || true || (\"'), ('state', '!=', '\\'; DROP TABLE sale_order; --')]",
        null);
    p.db.exec("INSERT INTO sale_order (name, state) VALUES ('plain', 'draft')");
    p.db.count("INSERT INTO sale_order (name, state) VALUES ('odd', ?) RETURNING id", hostile);
    route();
    List<Map<String, Object>> d = p.db.rows("SELECT record_id FROM webhook_delivery");
    assertEquals(
        List.of(Map.of("record_id", 2L)), d, "only the record whose state is that very text");
    assertEquals(2, p.db.count("SELECT count(*) FROM sale_order"));
  }

  @Test
  void shouldRenderInSqlTheBodyTheSidecarSends() throws Exception {
    subscriber("mirror", "{res.partner}", "record", null, null);
    subscriber("values", "{res.partner}", "changes", null, null);
    subscriber("plain", "{res.partner}", "ids", null, null);
    p.db.exec(
        "INSERT INTO res_partner (name, email, credit_limit) VALUES ('Azure', 'a@azure.example', 12.5)");
    p.startSidecar(Map.of());
    List<Receiver.Request> sent = awaitRequests(3);
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    for (Receiver.Request r : sent) {
      JsonNode body = r.json();
      long delivery = body.at("/data/delivery_id").asLong();
      JsonNode rendered =
          json.readTree(
              p.db.value("SELECT webhook_delivery_body(?)::text", String.class, delivery));
      // Timestamps are the same instants, written by Java and PostgreSQL in their own ways.
      for (String t : List.of("/timestamp", "/data/occurred_at", "/data/first_occurred_at")) {
        assertEquals(
            java.time.Instant.parse(body.at(t).asText()),
            java.time.OffsetDateTime.parse(rendered.at(t).asText()).toInstant(),
            t);
      }
      ((com.fasterxml.jackson.databind.node.ObjectNode) body).remove("timestamp");
      ((com.fasterxml.jackson.databind.node.ObjectNode) rendered).remove("timestamp");
      for (JsonNode b : List.of(body.get("data"), rendered.get("data"))) {
        ((com.fasterxml.jackson.databind.node.ObjectNode) b)
            .remove(List.of("occurred_at", "first_occurred_at"));
      }
      assertEquals(body, rendered, "webhook_delivery_body renders what was sent: " + r.body());
    }
    JsonNode preview =
        json.readTree(
            p.db.value(
                "SELECT webhook_preview_body(s.id, 'res.partner', 1)::text"
                    + " FROM webhook_subscriber s WHERE name = 'mirror'",
                String.class));
    assertEquals("Azure", preview.at("/data/record/name").asText(), preview.toString());
    assertEquals(
        "a@azure.example", preview.at("/data/changes/email/new").asText(), preview.toString());
  }

  @Test
  void shouldRefuseFieldsThatMustNeverLeaveTheDatabase() {
    for (String field : List.of("access_token", "nope")) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  p.db.exec(
                      "SELECT webhook_set_captured_fields('sale.order', ARRAY['state', '"
                          + field
                          + "'])"));
      assertTrue(
          e.getMessage().contains("Cannot use " + field + " as a captured field"), e.getMessage());
    }
    assertEquals(
        List.of("amount_total", "partner_id", "state"),
        p.db.value(
            "SELECT captured_fields FROM webhook_tracked_model WHERE model = 'sale.order'",
            List.class));
    // A field a subscriber's domain uses cannot stop being captured.
    subscriber("sales", "{sale.order}", "ids", "[('amount_total', '>', 100)]", null);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> p.db.exec("SELECT webhook_set_captured_fields('sale.order', ARRAY['state'])"));
    assertTrue(e.getMessage().contains("amount_total"), e.getMessage());
  }
}
