// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.OwnPostgres;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.Reconcile;
import dev.odoowebhook.sidecar.support.SidecarProcess;
import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL restarted (twice) under a steady write load while a sidecar process runs: its pool and
 * listener recover, the backlog is caught up, and every committed change is delivered. Uses a
 * private cluster so the shared server is never restarted.
 */
@Tag("faults")
class DatabaseRestartTest {

  @Test
  void shouldRecoverFromDatabaseRestartsAndLoseNothing() throws Exception {
    restartTwiceUnderLoad(false);
  }

  /**
   * The router commits without waiting for the WAL flush: a crash may lose a routing, whose events
   * are then routed again. Asserted: nothing committed is lost. (That nothing is sent on a routing
   * a crash could lose rests on the claim's synchronous commit; this test cannot tell it apart.)
   */
  @Test
  void shouldRecoverFromDatabaseCrashesAndLoseNothing() throws Exception {
    restartTwiceUnderLoad(true);
  }

  private void restartTwiceUnderLoad(boolean crash) throws Exception {
    try (OwnPostgres pg = OwnPostgres.start();
        Receiver receiver = new Receiver()) {
      TestDatabase db =
          TestDatabase.createMigrated(TestPostgres.at(pg.url("postgres"), "postgres", ""));
      try {
        db.exec("SELECT webhook_track('res.partner')");
        db.addSubscriber(
            "erp",
            receiver.url(),
            WebhookSigner.newSecret(),
            "backoff_base_ms, backoff_factor",
            "200, 1");
        Map<String, String> env = new HashMap<>(db.env());
        env.put("WEBHOOK_POLL_INTERVAL", "500ms");
        env.put("WEBHOOK_LEASE", "3s");
        env.put("WEBHOOK_LEASE_RECOVERY_INTERVAL", "500ms");
        env.put("WEBHOOK_LOG_DELIVERIES", "false");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger committed = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        try (SidecarProcess sidecar = SidecarProcess.start(env)) {
          Thread writer =
              new Thread(
                  () -> {
                    for (int i = 0; i < 5000 && !stop.get(); i++) {
                      try (Connection c = db.connect()) {
                        c.createStatement()
                            .execute(
                                i % 4 == 0
                                    ? "INSERT INTO res_partner (name) VALUES ('p" + i + "')"
                                    : "UPDATE res_partner SET email = 'e"
                                        + i
                                        + "' WHERE id = (SELECT max(id) FROM res_partner)");
                        committed.incrementAndGet();
                      } catch (SQLException e) {
                        refused
                            .incrementAndGet(); // the database is restarting: nothing was committed
                      }
                      try {
                        Thread.sleep(5);
                      } catch (InterruptedException e) {
                        return;
                      }
                    }
                  });
          writer.start();
          for (int restart = 0; restart < 2; restart++) {
            int before = receiver.requests().size();
            Await.until(
                "deliveries flowing",
                Duration.ofSeconds(30),
                () -> receiver.requests().size() > before + 10,
                sidecar::log);
            if (crash) {
              pg.crashRestart();
            } else {
              pg.restart();
            }
          }
          Thread.sleep(2_000);
          stop.set(true);
          writer.join(30_000);
          Await.until(
              "the backlog caught up",
              Duration.ofSeconds(60),
              () ->
                  db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0
                      && db.count("SELECT count(*) FROM webhook_delivery WHERE status <> 'sent'")
                          == 0,
              () ->
                  db.rows("SELECT status, count(*) FROM webhook_delivery GROUP BY status")
                      + "\n"
                      + sidecar.log());
          assertTrue(sidecar.isAlive(), "the sidecar survived:\n" + sidecar.log());
          Reconcile result = Reconcile.of(db, receiver.requests());
          System.out.println(
              "PostgreSQL "
                  + (crash ? "crashed" : "restarted")
                  + " x2 under load: "
                  + committed.get()
                  + " writes committed, "
                  + refused.get()
                  + " refused during restarts; "
                  + result);
          assertEquals(0, result.missing.size(), result.toString());
          // The LISTEN connection reconnects with a backoff of its own: wait for it, bounded.
          Await.until(
              "the LISTEN connection re-established",
              Duration.ofSeconds(60),
              () -> sidecar.log().contains("LISTEN connection re-established"),
              sidecar::log);
          // A generous bound: this test is about restarts; LifecycleTest holds the drain's timing.
          assertEquals(0, sidecar.terminate(60));
        }
      } finally {
        db.close();
      }
    }
  }
}
