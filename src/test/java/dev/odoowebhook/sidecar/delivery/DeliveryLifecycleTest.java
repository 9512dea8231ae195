// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.svix.Webhook;
import com.svix.exceptions.WebhookVerificationException;
import dev.odoowebhook.sidecar.cli.Cli;
import dev.odoowebhook.sidecar.persistence.Database;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.PipelineTest;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.Receiver.Response;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** pending -> processing -> sent | failed -> ... -> dead, against a real receiver. */
class DeliveryLifecycleTest extends PipelineTest {
  static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void shouldSendASignedDeliveryThatAThirdPartyVerifierAccepts() throws Exception {
    p.subscribe("crm", "", "");
    p.startSidecar(Map.of());
    long id = p.partner("Azure Interior");
    p.awaitStatus(1, "sent", WAIT);

    Receiver.Request r = p.receiver.requests().get(0);
    new Webhook(p.secret).verify(r.body(), r.headers()); // Svix's verifier: throws if invalid
    assertEquals("application/json", r.header("content-type"));
    assertEquals("res.partner.create", r.json().get("type").asText());
    assertEquals("res.partner", r.data().get("model").asText());
    assertEquals(id, r.data().get("record_id").asLong());
    assertEquals("create", r.data().get("event").asText());
    assertEquals(1, r.data().get("coalesced_count").asInt());
    // A tampered body must not verify: the check is real.
    assertThrows(
        WebhookVerificationException.class,
        () ->
            new Webhook(p.secret)
                .verify(r.body().replace("\"create\"", "\"unlink\""), r.headers()));
    Map<String, Object> attempt = p.db.rows("SELECT * FROM webhook_attempt").get(0);
    assertEquals(200, attempt.get("status_code"));
    assertNull(attempt.get("error_type"));
    assertEquals(r.header("webhook-id"), attempt.get("message_id"));
  }

  @Test
  void shouldSignWithOldAndNewSecretWhileASecretRotates() throws Exception {
    String old = WebhookSigner.newSecret();
    p.subscribe(
        "rotating",
        "previous_secret, previous_secret_expires_at",
        "'" + old + "', now() + interval '1 hour'");
    p.startSidecar(Map.of());
    p.partner("Deco Addict");
    p.awaitStatus(1, "sent", WAIT);
    Receiver.Request r = p.receiver.requests().get(0);
    assertEquals(2, r.header("webhook-signature").split(" ").length);
    new Webhook(p.secret).verify(r.body(), r.headers());
    new Webhook(old).verify(r.body(), r.headers());
  }

  @Test
  void shouldRetryAFailedDeliveryAndRecordBothAttempts() {
    p.subscribe("flaky", "backoff_base_ms", "100");
    AtomicInteger calls = new AtomicInteger();
    p.receiver.respondWith(
        r ->
            calls.incrementAndGet() == 1
                ? new Response(500, Map.of(), "database is locked", 0)
                : Response.ok());
    p.startSidecar(Map.of());
    p.partner("Gemini Furniture");
    p.awaitStatus(1, "sent", WAIT);

    List<Map<String, Object>> attempts =
        p.db.rows(
            "SELECT attempt, status_code, error_type, response_excerpt, message_id, duration_ms FROM webhook_attempt ORDER BY id");
    assertEquals(2, attempts.size());
    assertEquals(500, attempts.get(0).get("status_code"));
    assertEquals("http_error", attempts.get(0).get("error_type"));
    assertEquals("database is locked", attempts.get(0).get("response_excerpt"));
    assertEquals(200, attempts.get(1).get("status_code"));
    assertEquals(List.of(1, 2), attempts.stream().map(a -> a.get("attempt")).toList());
    // Retries of one delivery keep their webhook-id, so receivers can deduplicate.
    assertEquals(attempts.get(0).get("message_id"), attempts.get(1).get("message_id"));
    List<Receiver.Request> got = p.receiver.requests();
    assertEquals(got.get(0).header("webhook-id"), got.get(1).header("webhook-id"));
    assertEquals(got.get(0).body(), got.get(1).body());
  }

  @Test
  void shouldTellWhenTheNextDeliveryIsDueAndThatNoneWaits() throws Exception {
    long sub = p.subscribe("crm", "", "");
    try (Database db = Database.open(p.db.config(Map.of()), 1, "test-store")) {
      assertNextDue(new DeliveryStore(db), sub);
    }
  }

