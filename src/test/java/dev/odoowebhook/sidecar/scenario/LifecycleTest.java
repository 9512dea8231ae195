// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.SidecarProcess;
import dev.odoowebhook.sidecar.support.TcpProxy;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Start-up and shutdown of a real sidecar process. */
@Tag("faults")
@ExtendWith(MigratedDatabase.class)
class LifecycleTest {
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
        "max_concurrency, timeout_ms",
        "16, 60000");
  }

  @AfterEach
  void tearDown() {
    receiver.close();
  }

  private Map<String, String> env(String grace) {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_POLL_INTERVAL", "500ms");
    env.put("WEBHOOK_SHUTDOWN_GRACE", grace);
    return env;
  }

  @Test
  void shouldFinishInFlightDeliveriesOnSigtermAndExitZero() throws Exception {
    receiver.respondWith(r -> new Receiver.Response(200, Map.of(), "ok", 1_500));
    try (SidecarProcess sidecar = SidecarProcess.start(env("10s"))) {
      Await.until(
          "the sidecar up",
          Duration.ofSeconds(30),
          () -> db.count("SELECT count(*) FROM webhook_sidecar_instance") == 1,
          sidecar::log);
      db.exec("INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 5) g");
      Await.until(
          "5 deliveries in flight",
          Duration.ofSeconds(20),
          () -> db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'processing'") == 5,
          sidecar::log);
      assertEquals(0, sidecar.terminate(30), sidecar.log());
      assertEquals(
          5,
          db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'sent'"),
          sidecar.log());
      assertEquals(5, receiver.requests().size());
      assertTrue(
          db.value("SELECT stopped_at IS NOT NULL FROM webhook_sidecar_instance", Boolean.class));
      assertFalse(sidecar.log().contains("\tat "), "no stack trace in the log:\n" + sidecar.log());
    }
  }

  @Test
  void shouldGiveBackWhatDoesNotFinishWithinTheGrace() throws Exception {
    receiver.respondWith(r -> new Receiver.Response(200, Map.of(), "ok", 20_000));
    try (SidecarProcess sidecar = SidecarProcess.start(env("1s"))) {
      db.exec("INSERT INTO res_partner (name) VALUES ('slow')");
      Await.until(
          "in flight",
          Duration.ofSeconds(30),
          () -> db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'processing'") == 1,
          sidecar::log);
      long start = System.nanoTime();
      assertEquals(0, sidecar.terminate(30), sidecar.log());
      assertTrue(System.nanoTime() - start < 10_000_000_000L, "bounded by the grace");
      Map<String, Object> d =
          db.rows("SELECT status, attempts, locked_by FROM webhook_delivery").get(0);
      assertEquals("pending", d.get("status"), "given back, not left in processing: " + d);
      assertEquals(0, d.get("attempts"), "an abandoned attempt is not counted");
      assertFalse(
          sidecar.log().contains("WARN"), "the abandoned request is no failure:\n" + sidecar.log());
    }
  }

  @Test
  void shouldWaitForTheDatabaseAtStartSayingSoOncePerAttempt() throws Exception {
    URI pg = URI.create(db.url().substring("jdbc:".length()));
    try (TcpProxy proxy = new TcpProxy(pg.getHost(), pg.getPort())) {
      proxy.cut();
      Map<String, String> env = env("2s");
      env.put("WEBHOOK_DB_URL", "jdbc:postgresql://127.0.0.1:" + proxy.port() + pg.getPath());
      try (SidecarProcess sidecar = SidecarProcess.start(env)) {
        Await.until(
            "two attempts reported",
            Duration.ofSeconds(30),
            () -> sidecar.log().split("Waiting for the database", -1).length > 2,
            sidecar::log);
        proxy.restore();
        Await.until(
            "running",
            Duration.ofSeconds(60),
            () -> sidecar.log().contains("running."),
            sidecar::log);
        String log = sidecar.log();
        assertTrue(
            log.contains(
                "Cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:" + proxy.port()),
            log);
        assertFalse(log.contains("\tat "), "no stack trace:\n" + log);
        db.exec("INSERT INTO res_partner (name) VALUES ('after the wait')");
        Await.until(
            "delivered",
            Duration.ofSeconds(20),
            () -> receiver.requests().size() == 1,
            sidecar::log);
        assertEquals(0, sidecar.terminate(30));
      }
    }
  }
}
