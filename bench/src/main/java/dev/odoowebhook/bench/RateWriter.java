// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Inserts partners at a steady rate on one autocommit connection and notes, per new record id, the
 * writer's clock (System.nanoTime, the receiver's clock too) right after COMMIT returned.
 */
final class RateWriter {
  final Map<Long, Long> committedAt = new ConcurrentHashMap<>();
  int behindSchedule;

  void run(Connection c, int perSecond, int seconds) throws SQLException {
    long period = 1_000_000_000L / perSecond;
    int n = perSecond * seconds;
    long start = System.nanoTime();
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO res_partner (name, email, create_date, write_date, create_uid, write_uid)"
                + " VALUES (?, ?, now(), now(), 2, 2) RETURNING id")) {
      for (int i = 0; i < n; i++) {
        long due = start + i * period;
        if (System.nanoTime() - due > 50_000_000L) {
          behindSchedule++;
        }
        Bench.sleepUntil(due);
        ps.setString(1, "Latency " + i);
        ps.setString(2, "l" + i + "@example.com");
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          long id = rs.getLong(1);
          committedAt.put(id, System.nanoTime());
        }
      }
    }
  }
}
