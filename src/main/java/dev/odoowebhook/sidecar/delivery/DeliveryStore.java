// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dispatcher's calls to the delivery functions of sql/V3__webhook_delivery.sql. Every state
 * change happens in SQL, in one statement, so a crash between two calls leaves a consistent row.
 * Thread-safe.
 */
public final class DeliveryStore {
  private static final ObjectMapper JSON = Payload.exactJson();
  private final Database db;

  public DeliveryStore(Database db) {
    this.db = db;
  }

  /** Claims up to {@code limit} due deliveries, at most {@code freeSlots} per subscriber. */
  List<Delivery> claim(String sidecar, int limit, Duration lease, Map<Long, Integer> freeSlots)
      throws SQLException {
    // Shuffled, so that with more work than workers no subscriber is always served first.
    List<Map.Entry<Long, Integer>> slots = new ArrayList<>(freeSlots.entrySet());
    Collections.shuffle(slots);
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT * FROM webhook_claim_deliveries(?, ?, ? * interval '1 millisecond', ?, ?)")) {
      ps.setString(1, sidecar);
      ps.setInt(2, limit);
      ps.setLong(3, lease.toMillis());
      ps.setArray(4, c.createArrayOf("bigint", slots.stream().map(Map.Entry::getKey).toArray()));
      ps.setArray(5, c.createArrayOf("integer", slots.stream().map(Map.Entry::getValue).toArray()));
      List<Delivery> claimed = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          claimed.add(Delivery.from(rs));
        }
      }
      return claimed;
    }
  }

  /**
   * Extends to now + {@code lease} the leases sidecar {@code sidecar} holds on {@code ids} (those
   * still in flight); returns how many were renewed (sql/R__webhook_claim.sql).
   */
  int renewLeases(String sidecar, List<Long> ids, Duration lease) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement("SELECT webhook_renew_leases(?, ?, ? * interval '1 millisecond')")) {
      ps.setString(1, sidecar);
      ps.setArray(2, c.createArrayOf("bigint", ids.toArray()));
      ps.setLong(3, lease.toMillis());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** Records the attempt and moves the delivery on; returns what became of it. */
  AttemptOutcome finish(Delivery d, String sidecar, AttemptResult r) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT webhook_finish_attempt(?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    + " ? * interval '1 millisecond', ?)")) {
      ps.setLong(1, d.id());
      ps.setString(2, sidecar);
      ps.setBoolean(3, r.success());
      ps.setTimestamp(4, Timestamp.from(r.startedAt()));
      ps.setInt(5, durationMs(r));
      ps.setString(6, d.messageId());
      if (r.statusCode() == null) {
        ps.setNull(7, Types.INTEGER);
      } else {
        ps.setInt(7, r.statusCode());
      }
      ps.setString(8, r.errorType() == null ? null : r.errorType().sqlName());
      ps.setString(9, r.errorMessage());
      ps.setString(10, excerpt(r));
      if (r.retryAfter() == null) {
        ps.setNull(11, Types.BIGINT);
      } else {
        ps.setLong(11, r.retryAfter().toMillis());
      }
      ps.setBoolean(12, r.giveUp());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return AttemptOutcome.fromSql(rs.getString(1));
      }
    }
  }

  /**
   * Records successful attempts in one transaction (sql/V9) and returns the ids it recorded as
   * sent; the others (row busy, lease lost, deleted) must go through {@link #finish} one by one.
   */
  Set<Long> finishSent(String sidecar, List<SentDelivery> sent) throws SQLException {
    int n = sent.size();
    Long[] ids = new Long[n];
    Timestamp[] startedAt = new Timestamp[n];
    Integer[] durations = new Integer[n];
    String[] messageIds = new String[n];
    Integer[] statusCodes = new Integer[n];
    String[] excerpts = new String[n];
    for (int i = 0; i < n; i++) {
      Delivery d = sent.get(i).delivery();
      AttemptResult r = sent.get(i).result();
      ids[i] = d.id();
      startedAt[i] = Timestamp.from(r.startedAt());
      durations[i] = durationMs(r);
      messageIds[i] = d.messageId();
      statusCodes[i] = r.statusCode();
      excerpts[i] = excerpt(r);
    }
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement("SELECT * FROM webhook_finish_sent(?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, sidecar);
      ps.setArray(2, c.createArrayOf("bigint", ids));
      ps.setArray(3, c.createArrayOf("timestamptz", startedAt));
      ps.setArray(4, c.createArrayOf("integer", durations));
      ps.setArray(5, c.createArrayOf("text", messageIds));
      ps.setArray(6, c.createArrayOf("integer", statusCodes));
      ps.setArray(7, c.createArrayOf("text", excerpts));
      Set<Long> recorded = new HashSet<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          recorded.add(rs.getLong(1));
        }
      }
      return recorded;
    }
  }

  private static int durationMs(AttemptResult r) {
    return (int) Math.min(Integer.MAX_VALUE, r.durationMs());
  }

  /** The response excerpt as PostgreSQL text can hold it (no NUL characters). */
  private static String excerpt(AttemptResult r) {
    return r.responseExcerpt() == null ? null : r.responseExcerpt().replace('\0', ' ');
  }

  /** A delivery whose attempt succeeded, waiting to be recorded. */
  record SentDelivery(Delivery delivery, AttemptResult result) {}

  /** Gives a claimed delivery back without counting the attempt. */
  AttemptOutcome release(long deliveryId, String sidecar, Instant notBefore) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT webhook_release_delivery(?, ?, ?)")) {
      ps.setLong(1, deliveryId);
      ps.setString(2, sidecar);
      ps.setTimestamp(3, Timestamp.from(notBefore));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return AttemptOutcome.fromSql(rs.getString(1));
      }
    }
  }

  /**
   * The record of a delivery as it is now, {field: value} of {@code fields} (null: the model's
   * captured fields), or null if the record no longer exists (sql/R__webhook_content.sql).
   */
  JsonNode readRecord(String model, List<String> fields, long recordId) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT record FROM webhook_read_records(?, ?, ARRAY[?]::bigint[])")) {
      ps.setString(1, model);
      ps.setArray(2, fields == null ? null : c.createArrayOf("text", fields.toArray()));
      ps.setLong(3, recordId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? JSON.readTree(rs.getString(1)) : null;
      } catch (JsonProcessingException e) {
        throw new SQLException("The record of " + model + " #" + recordId + " is not JSON", e);
      }
    }
  }

  /**
   * The records {@code ids} of a model as they are now, {field: value} of {@code fields} (null: the
   * model's captured fields), by id; records that no longer exist are missing.
   */
  Map<Long, JsonNode> readRecords(String model, List<String> fields, List<Long> ids)
      throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT record_id, record::text FROM webhook_read_records(?, ?, ?)")) {
      ps.setString(1, model);
      ps.setArray(2, fields == null ? null : c.createArrayOf("text", fields.toArray()));
      ps.setArray(3, c.createArrayOf("bigint", ids.toArray()));
      Map<Long, JsonNode> records = new java.util.HashMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          records.put(rs.getLong(1), JSON.readTree(rs.getString(2)));
        }
      } catch (JsonProcessingException e) {
        throw new SQLException("A record of " + model + " is not JSON", e);
      }
      return records;
    }
  }

  /**
   * The values a deleted record had when it was deleted: the old values its unlink event captured
   * ({} if the model captured nothing then).
   */
  JsonNode lastValues(long unlinkEventId) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT coalesce(old_values, '{}')::text FROM webhook_event WHERE id = ?")) {
      ps.setLong(1, unlinkEventId);
      try (ResultSet rs = ps.executeQuery()) {
        return JSON.readTree(rs.next() ? rs.getString(1) : "{}");
      } catch (JsonProcessingException e) {
        throw new SQLException("The values of event " + unlinkEventId + " are not JSON", e);
      }
    }
  }

  /** How long until the next open delivery is due (zero if one is due now); null if none. */
  Duration nextDueIn() throws SQLException {
    return nextDueIn(null);
  }

  /**
   * How long until the next open delivery of one of {@code subscribers} (null: of any) is due, zero
   * if one is due now; null if none.
   */
  Duration nextDueIn(Collection<Long> subscribers) throws SQLException {
    if (subscribers != null && subscribers.isEmpty()) {
      return null;
    }
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                // Not greatest(0, ...): it skips a NULL, so "nothing waits" would read as "due
                // now", and the dispatcher polled every 25 ms while idle.
                "SELECT (extract(epoch FROM min(next_attempt_at) - now()) * 1000)::bigint"
                    + " FROM webhook_delivery WHERE status IN ('pending', 'failed')"
                    + (subscribers == null ? "" : " AND subscriber_id = ANY (?)"))) {
      if (subscribers != null) {
        ps.setArray(1, c.createArrayOf("bigint", subscribers.toArray()));
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long ms = rs.getLong(1);
        return rs.wasNull() ? null : Duration.ofMillis(Math.max(0, ms));
      }
    }
  }
}
