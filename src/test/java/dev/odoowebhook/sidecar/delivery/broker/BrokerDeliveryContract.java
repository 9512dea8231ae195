// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.svix.Webhook;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.BrokerMessage;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.PipelineTest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every broker destination promises, whatever the broker: a consumer reads what Odoo changed,
 * with the HTTP body and signature, addressed by record; one record's messages stay in commit order
 * under concurrent writers. Each broker's test class says how to make a destination and read it
 * back.
 */
abstract class BrokerDeliveryContract extends PipelineTest {
  static final Duration WAIT = Duration.ofSeconds(60);

  /** A breaker that opens during a broker outage tries again after 1 s, not 30. */
  static final Map<String, String> SIDECAR =
      Map.of("WEBHOOK_LOG_DELIVERIES", "false", "WEBHOOK_BREAKER_DELAY", "1s");

  /** Quick retries, many of them, a short timeout: outages in tests last seconds. */
  static final String COLUMNS = "timeout_ms, backoff_base_ms, backoff_factor, max_retries, payload";

  static final String VALUES = "2000, 100, 1, 100, 'changes'";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A fresh topic or stream for this test; returns the subscriber URL that names it. */
  abstract String newDestination();

  /** Every message at this test's destination, in the broker's order per record. */
  abstract List<BrokerMessage> published();

  /** The Kafka key or NATS subject of a record's messages. */
  abstract String addressOf(String model, long recordId);

  @BeforeEach
  void captureFields() {
    p.db.exec(
        "SELECT webhook_set_captured_fields('res.partner', ARRAY['name', 'email', 'credit_limit'])");
  }

  long subscribe(String name, String url) {
    return p.db.addSubscriber(name, url, p.secret, COLUMNS, VALUES);
  }

