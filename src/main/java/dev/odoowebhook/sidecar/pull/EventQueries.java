// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.odoowebhook.sidecar.delivery.PayloadMode;
import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The read-only queries of the pull API: the event list with filters and paging by routed_seq, and
 * the check-updates summary. Only routed events (routed_seq set), only models the token may read.
 * Thread-safe.
 */
final class EventQueries {
  static final int MAX_LIMIT = 1000;
  static final int DEFAULT_LIMIT = 100;

  private final Database db;
  private final ObjectMapper json;

  EventQueries(Database db, ObjectMapper json) {
    this.db = db;
    this.json = json;
  }

  /** Filters of the event list; null means not filtered. */
  record Filter(String model, Long recordId, String event, Instant since, long after, int limit) {}

  ObjectNode list(ApiToken token, Filter f) throws SQLException {
    try (Connection c = db.connection()) {
      ModelSelection s =
          ModelSelection.resolve(c, token, null, f.model() == null ? null : List.of(f.model()));
      StringBuilder sql =
          new StringBuilder(
              "SELECT "
                  + COLUMNS
                  + " FROM webhook_event"
                  + " WHERE routed_seq > ? AND model LIKE ANY (?)");
      List<Object> params = new ArrayList<>();
      params.add(f.after());
      params.add(c.createArrayOf("text", s.like()));
      if (f.recordId() != null) {
        sql.append(" AND record_id = ?");
        params.add(f.recordId());
      }
      if (f.event() != null) {
        sql.append(" AND event = ?");
        params.add(f.event());
      }
      if (f.since() != null) {
        sql.append(" AND captured_at >= ?");
        params.add(Timestamp.from(f.since()));
      }
      sql.append(" ORDER BY routed_seq LIMIT ?");
      params.add(f.limit() + 1);
      ObjectNode body = json.createObjectNode();
      ArrayNode events = body.putArray("events");
      long last = f.after();
      boolean more = false;
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < params.size(); i++) {
          ps.setObject(i + 1, params.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          int n = 0;
          while (rs.next()) {
            if (n++ == f.limit()) {
              more = true;
              break;
            }
            NetEffect.Event e = event(rs);
            ObjectNode o = events.addObject();
            o.put("seq", e.seq());
            o.put("event_id", e.eventId());
            o.put("model", e.model());
            o.put("record_id", e.recordId());
            o.put("event", e.event());
            if (e.changedFields() == null) {
              o.putNull("changed_fields");
            } else {
              e.changedFields().forEach(o.putArray("changed_fields")::add);
            }
            o.put("captured_at", e.capturedAt().toString());
            if (token.content() != PayloadMode.IDS) {
              o.set("changes", NetEffect.json(e.changes()));
            }
            last = e.seq();
          }
        }
      }
      body.put("has_more", more);
      body.put("next_after", last);
      return body;
    }
  }

  /** Whether anything changed since a time, how much per model, and when last. */
  ObjectNode updates(ApiToken token, Instant since, String profile, List<String> models)
      throws SQLException {
    try (Connection c = db.connection()) {
      ModelSelection s = ModelSelection.resolve(c, token, profile, models);
      ObjectNode body = json.createObjectNode();
      body.put("since", since.toString());
      ObjectNode perModel = json.createObjectNode();
      long total = 0;
      Instant lastChange = null;
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT model, count(*), max(captured_at) FROM webhook_event"
                  + " WHERE routed_seq IS NOT NULL AND captured_at > ? AND model LIKE ANY (?)"
                  + " GROUP BY model ORDER BY model")) {
        ps.setTimestamp(1, Timestamp.from(since));
        ps.setArray(2, c.createArrayOf("text", s.like()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Instant last = rs.getObject(3, OffsetDateTime.class).toInstant();
            ObjectNode m = perModel.putObject(rs.getString(1));
            m.put("count", rs.getLong(2));
            m.put("last_change_at", last.toString());
            total += rs.getLong(2);
            lastChange = lastChange == null || last.isAfter(lastChange) ? last : lastChange;
          }
        }
      }
      body.put("changed", total > 0);
      body.put("count", total);
      if (lastChange == null) {
        body.putNull("last_change_at");
      } else {
        body.put("last_change_at", lastChange.toString());
      }
      body.set("models", perModel);
      return body;
    }
  }

  /**
   * The columns {@link #event} reads, in its order: an event and its changes of captured fields.
   */
  static final String COLUMNS =
      "routed_seq, id, model, record_id, event, changed_fields, captured_at,"
          + " webhook_event_changes(event, old_values, new_values)::text AS changes";

  static NetEffect.Event event(ResultSet rs) throws SQLException {
    return new NetEffect.Event(
        rs.getLong(1),
        rs.getLong(2),
        rs.getString(3),
        rs.getLong(4),
        rs.getString(5),
        ApiTokens.strings(rs.getArray(6)),
        rs.getObject(7, OffsetDateTime.class).toInstant(),
        rs.getString(8));
  }
}
