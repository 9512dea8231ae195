// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.jobs;

import dev.odoowebhook.sidecar.metrics.SidecarMetrics;
import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts deliveries back in the queue whose sidecar died while sending them (their lease ran out).
 * Safe to run on every sidecar at once: rows are taken with SKIP LOCKED.
 */
public final class RecoverLeases {
  private static final Logger log = LoggerFactory.getLogger(RecoverLeases.class);
  private final Database db;
  private final SidecarMetrics metrics;

  public RecoverLeases(Database db, SidecarMetrics metrics) {
    this.db = db;
    this.metrics = metrics;
  }

  public int run() throws SQLException {
    try (Connection c = db.connection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT webhook_recover_leases()")) {
      rs.next();
      int recovered = rs.getInt(1);
      if (recovered > 0) {
        metrics.leasesRecovered.inc(recovered);
        log.warn(
            "{} deliveries were left in processing by a stopped sidecar; they are queued again.",
            recovered);
      }
      return recovered;
    }
  }
}
