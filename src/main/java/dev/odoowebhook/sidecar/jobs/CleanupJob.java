// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orphan cleanup and retention purge (sql/V4): removes not-yet-sent deliveries and events of
 * records that no longer exist, then history older than its retention. Every step removes at most
 * WEBHOOK_CLEANUP_BATCH rows per transaction. One sidecar at a time runs it (an advisory lock held
 * on its connection); each run is recorded in webhook_job_run with what it removed.
 */
public final class CleanupJob {
  public static final String NAME = "cleanup";
  private static final Logger log = LoggerFactory.getLogger(CleanupJob.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Database db;
  private final String instanceId;
  private final int batch;
  private final Duration sentAge;
  private final Duration deadAge;
  private final Duration unroutedAge;
  private final Duration deviceAge;
  private final Duration archiveAge;

  /** The webhook_job_run of the last run, or 0. */
  private volatile long lastRunId;

  public CleanupJob(Database db, SidecarConfig config) {
    this.db = db;
    this.instanceId = config.instanceId();
    this.batch = config.integer(Setting.CLEANUP_BATCH);
    this.sentAge = config.duration(Setting.RETENTION_SENT);
    this.deadAge = config.duration(Setting.RETENTION_DEAD);
    this.unroutedAge = config.duration(Setting.RETENTION_UNROUTED);
    this.deviceAge = config.duration(Setting.RETENTION_DEVICES);
    this.archiveAge = config.duration(Setting.RETENTION_ARCHIVE);
  }

  /** Runs once. Returns what was removed, or null if another sidecar is cleaning right now. */
  public ObjectNode run() throws SQLException {
    try (Connection c = db.connection()) {
      c.setAutoCommit(true); // every batch its own short transaction
      if (!bool(c, "SELECT webhook_try_lock_jobs()")) {
        log.info("Cleanup skipped: another sidecar is running it.");
        return null;
      }
      try {
        return recorded(c);
      } finally {
        bool(c, "SELECT webhook_unlock_jobs()");
      }
    }
  }

  private ObjectNode recorded(Connection c) throws SQLException {
    long runId;
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO webhook_job_run (job, instance_id) VALUES (?, ?) RETURNING id")) {
      ps.setString(1, NAME);
      ps.setString(2, instanceId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        runId = rs.getLong(1);
      }
    }
    lastRunId = runId;
    ObjectNode result = JSON.createObjectNode();
    try {
      ObjectNode orphans = result.putObject("orphans");
      for (String model : trackedModels(c)) {
        ObjectNode m = orphans.putObject(model);
        m.put("deliveries", drain(c, "SELECT webhook_cleanup_orphan_deliveries(?, ?)", model));
        m.put("events", drain(c, "SELECT webhook_cleanup_orphan_events(?, ?)", model));
      }
      ObjectNode purged = result.putObject("purged");
      purged.put(
          "sent_deliveries",
          drain(c, "SELECT webhook_purge_sent(?::interval, ?)", interval(sentAge)));
      purged.put(
          "dead_deliveries",
          drain(c, "SELECT webhook_purge_dead(?::interval, ?)", interval(deadAge)));
      // Moved to webhook_event_archive, respecting pull devices' cursors (sql/V5).
      purged.put(
          "events",
          drain(
              c,
              "SELECT webhook_purge_events(?::interval, ?::interval, ?::interval, ?)",
              interval(sentAge),
              interval(unroutedAge),
              interval(deviceAge)));
      purged.put(
          "archived_events",
          drain(c, "SELECT webhook_purge_archive(?::interval, ?)", interval(archiveAge)));
      try (PreparedStatement ps =
          c.prepareStatement("SELECT webhook_purge_bookkeeping(?::interval)")) {
        ps.setString(1, interval(deadAge));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          purged.put("job_runs_and_heartbeats", rs.getInt(1));
        }
      }
      finish(c, runId, result, null);
      log.info("Cleanup done: {}", result);
      return result;
    } catch (SQLException | RuntimeException e) {
      finish(c, runId, result, e.getMessage());
      throw e;
    }
  }

  /**
   * The webhook_job_run row of the last run (0 before the first): what it removed, or its error.
   */
  public long lastRunId() {
    return lastRunId;
  }

  /** Calls a batch function (last parameter: the batch size) until a batch comes back short. */
  private int drain(Connection c, String sql, String... params) throws SQLException {
    int total = 0;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setString(i + 1, params[i]);
      }
      ps.setInt(params.length + 1, batch);
      int removed;
      do {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          removed = rs.getInt(1);
        }
        total += removed;
      } while (removed >= batch);
    }
    return total;
  }

  private static List<String> trackedModels(Connection c) throws SQLException {
    List<String> models = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement("SELECT model FROM webhook_tracked_model ORDER BY model");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        models.add(rs.getString(1));
      }
    }
    return models;
  }

  private static void finish(Connection c, long runId, ObjectNode result, String error)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE webhook_job_run SET finished_at = now(), result = ?::jsonb, error = ? WHERE id = ?")) {
      ps.setString(1, result.toString());
      ps.setString(2, error);
      ps.setLong(3, runId);
      ps.executeUpdate();
    }
  }

  private static boolean bool(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  private static String interval(Duration d) {
    return d.toMillis() + " milliseconds";
  }
}
