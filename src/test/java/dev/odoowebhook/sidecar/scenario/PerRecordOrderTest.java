// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Pipeline;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.Reconcile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Concurrent writers on a few hot records: per record, one in flight and commit order. */
@Tag("faults")
class PerRecordOrderTest {

  @Test
  void shouldDeliverEachRecordsChangesInCommitOrderOneAtATime() throws Exception {
    try (Pipeline p = new Pipeline()) {
      p.subscribe("erp", "max_concurrency", "16");
      for (int i = 0; i < 5; i++) {
        p.partner("hot " + i);
      }
      Map<Long, AtomicInteger> inFlight = new ConcurrentHashMap<>();
      AtomicInteger maxInFlight = new AtomicInteger();
      p.receiver.respondWith(
          r -> {
            AtomicInteger n =
                inFlight.computeIfAbsent(
                    r.data().get("record_id").asLong(), k -> new AtomicInteger());
            maxInFlight.accumulateAndGet(n.incrementAndGet(), Math::max);
            try {
              Thread.sleep(ThreadLocalRandom.current().nextInt(1, 15));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            n.decrementAndGet();
            return Receiver.Response.ok();
          });
      p.startSidecar(Map.of("WEBHOOK_WORKERS", "16"));

      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        Thread t =
            new Thread(
                () -> {
                  for (int i = 0; i < 150; i++) {
                    long record = ThreadLocalRandom.current().nextLong(1, 6);
                    p.db.exec(
                        "UPDATE res_partner SET email = '"
                            + Thread.currentThread().getName()
                            + i
                            + "' WHERE id = "
                            + record);
                  }
                },
                "w" + w);
        t.start();
        writers.add(t);
      }
      for (Thread t : writers) {
        t.join(60_000);
      }
      Await.until(
          "everything sent",
          Duration.ofSeconds(60),
          () ->
              p.db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0
                  && p.db.count("SELECT count(*) FROM webhook_delivery WHERE status <> 'sent'")
                      == 0,
          p::statuses);

      List<Receiver.Request> got = new ArrayList<>(p.receiver.requests());
      got.sort(Comparator.comparing(Receiver.Request::at));
      Map<Long, Long> lastSeen = new ConcurrentHashMap<>();
      for (Receiver.Request r : got) {
        JsonNode d = r.data();
        long record = d.get("record_id").asLong();
        long previous = lastSeen.getOrDefault(record, 0L);
        assertTrue(
            d.get("first_event_id").asLong() > previous,
            "record "
                + record
                + ": events up to "
                + previous
                + " were already delivered, then "
                + d);
        lastSeen.put(record, d.get("last_event_id").asLong());
      }
      Reconcile result = Reconcile.of(p.db, got);
      System.out.println(
          "per-record order: "
              + result
              + ", at most "
              + maxInFlight.get()
              + " in flight per record");
      assertEquals(1, maxInFlight.get(), "never two deliveries of one record in flight");
      assertEquals(0, result.missing.size(), result.toString());
      assertEquals(0, result.duplicates);
    }
  }
}
