// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.odoowebhook.sidecar.delivery.PayloadMode;
import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Per-device smart sync (table webhook_device): {@code pull} returns the net change per record
 * since the device's cursor and a next cursor, {@code acknowledge} moves the cursor up to what a
 * pull offered, {@code state} and {@code reset}. The cursor is webhook_event.routed_seq, which
 * commits in order (sql/V5), so "routed_seq > cursor" never skips nor repeats an event. A device
 * below the retention horizon, or pulling other models than it synced so far, gets {@code
 * resync_required} instead of a gap. Thread-safe (state lives in the database).
 */
final class DeviceSync {
  static final int MAX_LIMIT = 1000;
  static final int DEFAULT_LIMIT = 500;

  /** Pending events are counted up to this many (state), so a far-behind device is cheap. */
  private static final int PENDING_COUNT_CAP = 10_000;

  private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private final Database db;
  private final ObjectMapper json;

  DeviceSync(Database db, ObjectMapper json) {
    this.db = db;
    this.json = json;
  }

  static String checkDeviceId(String deviceId) {
    if (!DEVICE_ID.matcher(deviceId).matches()) {
      throw ApiError.badRequest("A device id is 1 to 128 letters, digits or . _ : - characters.");
    }
    return deviceId;
  }

  /** A device's row, or null. */
  private record Device(String profile, List<String> models, long cursor, long offered) {}

