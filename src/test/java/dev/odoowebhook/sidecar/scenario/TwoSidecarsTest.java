// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.Reconcile;
import dev.odoowebhook.sidecar.support.SidecarProcess;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two sidecar processes on one database share the work, each delivery once. */
@Tag("faults")
@ExtendWith(MigratedDatabase.class)
class TwoSidecarsTest {

  @Test
  void shouldShareTheWorkWithoutDuplicates(TestDatabase db) throws Exception {
    try (Receiver receiver = new Receiver()) {
      db.exec("SELECT webhook_track('res.partner')");
      db.addSubscriber("erp", receiver.url(), WebhookSigner.newSecret(), "max_concurrency", "32");
      // 50 ms a request: one sidecar alone needs 2.5 s for the 400 (8 workers), so the other has
      // time to claim its part even on a loaded machine (at 20 ms one once took all of them).
      receiver.respondWith(r -> new Receiver.Response(200, Map.of(), "ok", 50));
      Map<String, String> env = new HashMap<>(db.env());
      env.put("WEBHOOK_POLL_INTERVAL", "500ms");
      env.put("WEBHOOK_WORKERS", "8");
      env.put("WEBHOOK_LOG_DELIVERIES", "false");
      env.put("WEBHOOK_INSTANCE_ID", "sidecar-a");
      try (SidecarProcess a = SidecarProcess.start(env)) {
        env.put("WEBHOOK_INSTANCE_ID", "sidecar-b");
        try (SidecarProcess b = SidecarProcess.start(env)) {
          Await.until(
              "both sidecars up",
              Duration.ofSeconds(30),
              () ->
                  db.count("SELECT count(*) FROM webhook_sidecar_instance WHERE stopped_at IS NULL")
                      == 2,
              () -> a.log() + b.log());
          db.exec("INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 400) g");
          Await.until(
              "400 deliveries sent",
              Duration.ofSeconds(60),
              () -> db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'sent'") == 400,
              () ->
                  db.rows("SELECT status, count(*) FROM webhook_delivery GROUP BY status")
                      .toString());
          Thread.sleep(500); // anything sent twice would arrive now
          Reconcile result = Reconcile.of(db, receiver.requests());
          List<Map<String, Object>> bySidecar =
              db.rows(
                  "SELECT sidecar_id, count(*) AS n FROM webhook_attempt GROUP BY sidecar_id ORDER BY sidecar_id");
          System.out.println("two sidecars: " + result + "; attempts by sidecar " + bySidecar);
          assertEquals(400, result.received, "each delivery exactly once");
          assertEquals(0, result.duplicates);
          assertEquals(0, result.missing.size());
          assertEquals(2, bySidecar.size(), "both sidecars delivered: " + bySidecar);
          assertEquals(0, a.terminate(30));
          assertEquals(0, b.terminate(30));
        }
      }
    }
  }
}