  /**
   * `subscriber add NAME --url URL` as a user runs it, with quick retries, these extra options
   * (broker credentials) and this environment and stdin.
   */
  static void addThroughTheCli(
      String name, String url, Map<String, String> env, String stdin, String... options) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "subscriber",
                "add",
                "--name",
                name,
                "--url",
                url,
                "--timeout",
                "2s",
                "--backoff-base",
                "100ms",
                "--backoff-factor",
                "1",
                "--max-retries",
                "100"));
    args.addAll(List.of(options));
    CommandLine.Result r = CommandLine.on(p.db).runWith(env, stdin, args.toArray(String[]::new));
    assertEquals(0, r.code(), r.toString());
  }

  void awaitAllSent(long deliveries) {
    Await.until(
        "all events routed",
        WAIT,
        () -> p.db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0);
    p.awaitStatus(deliveries, "sent", WAIT);
  }

  @Test
  void shouldGiveAConsumerWhatOdooChangedSignedAndAddressedByRecord() throws Exception {
    String url = newDestination();
    subscribe("consumer", url);
    p.startSidecar(SIDECAR);
    long id =
        p.db.count(
            "INSERT INTO res_partner (name, email) VALUES ('Azure', 'info@azure.example') RETURNING id");
    p.awaitStatus(1, "sent", WAIT);
    p.db.exec("UPDATE res_partner SET email = 'sales@azure.example'");
    p.awaitStatus(2, "sent", WAIT);
    p.db.exec("DELETE FROM res_partner");
    p.awaitStatus(3, "sent", WAIT);

    List<BrokerMessage> got = published();
    assertEquals(3, got.size(), got.toString());
    List<String> events = new ArrayList<>();
    for (BrokerMessage m : got) {
      assertEquals(addressOf("res.partner", id), m.address());
      new Webhook(p.secret)
          .verify(m.body(), m.headers()); // any Standard Webhooks library can verify it
      long delivery = m.data().path("delivery_id").asLong();
      assertEquals(
          p.db.value(
              // The id the sidecar recorded for its attempt (Delivery.messageId()).
              "SELECT message_id FROM webhook_attempt WHERE delivery_id = ? ORDER BY id DESC LIMIT 1",
              String.class,
              delivery),
          m.webhookId(),
          "the webhook-id is the delivery's message id");
      assertSameBodyAsHttp(m, delivery);
      events.add(m.data().path("event").asText());
    }
    assertEquals(List.of("create", "write", "unlink"), events);
    JsonNode write = got.get(1).data();
    assertEquals("info@azure.example", write.at("/changes/email/old").asText(), write.toString());
    assertEquals("sales@azure.example", write.at("/changes/email/new").asText(), write.toString());
    assertEquals(
        "sales@azure.example",
        got.get(2).data().at("/changes/email/old").asText(),
        "an unlink carries the last values");
    assertEquals(
        3,
        p.db.count("SELECT count(*) FROM webhook_attempt WHERE error_type IS NULL"),
        "one attempt each, recorded like an HTTP one");
  }

  /** The body is what HTTP would carry: webhook_delivery_body renders the same content. */
  private static void assertSameBodyAsHttp(BrokerMessage m, long delivery) throws Exception {
    JsonNode body = JSON.readTree(m.body());
    JsonNode rendered =
        JSON.readTree(p.db.value("SELECT webhook_delivery_body(?)::text", String.class, delivery));
    for (String t : List.of("/timestamp", "/data/occurred_at", "/data/first_occurred_at")) {
      assertEquals(
          Instant.parse(body.at(t).asText()),
          OffsetDateTime.parse(rendered.at(t).asText()).toInstant(),
          t);
    }
    for (JsonNode n : List.of(body, rendered)) {
      ((ObjectNode) n).remove("timestamp");
      ((ObjectNode) n.get("data")).remove(List.of("occurred_at", "first_occurred_at"));
    }
    assertEquals(rendered, body, m.body());
  }

  @Test
  void shouldKeepEachRecordsOrderUnderConcurrentWriters() throws Exception {
    String url = newDestination();
    subscribe("ordered", url);
    int records = 8;
    for (int i = 0; i < records; i++) {
      p.db.exec("INSERT INTO res_partner (name, credit_limit) VALUES ('p" + i + "', 0)");
    }
    p.startSidecar(SIDECAR);
    // Writers race on the same records; each increment commits after the one before it on that
    // row (the row lock), so a record's credit_limit grows in commit order.
    ExecutorService writers = Executors.newFixedThreadPool(4);
    List<Future<?>> done = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      done.add(
          writers.submit(
              () -> {
                for (int n = 0; n < 40; n++) {
                  long id = 1 + ThreadLocalRandom.current().nextInt(records);
                  p.db.exec(
                      "UPDATE res_partner SET credit_limit = credit_limit + 1 WHERE id = " + id);
                  if (n % 10 == 0) {
                    Thread.sleep(20); // let deliveries go out meanwhile, so there is order to keep
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    writers.shutdown();
    Await.until(
        "all routed and sent",
        WAIT,
        () ->
            p.db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0
                && p.db.count("SELECT count(*) FROM webhook_delivery WHERE status <> 'sent'") == 0,
        p::statuses);

    Map<Long, List<BrokerMessage>> byRecord = new LinkedHashMap<>();
    for (BrokerMessage m : published()) {
      assertEquals(addressOf("res.partner", m.recordId()), m.address());
      byRecord.computeIfAbsent(m.recordId(), k -> new ArrayList<>()).add(m);
    }
    assertEquals(records, byRecord.size());
    byRecord.forEach(
        (id, messages) -> {
          double last = -1;
          String lastId = null;
          for (BrokerMessage m : messages) {
            if (m.webhookId().equals(lastId)) {
              continue; // a redelivery of the same message: consumers drop it by webhook-id
            }
            double value = m.data().at("/changes/credit_limit/new").asDouble();
            assertTrue(
                value > last,
                "record " + id + " went back from " + last + " to " + value + ": " + messages);
            last = value;
            lastId = m.webhookId();
          }
          assertEquals(
              p.db.value(
                  "SELECT credit_limit::float8 FROM res_partner WHERE id = ?", Double.class, id),
              last,
              0.0,
              "the last message of record " + id + " has its committed value");
        });
  }
}
