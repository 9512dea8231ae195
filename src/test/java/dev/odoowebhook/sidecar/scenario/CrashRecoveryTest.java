// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.Reconcile;
import dev.odoowebhook.sidecar.support.SidecarProcess;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Sidecar processes killed with SIGKILL while Odoo keeps writing: nothing is lost. */
@Tag("faults")
@ExtendWith(MigratedDatabase.class)
class CrashRecoveryTest {
  TestDatabase db; // a fresh one per test: sidecars are killed mid-flight
  Receiver receiver;

  @BeforeEach
  void setUp() {
    db.exec("SELECT webhook_track('res.partner')");
    receiver = new Receiver();
    db.addSubscriber(
        "erp",
        receiver.url(),
        WebhookSigner.newSecret(),
        "backoff_base_ms, backoff_factor, max_retries, max_concurrency",
        "200, 1, 100, 16");
  }

  @AfterEach
  void tearDown() {
    receiver.close();
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_POLL_INTERVAL", "500ms");
    env.put("WEBHOOK_LEASE", "2s");
    env.put("WEBHOOK_LEASE_RECOVERY_INTERVAL", "500ms");
    env.put("WEBHOOK_LOG_DELIVERIES", "false");
    return env;
  }

  /** Writes partners (creates, then updates) on a thread of its own until stopped. */
  private Thread writer(AtomicBoolean stop, AtomicInteger writes) {
    Thread t =
        new Thread(
            () -> {
              int i = 0;
              while (!stop.get() && i < 3000) {
                if (i % 3 == 0) {
                  db.exec("INSERT INTO res_partner (name) VALUES ('p" + i + "')");
                } else {
                  db.exec(
                      "UPDATE res_partner SET email = 'e"
                          + i
                          + "' WHERE id = (SELECT max(id) - "
                          + (i % 7)
                          + " FROM res_partner) AND id > 0");
                }
                writes.incrementAndGet();
                i++;
                try {
                  Thread.sleep(3);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "odoo-writer");
    t.start();
    return t;
  }

  @Test
  void shouldDeliverEveryCommittedChangeAcrossKill9Restarts() throws Exception {
    // A slow receiver keeps deliveries in flight at the moment of each kill.
    receiver.respondWith(r -> new Receiver.Response(200, Map.of(), "ok", 50));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger writes = new AtomicInteger();
    Thread writer = writer(stop, writes);
    int kills = 0;
    for (int round = 0; round < 3; round++) {
      try (SidecarProcess sidecar = SidecarProcess.start(env())) {
        int before = receiver.requests().size();
        Await.until(
            "the sidecar to deliver",
            Duration.ofSeconds(30),
            () -> receiver.requests().size() > before + 20,
            sidecar::log);
        long inFlight =
            db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'processing'");
        sidecar.kill();
        kills++;
        assertTrue(inFlight > 0 || round > 0, "the first kill should hit deliveries in flight");
      }
    }
    stop.set(true);
    writer.join(10_000);
    try (SidecarProcess last = SidecarProcess.start(env())) {
      Await.until(
          "the backlog to drain",
          Duration.ofSeconds(60),
          () ->
              db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0
                  && db.count("SELECT count(*) FROM webhook_delivery WHERE status <> 'sent'") == 0,
          () ->
              db.rows("SELECT status, count(*) FROM webhook_delivery GROUP BY status").toString()
                  + "\n"
                  + last.log());
      Reconcile result = Reconcile.of(db, receiver.requests());
      System.out.println("kill -9 x" + kills + ", " + writes.get() + " writes: " + result);
      assertEquals(3, kills);
      assertTrue(result.events > 100, result.toString());
      assertEquals(0, result.missing.size(), result.toString());
      assertEquals(0, last.terminate(30), "exit code after SIGTERM");
    }
  }

  @Test
  void shouldFinishTheWorkOfOneOfThreeSidecarsKilledMidRun() throws Exception {
    receiver.respondWith(r -> new Receiver.Response(200, Map.of(), "ok", 30));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger writes = new AtomicInteger();
    Thread writer = writer(stop, writes);
    SidecarProcess[] sidecars = new SidecarProcess[3];
    try {
      for (int i = 0; i < 3; i++) {
        Map<String, String> env = env();
        env.put("WEBHOOK_INSTANCE_ID", "sidecar-" + i);
        // A sidecar holds at most twice its workers claimed and not recorded (DispatchDeliveries):
        // with 8, what the killed one can have sent without recording it is at most 16.
        env.put("WEBHOOK_WORKERS", "8");
        sidecars[i] = SidecarProcess.start(env);
      }
      Await.until(
          "all three delivering",
          Duration.ofSeconds(60),
          () -> db.count("SELECT count(DISTINCT sidecar_id) FROM webhook_attempt") == 3,
          sidecars[0]::log);
      sidecars[1].kill();
      Thread.sleep(2_000);
      stop.set(true);
      writer.join(10_000);
      Await.until(
          "the survivors to finish",
          Duration.ofSeconds(60),
          () ->
              db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL") == 0
                  && db.count("SELECT count(*) FROM webhook_delivery WHERE status <> 'sent'") == 0,
          () ->
              db.rows("SELECT status, count(*) FROM webhook_delivery GROUP BY status").toString());
      Reconcile result = Reconcile.of(db, receiver.requests());
      System.out.println("three sidecars, one killed: " + writes.get() + " writes: " + result);
      assertEquals(0, result.missing.size(), result.toString());
      assertTrue(
          result.duplicates <= 16,
          "duplicates bounded by what the killed one had claimed and not recorded: " + result);
    } finally {
      stop.set(true);
      for (SidecarProcess s : sidecars) {
        if (s != null) {
          s.close();
        }
      }
    }
  }
}
