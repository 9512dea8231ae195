// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.PipelineTest;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.Receiver.Response;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Net-effect coalescing: events merge into a record's delivery while it is not sent. */
class CoalescingTest extends PipelineTest {
  static final Duration WAIT = Duration.ofSeconds(30);

  private void route() {
    p.db.exec("SELECT webhook_route_events(10000)");
  }

  @Test
  void shouldMergeCreateAndLaterWritesIntoOneCreate() {
    p.subscribe("crm", "", "");
    long id = p.partner("a");
    p.db.exec("UPDATE res_partner SET email = 'a@example.com'");
    p.db.exec("UPDATE res_partner SET phone = '555'");
    route();
    List<Map<String, Object>> d =
        p.db.rows("SELECT record_id, event, changed_fields, coalesced_count FROM webhook_delivery");
    assertEquals(1, d.size(), d.toString());
    assertEquals(id, d.get(0).get("record_id"));
    assertEquals("create", d.get(0).get("event"));
    assertNull(d.get(0).get("changed_fields"), "a create stands for the whole record");
    assertEquals(3, d.get(0).get("coalesced_count"));
  }

  @Test
  void shouldMergeWritesWithTheUnionOfChangedFields() {
    p.partner("a");
    route(); // the create reaches nobody: the subscriber comes after it
    p.subscribe("crm", "", "");
    p.db.exec("UPDATE res_partner SET email = 'a@example.com'");
    p.db.exec("UPDATE res_partner SET phone = '555'");
    p.db.exec("UPDATE res_partner SET email = 'b@example.com', comment = 'x'");
    route();
    List<Map<String, Object>> d =
        p.db.rows("SELECT event, changed_fields, coalesced_count FROM webhook_delivery");
    assertEquals(
        List.of(
            Map.of(
                "event",
                "write",
                "changed_fields",
                List.of("comment", "email", "phone"),
                "coalesced_count",
                3)),
        d);
  }

  @Test
  void shouldTurnWriteThenUnlinkIntoUnlink() {
    p.partner("a");
    route();
    p.subscribe("crm", "", "");
    p.db.exec("UPDATE res_partner SET email = 'a@example.com'");
    p.db.exec("DELETE FROM res_partner");
    route();
    assertEquals(
        List.of("unlink"),
        p.db.rows("SELECT event FROM webhook_delivery").stream().map(r -> r.get("event")).toList());
  }

  @Test
  void shouldSendNothingForARecordCreatedAndDeletedBeforeItWasSent() {
    p.subscribe("crm", "", "");
    p.partner("short-lived");
    p.db.exec("UPDATE res_partner SET email = 'x'");
    p.db.exec("DELETE FROM res_partner");
    route();
    assertEquals(0, p.db.count("SELECT count(*) FROM webhook_delivery"));
    assertEquals(
        0, p.db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL"), "all routed");
  }

  @Test
  void shouldKeepEventsNoSubscriberWantsAndMarkThem() {
    p.subscribe("orders-only", "models", "ARRAY['sale.order']");
    p.partner("nobody listens");
    route();
    assertEquals(0, p.db.count("SELECT count(*) FROM webhook_delivery"));
    assertEquals(
        1,
        p.db.count(
            "SELECT count(*) FROM webhook_event WHERE delivery_count = 0 AND routed_at IS NOT NULL"));
  }

  @Test
  void shouldRouteOnlyWritesTouchingTheFieldFilter() {
    p.partner("a");
    route();
    p.subscribe("emails", "changed_fields_filter, events", "ARRAY['email'], ARRAY['write']");
    p.db.exec("UPDATE res_partner SET phone = '1'");
    route();
    assertEquals(0, p.db.count("SELECT count(*) FROM webhook_delivery"));
    p.db.exec("UPDATE res_partner SET email = 'e', phone = '2'");
    route();
    assertEquals(1, p.db.count("SELECT count(*) FROM webhook_delivery"));
  }

  @Test
  void shouldDeliverAThousandWritesDuringAnOutageAsOneDeliveryAfterIt() throws Exception {
    p.subscribe("erp", "backoff_base_ms, backoff_factor, max_retries", "200, 1, 100");
    long id = p.partner("busy record");
    p.receiver.respondWith(r -> Response.status(503));
    p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "1000"));
    Await.until(
        "the receiver to be down for the create", WAIT, () -> !p.receiver.requests().isEmpty());

