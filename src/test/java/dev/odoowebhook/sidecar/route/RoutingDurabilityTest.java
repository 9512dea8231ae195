// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.PipelineTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * The router's transaction commits without waiting for the WAL flush, and only it
 * (sql/R__webhook_route.sql); webhook_flush_routing() waits until every routing so far is on disk.
 */
class RoutingDurabilityTest extends PipelineTest {
  private static String text(Statement st, String sql) throws Exception {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void shouldCommitARoutingWithoutWaitingForTheDiskAndNothingElse() throws Exception {
    try (Connection c = p.db.connect();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      assertEquals("0", text(st, "SELECT webhook_route_events(100)"));
      assertEquals(
          "on", text(st, "SHOW synchronous_commit"), "a pass that routed nothing changes nothing");
      c.commit();

      p.partner("routed");
      assertEquals("1", text(st, "SELECT webhook_route_events(100)"));
      assertEquals("off", text(st, "SHOW synchronous_commit"), "the routing transaction's own");
      c.commit();
      assertEquals("on", text(st, "SHOW synchronous_commit"), "and it ends with it");
      c.commit();
    }
  }

  @Test
  void shouldPutEveryRoutingOnDiskWhenAskedTo() throws Exception {
    p.partner("routed");
    assertEquals(1, p.db.count("SELECT webhook_route_events(100)"));
    String routedBy = p.db.value("SELECT pg_current_wal_insert_lsn()::text", String.class);
    p.db.exec("SELECT webhook_flush_routing()");
    assertTrue(
        p.db.value("SELECT pg_current_wal_flush_lsn() >= ?::pg_lsn", Boolean.class, routedBy),
        "the routing committed before the call is on disk after it");
  }
}
