// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.odoowebhook.sidecar.support.PipelineTest;
import dev.odoowebhook.sidecar.support.Receiver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Invariant 3 whatever the settings: a lease shorter than a request does not let lease recovery put
 * a delivery that is still being sent back in the queue.
 */
class LeaseRenewalTest extends PipelineTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void shouldNeverSendOneRecordTwiceAtOnceWhenTheLeaseIsShorterThanTheRequest() {
    p.subscribe("slow", "", ""); // timeout 10 s
    Map<Long, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger requests = new AtomicInteger();
    p.receiver.respondWith(
        r -> {
          requests.incrementAndGet();
          AtomicInteger n =
              inFlight.computeIfAbsent(
                  r.data().get("record_id").asLong(), k -> new AtomicInteger());
          maxInFlight.accumulateAndGet(n.incrementAndGet(), Math::max);
          try {
            Thread.sleep(6_000); // three leases
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          n.decrementAndGet();
          return Receiver.Response.ok();
        });
    p.startSidecar(
        Map.of(
            "WEBHOOK_LEASE",
            "2s",
            "WEBHOOK_LEASE_RECOVERY_INTERVAL",
            "100ms",
            "WEBHOOK_POLL_INTERVAL",
            "200ms"));
    p.partner("Slow Answer Ltd");
    p.awaitStatus(1, "sent", WAIT);

    assertEquals(1, maxInFlight.get(), "requests in flight at once for the record");
    assertEquals(1, requests.get(), "requests the receiver got");
    assertEquals(1, p.db.count("SELECT attempts FROM webhook_delivery"));
    assertEquals(1, p.db.count("SELECT count(*) FROM webhook_attempt"));
  }
}