    String[] columns = {"email", "phone", "comment", "credit_limit"};
    try (Connection c = p.db.connect()) {
      for (int i = 0; i < 1000; i++) {
        String col = columns[i % columns.length];
        try (PreparedStatement u =
            c.prepareStatement(
                "UPDATE res_partner SET "
                    + col
                    + " = "
                    + (col.equals("credit_limit") ? "?::numeric" : "?")
                    + " WHERE id = ?")) {
          u.setString(1, Integer.toString(i));
          u.setLong(2, id);
          u.executeUpdate();
        }
      }
    }
    Await.until(
        "all events routed",
        WAIT,
        () -> p.db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0);
    int beforeRecovery = p.receiver.requests().size();
    p.receiver.respondWith(r -> Response.ok());
    p.awaitStatus(1, "sent", WAIT);

    assertEquals(1, p.db.count("SELECT count(*) FROM webhook_delivery"), p.statuses());
    List<Receiver.Request> after =
        p.receiver.requests().subList(beforeRecovery, p.receiver.requests().size());
    List<JsonNode> ok = new ArrayList<>();
    after.forEach(r -> ok.add(r.data()));
    assertEquals(1, ok.size(), "one delivery after recovery, not " + ok.size());
    JsonNode data = ok.get(0);
    // create + 1000 writes: still a create (the receiver never acknowledged it), all counted.
    assertEquals("create", data.get("event").asText());
    assertEquals(1001, data.get("coalesced_count").asInt());
    assertTrue(data.get("last_event_id").asLong() > data.get("first_event_id").asLong());
  }

  @Test
  void shouldMergeWritesDuringAnOutageWithTheUnionOfFields() throws Exception {
    long id = p.partner("known record");
    route();
    p.subscribe("erp", "backoff_base_ms, backoff_factor, max_retries", "200, 1, 100");
    p.receiver.respondWith(r -> Response.status(503));
    p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "1000"));
    String[] columns = {"email", "phone", "comment"};
    for (int i = 0; i < 300; i++) {
      p.db.exec("UPDATE res_partner SET " + columns[i % 3] + " = '" + i + "' WHERE id = " + id);
    }
    Await.until(
        "all events routed",
        WAIT,
        () -> p.db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0);
    int beforeRecovery = p.receiver.requests().size();
    p.receiver.respondWith(r -> Response.ok());
    p.awaitStatus(1, "sent", WAIT);
    List<Receiver.Request> after =
        p.receiver.requests().subList(beforeRecovery, p.receiver.requests().size());
    assertEquals(1, after.size());
    JsonNode data = after.get(0).data();
    assertEquals("write", data.get("event").asText());
    List<String> fields = new ArrayList<>();
    data.get("changed_fields").forEach(f -> fields.add(f.asText()));
    assertEquals(List.of("comment", "email", "phone"), fields);
    assertEquals(300, data.get("coalesced_count").asInt());
  }

  /**
   * The router handles most events of a batch in sets (sql/V8) and the rest one by one. Whatever
   * the mix, routing a batch must give the same deliveries as routing the same events one at a
   * time, in id order: checked on random edits of records whose deliveries are in every state.
   */
  @Test
  void shouldRouteABatchExactlyAsOneEventAtATime() {
    p.subscribe("all", "", "");
    p.subscribe("emails", "changed_fields_filter, events", "ARRAY['email'], ARRAY['write']");
    p.subscribe("lifecycle", "events", "ARRAY['create', 'unlink']");
    p.db.exec("INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 40) g");
    route();
    // Deliveries in every state: sent, in flight, failed after an attempt, dead; the rest pending.
    p.db.exec(
        "UPDATE webhook_delivery SET status = 'sent', sent_at = now() WHERE record_id % 5 = 0");
    p.db.exec(
        "UPDATE webhook_delivery SET status = 'processing', attempts = 1, locked_by = 'x',"
            + " locked_until = now() + interval '1 hour' WHERE record_id % 5 = 1");
    p.db.exec(
        "UPDATE webhook_delivery SET status = 'failed', attempts = 1 WHERE record_id % 5 = 2");
    p.db.exec("UPDATE webhook_delivery SET status = 'dead', attempts = 3 WHERE record_id % 5 = 3");
    java.util.Random random = new java.util.Random(42);
    for (int i = 0; i < 400; i++) {
      long id = 1 + random.nextInt(50); // ids above 40 exist only once inserted below
      switch (random.nextInt(6)) {
        case 0 -> p.db.exec("UPDATE res_partner SET email = 'e" + i + "' WHERE id = " + id);
        case 1 -> p.db.exec("UPDATE res_partner SET phone = 'p" + i + "' WHERE id = " + id);
        case 2 ->
            p.db.exec(
                "UPDATE res_partner SET email = 'e"
                    + i
                    + "', phone = 'p"
                    + i
                    + "' WHERE id = "
                    + id);
        case 3 -> p.db.exec("DELETE FROM res_partner WHERE id = " + id);
        case 4 ->
            p.db.exec(
                "INSERT INTO res_partner (id, name) VALUES ("
                    + id
                    + ", 'again') ON CONFLICT DO NOTHING");
        default ->
            p.db.exec(
                "UPDATE res_partner SET email = 'x"
                    + i
                    + "' WHERE id IN ("
                    + id
                    + ", "
                    + (51 - id)
                    + ")");
      }
    }
    long firstEvent = p.db.count("SELECT min(id) FROM webhook_event WHERE routed_at IS NULL");
    p.db.exec(
        "DROP TABLE IF EXISTS delivery_before; CREATE TABLE delivery_before AS SELECT * FROM webhook_delivery");

    route();
    List<Map<String, Object>> inOneBatch = outcome();
    p.db.exec(
        "DELETE FROM webhook_delivery;"
            + " INSERT INTO webhook_delivery OVERRIDING SYSTEM VALUE SELECT * FROM delivery_before;"
            + " UPDATE webhook_event SET routed_at = NULL, delivery_count = NULL, routed_seq = NULL WHERE id >= "
            + firstEvent);
    while (p.db.count("SELECT webhook_route_events(1)") > 0) {
      // one event per call: no batch, the order of V5
    }
    List<Map<String, Object>> oneByOne = outcome();

    assertTrue(inOneBatch.size() > 40, "the workload made deliveries: " + inOneBatch.size());
    assertEquals(oneByOne, inOneBatch);
    assertEquals(
        0,
        p.db.count(
            "SELECT count(*) FROM (SELECT routed_seq, lag(routed_seq) OVER (ORDER BY id) AS before"
                + " FROM webhook_event WHERE id >= ?) n WHERE routed_seq <= before",
            firstEvent),
        "numbered in id order");
  }

  /** The deliveries and the marks on events, without ids that depend on the order of inserts. */
  private List<Map<String, Object>> outcome() {
    List<Map<String, Object>> all =
        new ArrayList<>(
            p.db.rows(
                "SELECT subscriber_id, model, record_id, event,"
                    + " changed_fields, status, coalesced_count, first_event_id, last_event_id, content_version, attempts"
                    + " FROM webhook_delivery ORDER BY subscriber_id, record_id, first_event_id, status"));
    all.addAll(p.db.rows("SELECT id, delivery_count FROM webhook_event ORDER BY id"));
    return all;
  }

  @Test
  void shouldRouteABacklogLargerThanPostgresqlsLockTableInOneCall() {
    p.subscribe("erp", "", "");
    // 20,000 records: more than max_locks_per_transaction x max_connections (6,400 by default).
    // Regression: one advisory lock per record ran the server out of shared memory.
    p.db.exec("INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 20000) g");
    p.db.exec("SELECT webhook_route_events(20000)");
    assertEquals(
        20000, p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'pending'"));
  }
}