  private void assertNextDue(DeliveryStore store, long sub) throws Exception {
    assertNull(store.nextDueIn(), "nothing waits: the dispatcher sleeps until woken or the poll");
    p.partner("Deco Addict");
    p.db.exec("SELECT webhook_route_events(100)");
    assertEquals(Duration.ZERO, store.nextDueIn(), "a new delivery is due now");
    p.db.exec(
        "SELECT * FROM webhook_claim_deliveries('me', 10, interval '1 minute', ARRAY["
            + sub
            + "::bigint], ARRAY[10])");
    assertNull(store.nextDueIn(), "the only delivery is in flight");
    p.db.exec(
        "UPDATE webhook_delivery SET status = 'failed', locked_by = NULL, locked_until = NULL,"
            + " next_attempt_at = now() + interval '1 hour'");
    Duration due = store.nextDueIn();
    assertTrue(
        due.compareTo(Duration.ofMinutes(59)) > 0 && due.compareTo(Duration.ofMinutes(61)) < 0,
        "due in " + due);
  }

  @Test
  void shouldRetryWhenTheRetryIsDueNotAtTheNextPoll() {
    // The dispatcher keeps when the next delivery is due and reads it again only when it may have
    // changed: a failure must make it read again, or the retry would wait for the poll (60 s).
    p.subscribe("flaky", "backoff_base_ms, backoff_factor", "200, 1");
    AtomicInteger calls = new AtomicInteger();
    p.receiver.respondWith(
        r -> calls.incrementAndGet() == 1 ? Response.status(503) : Response.ok());
    p.startSidecar(Map.of("WEBHOOK_POLL_INTERVAL", "60s"));
    p.partner("Azure Interior");
    p.awaitStatus(1, "sent", WAIT);
    List<Map<String, Object>> attempts =
        p.db.rows("SELECT started_at FROM webhook_attempt ORDER BY id");
    assertEquals(2, attempts.size());
    long gapMs =
        ((Timestamp) attempts.get(1).get("started_at")).getTime()
            - ((Timestamp) attempts.get(0).get("started_at")).getTime();
    assertTrue(gapMs >= 150 && gapMs < 10_000, "retried " + gapMs + " ms after a 200 ms backoff");
  }

