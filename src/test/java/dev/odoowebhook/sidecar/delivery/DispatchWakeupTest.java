// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.PipelineTest;
import dev.odoowebhook.sidecar.support.Receiver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What wakes the dispatcher: new deliveries always; the end of a request or of its recording only
 * while capacity is what it waits for. The fallback poll is set to 5 minutes, so only wake-ups can
 * deliver within these tests' bounds.
 */
class DispatchWakeupTest extends PipelineTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Map<String, String> NO_POLL = Map.of("WEBHOOK_POLL_INTERVAL", "5m");

  @AfterEach
  void clean() {
    p.reset();
  }

  @Test
  void shouldClaimAboutOnceForEachDeliveryOfATrickle() {
    int writes = 10;
    p.subscribe("trickle", "", "");
    Sidecar sidecar = p.startSidecar(NO_POLL);
    p.partner("first");
    p.awaitStatus(1, "sent", WAIT); // started, and its first claims are done
    long claimsBefore = sidecar.metrics().claims.getCount();
    for (int i = 1; i <= writes; i++) {
      p.partner("p" + i);
      p.awaitStatus(1 + i, "sent", WAIT); // one at a time: each is claimed alone
    }
    long claims = sidecar.metrics().claims.getCount() - claimsBefore;
    // Each delivery is claimed when the router makes it. Before, the end of its request and its
    // recording each woke the dispatcher for a claim that found nothing: 3 claims per delivery.
    assertTrue(
        claims >= writes && claims <= writes + writes / 2,
        claims + " claims for " + writes + " deliveries sent one at a time");
  }

  @Test
  void shouldSendASubscribersWaitingDeliveriesAsItsRequestsEndWithoutThePoll() {
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger maxConcurrent = new AtomicInteger();
    p.receiver.respondWith(
        r -> {
          maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          concurrent.decrementAndGet();
          return Receiver.Response.ok();
        });
    // One request at a time: the other four wait, due, for the end of the one in flight.
    p.subscribe("one-at-a-time", "max_concurrency", "1");
    p.startSidecar(NO_POLL);
    // Five records in one commit: one is claimed, four wait for its request to end.
    p.db.exec("INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 5) g");
    p.awaitStatus(5, "sent", WAIT);
    assertEquals(1, maxConcurrent.get(), "never more than max_concurrency in flight");
  }

  @Test
  void shouldSendARecordsNextDeliveryOnceItsDeliveryInFlightIsRecorded() {
    p.receiver.respondWith(
        r -> {
          try {
            Thread.sleep(300);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return Receiver.Response.ok();
        });
    p.subscribe("record", "", "");
    p.startSidecar(NO_POLL);
    long id = p.partner("created");
    Await.until(
        "the create is in flight",
        WAIT,
        () -> p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'processing'") == 1,
        p::statuses);
    // A second delivery of the same record: due at once, blocked while the first is in flight.
    p.db.exec("UPDATE res_partner SET name = 'renamed' WHERE id = " + id);
    p.awaitStatus(2, "sent", WAIT);
    assertEquals(
        "create,write",
        String.join(
            ",", p.answered2xx().stream().map(r -> r.data().get("event").asText()).toList()),
        "in the order of the record's changes");
  }
}
