// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.admin;

import dev.odoowebhook.sidecar.delivery.DeliveryStatus;
import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The queue as the database sees it (deliveries per status, oldest waiting, due now, events not yet
 * routed), read by one query and cached briefly so scrapes and health checks stay cheap.
 * Thread-safe.
 */
public final class QueueStats {
  private static final Duration MAX_AGE = Duration.ofSeconds(5);

  /** One reading. Ages are in seconds, 0 when nothing waits. */
  public record Snapshot(
      Map<String, Long> byStatus,
      double oldestWaitingSeconds,
      long dueNow,
      long unroutedEvents,
      double oldestUnroutedSeconds) {}

  private final Database db;
  private volatile Snapshot last;
  private volatile Instant readAt = Instant.EPOCH;

  public QueueStats(Database db) {
    this.db = db;
  }

  /** The cached reading, refreshed when older than a few seconds; null if never readable. */
  public Snapshot get() {
    if (Duration.between(readAt, Instant.now()).compareTo(MAX_AGE) > 0) {
      try {
        return read();
      } catch (SQLException e) {
        return last; // the health check reports the database itself
      }
    }
    return last;
  }

  public synchronized Snapshot read() throws SQLException {
    Map<String, Long> counts = new HashMap<>();
    for (DeliveryStatus s : DeliveryStatus.values()) {
      counts.put(s.sqlName(), 0L);
    }
    double oldest;
    long due;
    long unrouted;
    double oldestUnrouted;
    try (Connection c = db.connection();
        Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery("SELECT status, count(*) FROM webhook_delivery GROUP BY status")) {
        while (rs.next()) {
          counts.put(rs.getString(1), rs.getLong(2));
        }
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0),"
                  + " count(*) FILTER (WHERE next_attempt_at <= now())"
                  + " FROM webhook_delivery WHERE status IN ('pending', 'failed')")) {
        rs.next();
        oldest = rs.getDouble(1);
        due = rs.getLong(2);
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT count(*), coalesce(extract(epoch FROM now() - min(captured_at)), 0)"
                  + " FROM webhook_event WHERE routed_at IS NULL")) {
        rs.next();
        unrouted = rs.getLong(1);
        oldestUnrouted = rs.getDouble(2);
      }
    }
    last = new Snapshot(Map.copyOf(counts), oldest, due, unrouted, oldestUnrouted);
    readAt = Instant.now();
    return last;
  }
}