  @Test
  void shouldGoDeadAfterMaxRetriesAndBeSentAgainOnReplay() {
    long sub = p.subscribe("down", "max_retries, backoff_base_ms", "2, 50");
    p.receiver.respondWith(r -> Response.status(502));
    p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "100"));
    p.partner("Lumber Inc");
    p.awaitStatus(1, "dead", WAIT);
    assertEquals(
        3, p.db.count("SELECT count(*) FROM webhook_attempt"), "the first attempt and 2 retries");
    assertEquals(3, p.db.count("SELECT attempts FROM webhook_delivery"));
    String deadId = p.receiver.requests().get(0).header("webhook-id");

    p.receiver.respondWith(r -> Response.ok());
    long delivery = p.db.count("SELECT id FROM webhook_delivery WHERE subscriber_id = ?", sub);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        new Cli(p.db.env(), new PrintStream(out, true, StandardCharsets.UTF_8), System.err)
            .run(new String[] {"replay", "--id", Long.toString(delivery)});
    assertEquals(Cli.OK, code);
    assertTrue(
        out.toString(StandardCharsets.UTF_8)
            .contains("Delivery " + delivery + " is pending again"));
    p.awaitStatus(1, "sent", WAIT);
    List<Receiver.Request> got = p.receiver.requests();
    assertNotEquals(
        deadId, got.get(got.size() - 1).header("webhook-id"), "a replay is a new message");
    assertEquals(1, p.db.count("SELECT attempts FROM webhook_delivery"), "replay resets attempts");
  }

  @Test
  void shouldHonourRetryAfterOn429() {
    p.subscribe("busy", "", ""); // default schedule would wait 60 s
    AtomicInteger calls = new AtomicInteger();
    p.receiver.respondWith(
        r ->
            calls.incrementAndGet() == 1
                ? new Response(429, Map.of("Retry-After", "1"), "slow down", 0)
                : Response.ok());
    p.startSidecar(Map.of());
    p.partner("Ready Mat");
    p.awaitStatus(1, "sent", WAIT);
    List<Map<String, Object>> attempts =
        p.db.rows("SELECT started_at, error_type FROM webhook_attempt ORDER BY id");
    assertEquals("rate_limited", attempts.get(0).get("error_type"));
    long gapMs =
        ((Timestamp) attempts.get(1).get("started_at")).getTime()
            - ((Timestamp) attempts.get(0).get("started_at")).getTime();
    assertTrue(gapMs >= 900 && gapMs < 10_000, "waited " + gapMs + " ms for Retry-After: 1");
  }

  @Test
  void shouldGiveUpAt410Gone() {
    p.subscribe("gone", "", "");
    p.receiver.respondWith(r -> Response.status(410));
    p.startSidecar(Map.of());
    p.partner("Wood Corner");
    p.awaitStatus(1, "dead", WAIT);
    assertEquals("gone", p.db.value("SELECT last_error_type FROM webhook_delivery", String.class));
  }

  @Test
  void shouldRecordATimeoutAndNotWaitForever() {
    p.subscribe("slow", "timeout_ms, max_retries", "300, 0");
    p.receiver.respondWith(r -> new Response(200, Map.of(), "late", 2_000));
    p.startSidecar(Map.of());
    p.partner("Slow Co");
    p.awaitStatus(1, "dead", WAIT);
    Map<String, Object> a = p.db.rows("SELECT error_type, duration_ms FROM webhook_attempt").get(0);
    assertEquals("timeout", a.get("error_type"));
    assertTrue(
        (Integer) a.get("duration_ms") < 1_800, "gave up after " + a.get("duration_ms") + " ms");
  }

  @Test
  void shouldLeaveAFailingEndpointAloneWhileItsBreakerIsOpen() {
    p.subscribe("broken", "backoff_base_ms, max_retries", "10, 50");
    p.receiver.respondWith(r -> Response.status(500));
    p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "3", "WEBHOOK_BREAKER_DELAY", "30s"));
    for (int i = 0; i < 5; i++) {
      p.partner("p" + i);
    }
    Await.until("three failures", WAIT, () -> p.receiver.requests().size() >= 3);
    pause(1_000);
    int afterOpening = p.receiver.requests().size();
    // Requests already past the breaker when it opened may still land; nothing after that.
    assertTrue(afterOpening <= 8, afterOpening + " calls: " + p.statuses());
    pause(1_000);
    // Without the breaker, 5 deliveries retried every ~10 ms would have made hundreds of calls.
    assertEquals(afterOpening, p.receiver.requests().size(), p.statuses());
    assertEquals(
        0, p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'processing'"));
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void shouldResumeAfterTheBreakerDelayOnceTheEndpointHeals() {
    p.subscribe("recovering", "backoff_base_ms, backoff_factor, max_retries", "50, 1, 100");
    AtomicInteger calls = new AtomicInteger();
    p.receiver.respondWith(
        r -> calls.incrementAndGet() <= 3 ? Response.status(500) : Response.ok());
    p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "3", "WEBHOOK_BREAKER_DELAY", "500ms"));
    for (int i = 0; i < 5; i++) {
      p.partner("p" + i);
    }
    // Regression: an open breaker whose delay ran out must get its trial call, or it stays open.
    p.awaitStatus(5, "sent", WAIT);
  }

  @Test
  void shouldDrainABacklogWithinASubscribersConcurrencyWithoutTrippingItsBreaker() {
    p.subscribe("narrow", "max_concurrency", "2");
    p.receiver.respondWith(r -> new Response(200, Map.of(), "ok", 5));
    for (int i = 0; i < 200; i++) {
      p.partner("p" + i);
    }
    p.startSidecar(Map.of("WEBHOOK_WORKERS", "32"));
    // Regression: 32 workers racing for 2 bulkhead permits used to count as failures of the
    // subscriber and open its breaker for 30 s.
    p.awaitStatus(200, "sent", WAIT);
    assertEquals(
        200, p.db.count("SELECT count(*) FROM webhook_attempt"), "one attempt each, none failed");
  }

  /**
   * Successes are recorded in batches that never wait for a lock (sql/V9): a batch takes the rows
   * it can and leaves a busy row, or one whose lease another sidecar took, to the one-by-one call,
   * which waits and tells the cases apart.
   */
  @Test
  void shouldRecordSuccessesTogetherAndLeaveBusyOrForeignOnesToTheSingleCall() throws Exception {
    long sub = p.subscribe("crm", "", "");
    for (int i = 0; i < 4; i++) {
      p.partner("p" + i);
    }
    p.db.exec("SELECT webhook_route_events(100)");
    assertEquals(
        4,
        p.db.count(
            "SELECT count(*) FROM webhook_claim_deliveries('me', 10, interval '1 minute',"
                + " ARRAY["
                + sub
                + "::bigint], ARRAY[10])"));
    List<Long> ids =
        p.db.rows("SELECT id FROM webhook_delivery ORDER BY id").stream()
            .map(r -> ((Number) r.get("id")).longValue())
            .toList();
    p.db.exec(
        "UPDATE webhook_delivery SET locked_by = 'other' WHERE id = "
            + ids.get(2)); // lease taken over
    String batch =
        "SELECT * FROM webhook_finish_sent('me', ARRAY"
            + ids
            + "::bigint[],"
            + " ARRAY[now(), now(), now(), now()], ARRAY[5, 6, 7, 8], ARRAY['m1', 'm2', 'm3', 'm4'],"
            + " ARRAY[200, 201, 202, 204], ARRAY['ok', NULL, 'ok', 'ok'])";
    try (java.sql.Connection holder = p.db.connect();
        java.sql.Connection caller = p.db.connect()) {
      holder.setAutoCommit(false);
      holder
          .createStatement()
          .execute("SELECT 1 FROM webhook_delivery WHERE id = " + ids.get(3) + " FOR UPDATE");
      // A batch that waited for the held row would hit this timeout instead of answering.
      caller.createStatement().execute("SET statement_timeout = '5s'");
      List<Long> recorded = new java.util.ArrayList<>();
      try (var rs = caller.createStatement().executeQuery(batch)) {
        while (rs.next()) {
          recorded.add(rs.getLong(1));
        }
      }
      assertEquals(List.of(ids.get(0), ids.get(1)), recorded.stream().sorted().toList());
      holder.rollback();
    }
    assertEquals(
        List.of(
            Map.of("status", "sent", "last_status_code", 200),
            Map.of("status", "sent", "last_status_code", 201),
            Map.of("status", "processing", "last_status_code", -1),
            Map.of("status", "processing", "last_status_code", -1)),
        p.db.rows(
            "SELECT status, coalesce(last_status_code, -1) AS last_status_code FROM webhook_delivery ORDER BY id"));
    assertEquals(
        List.of(
            Map.of("delivery_id", ids.get(0), "attempt", 1, "duration_ms", 5, "message_id", "m1"),
            Map.of("delivery_id", ids.get(1), "attempt", 1, "duration_ms", 6, "message_id", "m2")),
        p.db.rows(
            "SELECT delivery_id, attempt, duration_ms, message_id FROM webhook_attempt ORDER BY delivery_id"));
    // What the batch left: the single call waits for locks and says why it could not record.
    assertEquals(
        "lease_lost",
        p.db.value(
            "SELECT webhook_finish_attempt(?, 'me', true, now(), 7, 'm3', 202,"
                + " NULL, NULL, NULL)",
            String.class,
            ids.get(2)));
    assertEquals(
        "sent",
        p.db.value(
            "SELECT webhook_finish_attempt(?, 'me', true, now(), 8, 'm4', 204,"
                + " NULL, NULL, NULL)",
            String.class,
            ids.get(3)));
  }

  @Test
  void shouldKeepServingOtherSubscribersWhileOneIsSlow() throws Exception {
    try (Receiver slow = new Receiver()) {
      slow.respondWith(r -> new Response(200, Map.of(), "slow", 3_000));
      p.db.addSubscriber("slow", slow.url(), p.secret, "max_concurrency, timeout_ms", "4, 10000");
      p.subscribe("fast", "", "");
      for (int i = 0; i < 100; i++) {
        p.partner("p" + i);
      }
      p.startSidecar(Map.of("WEBHOOK_WORKERS", "8"));
      Await.until(
          "the fast subscriber served",
          WAIT,
          () ->
              p.db.count(
                      "SELECT count(*) FROM webhook_delivery d JOIN webhook_subscriber s ON s.id = d.subscriber_id"
                          + " WHERE s.name = 'fast' AND d.status = 'sent'")
                  == 100,
          p::statuses);
      assertTrue(
          p.db.count(
                  "SELECT count(*) FROM webhook_delivery d JOIN webhook_subscriber s ON s.id = d.subscriber_id"
                      + " WHERE s.name = 'slow' AND d.status = 'sent'")
              < 100,
          "the slow one is still at it: isolation, not luck");
    }
  }
}
