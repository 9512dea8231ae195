// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Pipeline;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.Receiver.Response;
import dev.odoowebhook.sidecar.support.Reconcile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A receiver that misbehaves in every way it can while Odoo writes steadily: errors, 429 with
 * Retry-After, redirects, timeouts, huge and garbage bodies, refused connections. Once it heals,
 * every committed change has been delivered; duplicates come only from attempts the sidecar could
 * not see succeed (timeouts).
 */
@Tag("faults")
class MisbehavingReceiverTest {

  static final String HUGE = "x".repeat(5 * 1024 * 1024);

  @Test
  void shouldDeliverEverythingOnceTheReceiverHeals() throws Exception {
    try (Pipeline p = new Pipeline()) {
      p.subscribe(
          "erp",
          "backoff_base_ms, backoff_factor, max_retries, timeout_ms, max_concurrency",
          "100, 1.5, 100, 400, 8");
      AtomicBoolean chaos = new AtomicBoolean(true);
      Map<String, AtomicInteger> faults = new ConcurrentHashMap<>();
      p.receiver.respondWith(
          r -> {
            if (!chaos.get()) {
              return Response.ok();
            }
            int roll = ThreadLocalRandom.current().nextInt(8);
            String fault =
                List.of("500", "429", "302", "timeout", "huge", "garbage-200", "400", "ok")
                    .get(roll);
            faults.computeIfAbsent(fault, k -> new AtomicInteger()).incrementAndGet();
            switch (fault) {
              case "500":
                return new Response(500, Map.of(), "boom", 0);
              case "429":
                return new Response(429, Map.of("Retry-After", "1"), "slow down", 0);
              case "302":
                return new Response(302, Map.of("Location", "http://127.0.0.1:1/elsewhere"), "", 0);
              case "timeout":
                return new Response(200, Map.of(), "too late", 1_000);
              case "huge":
                return new Response(500, Map.of(), HUGE, 0);
              case "garbage-200":
                return new Response(200, Map.of(), "\u0000\uFFFF not json {{{", 0);
              case "400":
                return new Response(400, Map.of(), "{\"error\":\"bad\"}", 0);
              default:
                return Response.ok();
            }
          });
      p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "20", "WEBHOOK_BREAKER_DELAY", "500ms"));
      for (int i = 0; i < 150; i++) {
        if (i % 3 == 0) {
          p.partner("p" + i);
        } else {
          p.db.exec(
              "UPDATE res_partner SET email = 'e"
                  + i
                  + "' WHERE id = (SELECT max(id) FROM res_partner)");
        }
        Thread.sleep(10);
      }
      Thread.sleep(2_000);
      chaos.set(false);
      Await.until(
          "everything sent after healing",
          Duration.ofSeconds(90),
          () ->
              p.db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0
                  && p.db.count("SELECT count(*) FROM webhook_delivery WHERE status <> 'sent'")
                      == 0,
          p::statuses);
      Thread.sleep(1_500); // requests still in flight (timeouts) land now
      // Delivered = answered 2xx by the receiver, whether or not the sidecar saw the answer in
      // time (a timeout after the receiver's 200 is delivered, and then sent again: a duplicate).
      List<Receiver.Request> delivered =
          p.receiver.requests().stream().filter(Receiver.Request::answered2xx).toList();
      Reconcile result = Reconcile.of(p.db, delivered);
      Map<String, Object> errorTypes = new TreeMap<>();
      p.db
          .rows(
              "SELECT coalesce(error_type, 'ok') AS t, count(*) AS n FROM webhook_attempt GROUP BY 1")
          .forEach(r -> errorTypes.put((String) r.get("t"), r.get("n")));
      System.out.println(
          "misbehaving receiver: faults served "
              + new TreeMap<>(faults)
              + "; attempts by outcome "
              + errorTypes
              + "; "
              + result);
      assertEquals(0, result.missing.size(), result.toString());
      assertTrue(
          result.duplicates <= faults.getOrDefault("timeout", new AtomicInteger()).get(),
          "duplicates only from answers the sidecar timed out on: " + result);
      assertTrue(
          errorTypes.keySet().containsAll(List.of("http_error", "rate_limited", "timeout")),
          errorTypes.toString());
      long excerptMax =
          p.db.count("SELECT coalesce(max(length(response_excerpt)), 0) FROM webhook_attempt");
      assertTrue(excerptMax <= 2048, "response excerpts stay bounded: " + excerptMax);
    }
  }
}