  ObjectNode pull(ApiToken token, String deviceId, String profile, List<String> models, int limit)
      throws SQLException {
    ModelSelection selection;
    Device device;
    try (Connection c = db.connection()) {
      selection = ModelSelection.resolve(c, token, profile, models);
      device = register(c, token, deviceId, selection);
    }
    ObjectNode body = json.createObjectNode();
    body.put("device_id", deviceId);
    if (!device.models().equals(selection.patterns())) {
      return resync(
          body,
          device,
          "models_changed",
          "This device syncs "
              + String.join(", ", device.models())
              + ". To sync other models, reload them from Odoo and call reset with the new models or profile.");
    }
    Page page = readPage(token, deviceId, selection, limit);
    if (page == null) {
      return resync(
          body,
          device,
          "behind_retention",
          "Events this device has not acknowledged were"
              + " removed by retention. Call reset, reload the models from Odoo, then pull again.");
    }
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE webhook_device SET offered_seq = greatest(offered_seq, ?), last_sync_at = now()"
                    + " WHERE token_id = ? AND device_id = ?")) {
      ps.setLong(1, page.next);
      ps.setLong(2, token.id());
      ps.setString(3, deviceId);
      ps.executeUpdate();
    }
    body.put("resync_required", false);
    body.put("cursor", page.cursor);
    body.put("next_cursor", page.next);
    body.put("has_more", page.hasMore);
    body.put("events_read", page.events);
    ArrayNode changes = body.putArray("changes");
    Map<String, Map<Long, JsonNode>> records =
        token.content() == PayloadMode.RECORD ? records(page.changes) : Map.of();
    for (NetEffect.Change ch : page.changes) {
      ObjectNode o = changes.addObject();
      o.put("model", ch.model());
      o.put("record_id", ch.recordId());
      o.put("event", ch.event());
      if (ch.changedFields() == null) {
        o.putNull("changed_fields");
      } else {
        ch.changedFields().forEach(o.putArray("changed_fields")::add);
      }
      o.put("seq", ch.seq());
      o.put("changed_at", ch.changedAt().toString());
      o.put("events", ch.events());
      if (token.content() != PayloadMode.IDS) {
        o.set("changes", ch.changes());
      }
      if (token.content() == PayloadMode.RECORD) {
        o.set(
            "record",
            ch.event().equals("unlink")
                ? ch.lastValues()
                : records
                    .getOrDefault(ch.model(), Map.of())
                    .getOrDefault(ch.recordId(), json.nullNode()));
      }
    }
    return body;
  }

  /**
   * The records of a page's creates and writes as they are now, one query per model
   * (webhook_read_records, the rule the webhooks' record payload uses): model -> id -> record.
   */
  private Map<String, Map<Long, JsonNode>> records(List<NetEffect.Change> changes)
      throws SQLException {
    Map<String, List<Long>> ids = new HashMap<>();
    for (NetEffect.Change ch : changes) {
      if (!ch.event().equals("unlink")) {
        ids.computeIfAbsent(ch.model(), m -> new ArrayList<>()).add(ch.recordId());
      }
    }
    Map<String, Map<Long, JsonNode>> records = new HashMap<>();
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT record_id, record::text FROM webhook_read_records(?, NULL, ?)")) {
      for (Map.Entry<String, List<Long>> m : ids.entrySet()) {
        ps.setString(1, m.getKey());
        ps.setArray(2, c.createArrayOf("bigint", m.getValue().toArray()));
        Map<Long, JsonNode> byId = records.computeIfAbsent(m.getKey(), k -> new HashMap<>());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            byId.put(rs.getLong(1), NetEffect.json(rs.getString(2)));
          }
        }
      }
    }
    return records;
  }

  private ObjectNode resync(ObjectNode body, Device device, String reason, String message) {
    body.put("resync_required", true);
    body.put("reason", reason);
    body.put("message", message);
    body.put("cursor", device.cursor());
    body.putArray("changes");
    return body;
  }

  /** The device, created at cursor 0 with this selection on its first pull. */
  private static Device register(Connection c, ApiToken token, String deviceId, ModelSelection s)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO webhook_device AS d (token_id, device_id, profile, models) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (token_id, device_id) DO UPDATE SET last_sync_at = now()"
                + " RETURNING d.profile, d.models, d.cursor_seq, d.offered_seq")) {
      ps.setLong(1, token.id());
      ps.setString(2, deviceId);
      ps.setString(3, s.profile());
      ps.setArray(4, c.createArrayOf("text", s.patterns().toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new Device(
            rs.getString(1), ApiTokens.strings(rs.getArray(2)), rs.getLong(3), rs.getLong(4));
      }
    }
  }

  private record Page(
      long cursor, long next, boolean hasMore, int events, List<NetEffect.Change> changes) {}

  /**
   * Reads one page in one snapshot: the cursor, the retention horizon, the events after the cursor
   * and the newest routed_seq. Null when the device is behind the horizon.
   */
  private Page readPage(ApiToken token, String deviceId, ModelSelection s, int limit)
      throws SQLException {
    try (Connection c = db.connection()) {
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      try {
        long cursor;
        long horizon;
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT d.cursor_seq, h.removed_through FROM webhook_device d, webhook_pull_horizon h"
                    + " WHERE d.token_id = ? AND d.device_id = ?")) {
          ps.setLong(1, token.id());
          ps.setString(2, deviceId);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            cursor = rs.getLong(1);
            horizon = rs.getLong(2);
          }
        }
        if (horizon > cursor) {
          return null;
        }
        NetEffect net = new NetEffect();
        int read = 0;
        long last = cursor;
        boolean more = false;
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + EventQueries.COLUMNS
                    + " FROM webhook_event WHERE routed_seq > ? AND model LIKE ANY (?)"
                    + " ORDER BY routed_seq LIMIT ?")) {
          ps.setLong(1, cursor);
          ps.setArray(2, c.createArrayOf("text", s.like()));
          ps.setInt(3, limit + 1);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              if (read == limit) {
                more = true;
                break;
              }
              net.add(EventQueries.event(rs));
              last = rs.getLong(1);
              read++;
            }
          }
        }
        // Nothing more for these models: the cursor may jump to the newest routed event of all,
        // which this snapshot shows with every lower one (routed_seq commits in order).
        long next = more ? last : Math.max(last, newest(c));
        c.commit();
        return new Page(cursor, next, more, read, net.changes());
      } finally {
        c.rollback();
      }
    }
  }

  /** The newest routed_seq visible, or the retention horizon if everything is archived. */
  static long newest(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT greatest((SELECT max(routed_seq) FROM webhook_event WHERE routed_seq IS NOT NULL),"
                    + " (SELECT removed_through FROM webhook_pull_horizon), 0)");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  ObjectNode acknowledge(ApiToken token, String deviceId, long cursor) throws SQLException {
    if (cursor < 0) {
      throw ApiError.badRequest("\"cursor\" must be a next_cursor returned by pull (0 or more).");
    }
    try (Connection c = db.connection()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE webhook_device SET cursor_seq = greatest(cursor_seq, ?), acknowledged_at = now(),"
                  + " last_sync_at = now() WHERE token_id = ? AND device_id = ? AND ? <= offered_seq"
                  + " RETURNING cursor_seq")) {
        ps.setLong(1, cursor);
        ps.setLong(2, token.id());
        ps.setString(3, deviceId);
        ps.setLong(4, cursor);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            ObjectNode body = json.createObjectNode();
            body.put("device_id", deviceId);
            body.put("cursor", rs.getLong(1));
            return body;
          }
        }
      }
      if (find(c, token, deviceId) == null) {
        throw unknownDevice(deviceId);
      }
      throw new ApiError(
          409,
          "cursor_not_offered",
          "Cursor "
              + cursor
              + " was never offered to device "
              + deviceId
              + "; acknowledge the next_cursor of a pull, after storing its changes.");
    }
  }

  ObjectNode state(ApiToken token, String deviceId) throws SQLException {
    try (Connection c = db.connection()) {
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      try {
        ObjectNode body = json.createObjectNode();
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT d.profile, d.models, d.cursor_seq, d.offered_seq, d.created_at, d.last_sync_at,"
                    + " d.acknowledged_at, d.reset_at, h.removed_through"
                    + " FROM webhook_device d, webhook_pull_horizon h WHERE d.token_id = ? AND d.device_id = ?")) {
          ps.setLong(1, token.id());
          ps.setString(2, deviceId);
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              throw unknownDevice(deviceId);
            }
            body.put("device_id", deviceId);
            body.put("profile", rs.getString(1));
            List<String> models = ApiTokens.strings(rs.getArray(2));
            models.forEach(body.putArray("models")::add);
            long cursor = rs.getLong(3);
            body.put("cursor", cursor);
            body.put("offered_cursor", rs.getLong(4));
            for (int i = 5; i <= 8; i++) {
              OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
              String name = rs.getMetaData().getColumnLabel(i);
              if (t == null) {
                body.putNull(name);
              } else {
                body.put(name, t.toInstant().toString());
              }
            }
            body.put("resync_required", rs.getLong(9) > cursor);
            body.put("newest_cursor", newest(c));
            long pending = pending(c, cursor, ModelPatterns.toLike(models));
            body.put("pending_events", Math.min(pending, PENDING_COUNT_CAP));
            body.put("pending_events_capped", pending > PENDING_COUNT_CAP);
          }
        }
        c.commit();
        return body;
      } finally {
        c.rollback();
      }
    }
  }

  private static long pending(Connection c, long cursor, String[] like) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT count(*) FROM (SELECT 1 FROM webhook_event WHERE routed_seq > ? AND model LIKE ANY (?)"
                + " LIMIT ?) p")) {
      ps.setLong(1, cursor);
      ps.setArray(2, c.createArrayOf("text", like));
      ps.setInt(3, PENDING_COUNT_CAP + 1);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * Moves the cursor to the newest routed event, after the app reloaded its data from Odoo (call
   * reset first, then reload, then pull: changes during the reload come again). With models or a
   * profile, the device syncs those from now on; a new device is created.
   */
  ObjectNode reset(ApiToken token, String deviceId, String profile, List<String> models)
      throws SQLException {
    try (Connection c = db.connection()) {
      boolean selecting = profile != null || models != null;
      ModelSelection s = selecting ? ModelSelection.resolve(c, token, profile, models) : null;
      if (s == null && find(c, token, deviceId) == null) {
        throw new ApiError(
            404,
            "unknown_device",
            "Device "
                + deviceId
                + " has not synced yet; name its"
                + " \"models\" or \"profile\" to reset it, or pull first.");
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "WITH head AS (SELECT greatest((SELECT max(routed_seq) FROM webhook_event WHERE routed_seq IS NOT NULL),"
                  + "                          (SELECT removed_through FROM webhook_pull_horizon), 0) AS seq)"
                  + " INSERT INTO webhook_device AS d (token_id, device_id, profile, models, cursor_seq, offered_seq,"
                  + "                                  reset_at)"
                  + " SELECT ?, ?, ?, ?, head.seq, head.seq, now() FROM head"
                  + " ON CONFLICT (token_id, device_id) DO UPDATE"
                  + " SET cursor_seq = greatest(EXCLUDED.cursor_seq, d.offered_seq),"
                  + "     offered_seq = greatest(EXCLUDED.cursor_seq, d.offered_seq),"
                  + "     profile = CASE WHEN ? THEN EXCLUDED.profile ELSE d.profile END,"
                  + "     models = CASE WHEN ? THEN EXCLUDED.models ELSE d.models END,"
                  + "     reset_at = now(), last_sync_at = now()"
                  + " RETURNING d.cursor_seq")) {
        ps.setLong(1, token.id());
        ps.setString(2, deviceId);
        ps.setString(3, s == null ? null : s.profile());
        // A new device always has a selection (checked above); the array is unused otherwise.
        ps.setArray(
            4, c.createArrayOf("text", (s == null ? List.of("*") : s.patterns()).toArray()));
        ps.setBoolean(5, selecting);
        ps.setBoolean(6, selecting);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          ObjectNode body = json.createObjectNode();
          body.put("device_id", deviceId);
          body.put("cursor", rs.getLong(1));
          return body;
        }
      }
    }
  }

  private static Device find(Connection c, ApiToken token, String deviceId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT profile, models, cursor_seq, offered_seq FROM webhook_device WHERE token_id = ? AND device_id = ?")) {
      ps.setLong(1, token.id());
      ps.setString(2, deviceId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? new Device(
                rs.getString(1), ApiTokens.strings(rs.getArray(2)), rs.getLong(3), rs.getLong(4))
            : null;
      }
    }
  }

  private static ApiError unknownDevice(String deviceId) {
    return new ApiError(
        404,
        "unknown_device",
        "Device " + deviceId + " has not synced yet with this token; pull first.");
  }
}
