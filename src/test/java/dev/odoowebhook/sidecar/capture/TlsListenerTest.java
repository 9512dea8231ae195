// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import dev.odoowebhook.sidecar.support.TlsPostgres;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The LISTEN connection (pgjdbc-ng) follows WEBHOOK_DB_URL's TLS settings as the pool (pgjdbc)
 * does, against a cluster of the test's own that accepts TLS connections only: the sidecar is woken
 * by NOTIFY, not by the fallback poll (5 minutes here).
 */
class TlsListenerTest {
  private static final Map<String, String> NO_POLLING = Map.of("WEBHOOK_POLL_INTERVAL", "5m");
  private static TlsPostgres pg;
  private static TestDatabase db;
  private static Receiver receiver;

  @BeforeAll
  static void startTlsOnlyServer() throws Exception {
    pg = TlsPostgres.start();
    // The test's own connections: pgjdbc's default sslmode (prefer) takes TLS when offered.
    db = TestDatabase.createMigrated(TestPostgres.at(pg.url("postgres"), "postgres", ""));
    db.exec("SELECT webhook_track('res.partner')");
    receiver = new Receiver();
    db.addSubscriber("erp", receiver.url(), WebhookSigner.newSecret(), "", "");
  }

  @AfterAll
  static void stopServer() throws Exception {
    try {
      if (receiver != null) {
        receiver.close();
      }
      if (db != null) {
        db.close();
      }
    } finally {
      if (pg != null) {
        pg.close();
      }
    }
  }

  @AfterEach
  void clear() {
    db.exec("TRUNCATE webhook_attempt, webhook_delivery, webhook_event CASCADE");
    receiver.clear();
  }

  @Test
  void shouldRefuseConnectionsWithoutTls() {
    SQLException e =
        assertThrows(
            SQLException.class,
            () ->
                DriverManager.getConnection(db.url() + "?sslmode=disable", "postgres", "").close());
    assertTrue(e.getMessage().contains("no encryption"), e.getMessage());
  }

  @Test
  void shouldBeWokenByNotifyOverTlsWithSslmodeRequire() throws Exception {
    assertWokenByNotifyOverTls(db.url() + "?sslmode=require");
  }

  @Test
  void shouldBeWokenByNotifyOverTlsWithPgjdbcsDefaultSslmode() throws Exception {
    // No sslmode: pgjdbc prefers TLS; pgjdbc-ng's own default would be no TLS at all.
    assertWokenByNotifyOverTls(db.url());
  }

  @Test
  void shouldBeWokenByNotifyOverTlsWithAVerifiedCertificate() throws Exception {
    assertWokenByNotifyOverTls(db.url() + "?sslmode=verify-full&sslrootcert=" + pg.certificate());
  }

  @Test
  void shouldSayWhyTheListenerCannotConnect() {
    Map<String, String> settings = new java.util.HashMap<>(NO_POLLING);
    settings.put("WEBHOOK_DB_URL", db.url() + "?sslmode=disable&password=hunter2");
    settings.remove("WEBHOOK_DB_PASSWORD");
    Logger logger = (Logger) LoggerFactory.getLogger(EventListener.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try (EventListener listener = new EventListener(db.config(settings), new Wakeup())) {
      assertFalse(listener.ensureConnected());
      String line =
          logged.list.stream()
              .map(ILoggingEvent::getFormattedMessage)
              .filter(m -> m.startsWith("Cannot open the LISTEN connection"))
              .findFirst()
              .orElse("none logged");
      assertTrue(
          line.contains("(sslmode=disable)")
              && line.contains("no encryption")
              && line.contains("set sslmode in WEBHOOK_DB_URL"),
          line);
      assertFalse(line.contains("hunter2"), line);
    } finally {
      logger.detachAppender(logged);
    }
  }

  private static void assertWokenByNotifyOverTls(String url) throws Exception {
    Map<String, String> settings = new java.util.HashMap<>(NO_POLLING);
    settings.put("WEBHOOK_DB_URL", url);
    Sidecar sidecar = Sidecar.start(db.config(settings));
    try {
      EventListener listener = sidecar.listener();
      Await.until(
          "the listener to connect over TLS", Duration.ofSeconds(15), listener::isConnected);
      Await.until(
          "the listener to wait",
          Duration.ofSeconds(10),
          () -> db.value("SELECT webhook_sidecar_waiting()", Boolean.class));
      long before = listener.notificationCount();
      for (int i = 1; i <= 3; i++) {
        long id = db.count("INSERT INTO res_partner (name) VALUES (?) RETURNING id", "p" + i);
        Await.until(
            "delivery " + i + " woken by NOTIFY",
            Duration.ofSeconds(15),
            () ->
                receiver.requests().stream()
                    .anyMatch(r -> r.data().get("record_id").asLong() == id));
      }
      assertTrue(
          listener.notificationCount() > before,
          "notifications counted: " + listener.notificationCount());
      assertTrue(listener.isConnected());
      assertEquals(
          Boolean.TRUE,
          db.value(
              "SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a"
                  + " USING (pid) WHERE a.application_name = 'odoo-webhook-sidecar listener'"
                  + " AND a.datname = current_database()",
              Boolean.class),
          "the listener's connection uses TLS");
    } finally {
      sidecar.stop();
    }
  }
}
