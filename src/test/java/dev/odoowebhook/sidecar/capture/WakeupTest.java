// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.PipelineTest;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** The wake-up handshake of sql/V2 and the LISTEN connection's recovery. */
class WakeupTest extends PipelineTest {
  /** So long that only a notification can explain a prompt delivery. */
  static final Map<String, String> NO_POLLING = Map.of("WEBHOOK_POLL_INTERVAL", "5m");

  private static int notificationsAfterAWrite(Connection listener) throws Exception {
    p.partner("writer");
    Thread.sleep(200);
    PGNotification[] got = listener.unwrap(PGConnection.class).getNotifications(500);
    return got == null ? 0 : got.length;
  }

  @Test
  void shouldNotifyOnlyWhileASidecarWaits() throws Exception {
    try (Connection listener = p.db.connect();
        Connection sidecar = p.db.connect()) {
      listener.createStatement().execute("LISTEN webhook_event");
      assertEquals(
          0, notificationsAfterAWrite(listener), "no sidecar waiting: writers pay no NOTIFY");

      sidecar.createStatement().execute("SELECT webhook_sidecar_try_wait()");
      assertEquals(1, notificationsAfterAWrite(listener), "a waiting sidecar is woken");
      assertTrue(p.db.value("SELECT webhook_sidecar_waiting()", Boolean.class));

      sidecar.createStatement().execute("SELECT webhook_sidecar_stop_wait()");
      assertEquals(0, notificationsAfterAWrite(listener), "a busy sidecar is not notified");
    }
  }

  private static boolean ask(Connection c, String sql) throws Exception {
    try (var rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  @Test
  void shouldTellWhetherASidecarWaitsAndKeepNoLockForAsking() throws Exception {
    try (Connection asker = p.db.connect();
        Connection sidecar = p.db.connect();
        Connection writer = p.db.connect()) {
      assertFalse(ask(asker, "SELECT webhook_sidecar_waiting()"), "none waits");
      // The question tries the lock: it must not keep it, or no sidecar could wait after it.
      assertTrue(ask(sidecar, "SELECT webhook_sidecar_try_wait()"), "asking left nothing held");
      assertTrue(ask(asker, "SELECT webhook_sidecar_waiting()"), "one waits now");
      assertTrue(ask(asker, "SELECT webhook_sidecar_waiting()"), "and still, asked again");
      ask(sidecar, "SELECT webhook_sidecar_stop_wait()");

      writer.setAutoCommit(false);
      writer.createStatement().execute("INSERT INTO res_partner (name) VALUES ('in flight')");
      assertFalse(
          ask(asker, "SELECT webhook_sidecar_waiting()"),
          "an open writer is not a waiting sidecar");
      writer.commit();
      assertTrue(ask(sidecar, "SELECT webhook_sidecar_try_wait()"), "nothing held after asking");
      ask(sidecar, "SELECT webhook_sidecar_stop_wait()");
    }
  }

  @Test
  void shouldNotLetASidecarWaitWhileAWriterThatSkippedItsNotifyIsOpen() throws Exception {
    try (Connection writer = p.db.connect();
        Connection sidecar = p.db.connect()) {
      writer.setAutoCommit(false);
      writer.createStatement().execute("INSERT INTO res_partner (name) VALUES ('in flight')");
      // The writer saw no waiting sidecar, so it will not notify: the sidecar must not sleep.
      assertFalse(p.db.value("SELECT webhook_sidecar_try_wait()", Boolean.class));
      writer.commit();
      try (var rs = sidecar.createStatement().executeQuery("SELECT webhook_sidecar_try_wait()")) {
        rs.next();
        assertTrue(rs.getBoolean(1), "once the writer committed, the sidecar may wait");
      }
    }
  }

  private static String routeOrWait(Connection sidecar, boolean release) throws Exception {
    try (var rs =
        sidecar
            .createStatement()
            .executeQuery(
                "SELECT routed, state FROM webhook_route_or_wait(100, " + release + ")")) {
      rs.next();
      return rs.getInt(1) + " " + rs.getString(2);
    }
  }

  @Test
  void shouldRouteAndEnterTheHandshakeInOneCall() throws Exception {
    try (Connection sidecar = p.db.connect();
        Connection other = p.db.connect();
        Connection writer = p.db.connect()) {
      assertEquals("0 waiting", routeOrWait(sidecar, false), "nothing to route: it waits");
      assertTrue(p.db.value("SELECT webhook_sidecar_waiting()", Boolean.class));
      assertEquals("0 another_waits", routeOrWait(other, false), "one waits for all sidecars");

      p.partner("committed while it waited");
      assertEquals("1 waiting", routeOrWait(sidecar, true), "woken: routes, then waits again");

      sidecar.createStatement().execute("SELECT webhook_sidecar_stop_wait()"); // busy now
      writer.setAutoCommit(false);
      writer.createStatement().execute("INSERT INTO res_partner (name) VALUES ('in flight')");
      p.partner("committed before the writer");
      assertEquals(
          "1 writer_open",
          routeOrWait(sidecar, false),
          "a writer that skipped its NOTIFY is open: routes what committed, must not sleep");
      assertFalse(
          p.db.value("SELECT webhook_sidecar_waiting()", Boolean.class), "and holds no lock");
      writer.commit();
      assertEquals("1 waiting", routeOrWait(sidecar, false));
      assertEquals(3, p.db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NOT NULL"));
    }
  }

  @Test
  void shouldDeliverPromptlyByNotificationWithoutPolling() {
    p.subscribe("erp", "", "");
    Sidecar sidecar = p.startSidecar(NO_POLLING);
    Await.until(
        "the listener to wait",
        Duration.ofSeconds(10),
        () -> p.db.value("SELECT webhook_sidecar_waiting()", Boolean.class));
    for (int i = 1; i <= 3; i++) {
      long id = p.partner("p" + i);
      Await.until(
          "delivery " + i + " woken by NOTIFY",
          Duration.ofSeconds(10),
          () ->
              p.receiver.requests().stream()
                  .anyMatch(r -> r.data().get("record_id").asLong() == id),
          p::statuses);
    }
    assertTrue(sidecar.listener().notificationCount() >= 1);
  }

  @Test
  void shouldReconnectAfterTheListenerBackendIsTerminatedAndMissNothing() throws Exception {
    p.subscribe("erp", "", "");
    Sidecar sidecar = p.startSidecar(NO_POLLING);
    Await.until(
        "the listener to wait",
        Duration.ofSeconds(10),
        () -> p.db.value("SELECT webhook_sidecar_waiting()", Boolean.class));
    try (Connection c = p.db.connect()) {
      c.setAutoCommit(false);
      c.createStatement()
          .execute(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                  + " WHERE application_name = 'odoo-webhook-sidecar listener' AND datname = current_database()");
      // Written while the listener is gone: no notification can announce it.
      c.createStatement().execute("INSERT INTO res_partner (name) VALUES ('during the gap')");
      c.commit();
    }
    Await.until(
        "the listener to reconnect",
        Duration.ofSeconds(20),
        () -> sidecar.listener().reconnectCount() >= 1 && sidecar.listener().isConnected());
    Await.until(
        "the gap's event delivered",
        Duration.ofSeconds(20),
        () -> p.receiver.requests().size() == 1,
        p::statuses);
    long id = p.partner("after the reconnect");
    Await.until(
        "woken by NOTIFY again",
        Duration.ofSeconds(20),
        () ->
            p.receiver.requests().stream().anyMatch(r -> r.data().get("record_id").asLong() == id),
        p::statuses);
  }
}
