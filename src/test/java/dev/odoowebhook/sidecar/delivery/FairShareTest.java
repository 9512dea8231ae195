// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.PipelineTest;
import dev.odoowebhook.sidecar.support.Receiver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Invariant 10: one slow subscriber never takes the others' share of workers. */
class FairShareTest extends PipelineTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void shouldKeepSendingAHealthySubscribersDeliveriesWhileAnotherHangs() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger hanging = new AtomicInteger();
    AtomicInteger maxHanging = new AtomicInteger();
    try (Receiver stuck = new Receiver()) {
      stuck.respondWith(
          r -> {
            maxHanging.accumulateAndGet(hanging.incrementAndGet(), Math::max);
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            hanging.decrementAndGet();
            return Receiver.Response.ok();
          });
      // Concurrency far above the workers and the longest timeout: it would take them all.
      p.db.addSubscriber(
          "hanging", stuck.url(), p.secret, "max_concurrency, timeout_ms", "32, 300000");
      // Paused until the hanging one holds what it can get, so the order of claims cannot help.
      long healthy = p.subscribe("healthy", "paused", "true");
      p.startSidecar(Map.of("WEBHOOK_WORKERS", "8", "WEBHOOK_SHUTDOWN_GRACE", "1s"));
      for (int i = 0; i < 20; i++) {
        p.partner("partner " + i);
      }
      // 8 workers, 2 active subscribers: a share of 4 each.
      Await.until("the hanging subscriber holds its share", WAIT, () -> hanging.get() >= 4);
      p.db.exec("UPDATE webhook_subscriber SET paused = false WHERE id = " + healthy);

      Await.until(
          "20 deliveries of the healthy subscriber sent",
          WAIT,
          () ->
              p.db.count(
                      "SELECT count(*) FROM webhook_delivery WHERE subscriber_id = ? AND status = 'sent'",
                      healthy)
                  == 20,
          p::statuses);
      assertTrue(
          hanging.get() >= 4, "the hanging subscriber still holds its requests: " + hanging.get());
      assertTrue(
          maxHanging.get() <= 4,
          "the hanging subscriber had "
              + maxHanging.get()
              + " requests in flight, more than its share of 4");
    } finally {
      release.countDown();
      p.stopSidecar();
    }
  }
}
