// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Pipeline;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The start-up steps of an in-process sidecar, and what a start that fails half-way leaves. */
class StartupTest {
  static Pipeline p;

  @BeforeAll
  static void setUp() {
    p = new Pipeline();
  }

  @AfterAll
  static void tearDown() {
    p.close();
  }

  @Test
  void shouldReleaseEverythingItStartedWhenALaterStepFails() throws Exception {
    int adminPort = freePort();
    long connectionsBefore = sidecarConnections();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Map<String, String> settings =
          Map.of(
              "WEBHOOK_HTTP_PORT", Integer.toString(adminPort),
              "WEBHOOK_PULL_PORT", Integer.toString(taken.getLocalPort()));
      SQLException e = assertThrows(SQLException.class, () -> Sidecar.start(p.db.config(settings)));
      assertTrue(
          e.getMessage()
              .startsWith("Cannot open the pull API port 127.0.0.1:" + taken.getLocalPort()),
          e.getMessage());
      assertTrue(e.getMessage().contains("Choose another WEBHOOK_PULL_PORT"), e.getMessage());
    }
    // The admin server had started before the pull API failed: its port is free again.
    try (ServerSocket again = new ServerSocket(adminPort, 1, InetAddress.getLoopbackAddress())) {
      assertEquals(adminPort, again.getLocalPort());
    }
    // Its pool is closed too (HikariCP closes connections on a thread of its own: wait a little).
    Await.until(
        "the failed sidecar's connections closed",
        Duration.ofSeconds(10),
        () -> sidecarConnections() == connectionsBefore,
        () -> "still " + sidecarConnections());
  }

  /** Connections of the test's own pool and of any sidecar pool (they share a name). */
  private static long sidecarConnections() {
    return p.db.count(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND application_name = 'odoo-webhook-sidecar'");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
