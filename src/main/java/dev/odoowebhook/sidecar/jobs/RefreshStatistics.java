// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.jobs;

import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the planner's statistics of the event, delivery and attempt tables fresh while they grow
 * (webhook_refresh_statistics, sql/V10): a plan cached while a table was nearly empty scans all of
 * it until its statistics change, and autovacuum only looks once a minute. Runs every second; a
 * failure only means autovacuum does it later, so it is logged quietly.
 */
public final class RefreshStatistics {
  private static final Logger log = LoggerFactory.getLogger(RefreshStatistics.class);
  private final Database db;

  public RefreshStatistics(Database db) {
    this.db = db;
  }

  public void run() {
    try (Connection c = db.connection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT webhook_refresh_statistics()")) {
      rs.next();
      Array analyzed = rs.getArray(1);
      String[] tables = (String[]) analyzed.getArray();
      if (tables.length > 0) {
        log.debug("Analyzed {}: they grew since their last statistics.", Arrays.toString(tables));
      }
    } catch (SQLException e) {
      log.debug("Refreshing statistics failed ({}); autovacuum will.", e.getMessage());
    }
  }
}
