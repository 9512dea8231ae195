// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * A claimed webhook_delivery row: what to tell one subscriber about one record. Immutable.
 *
 * <p>A test delivery (sql/R__webhook_replay.sql) has test = true in its row and names the real
 * model of its record, or {@value #TEST_MODEL} for the fixed test event, which has no record.
 */
public record Delivery(
    long id,
    long subscriberId,
    String model,
    long recordId,
    String event,
    List<String> changedFields,
    int coalescedCount,
    long firstEventId,
    long lastEventId,
    Instant firstCapturedAt,
    Instant lastCapturedAt,
    int contentVersion,
    int attempts,
    /** {field: {old, new}} of the captured fields as JSON text, net of merges; null if none. */
    String changes,
    /** The record as read when sending (payload record only); null otherwise or if gone. */
    JsonNode record,
    /** Sent by hand to check a receiver (data.test = true in the body), not news of a change. */
    boolean test) {

  /** The model of the fixed test event. */
  public static final String TEST_MODEL = "webhook.test";

  /**
   * The Standard Webhooks message id: the same for every retry of the same content, new when events
   * merged into content that was already attempted, or when a human replays it. The capture time of
   * the first event (microseconds, base 36) makes it unique across copies and restores of the
   * database: a copy or a restore reissues delivery ids, never with the same capture time, so a
   * receiver that deduplicates never drops news as a repeat.
   */
  public String messageId() {
    long micros =
        firstCapturedAt.getEpochSecond() * 1_000_000L + firstCapturedAt.getNano() / 1_000L;
    return "msg_" + id + "_" + contentVersion + "_" + Long.toString(micros, 36);
  }

  /** The same delivery with the record as it is now. */
  public Delivery withRecord(JsonNode now) {
    return new Delivery(
        id,
        subscriberId,
        model,
        recordId,
        event,
        changedFields,
        coalescedCount,
        firstEventId,
        lastEventId,
        firstCapturedAt,
        lastCapturedAt,
        contentVersion,
        attempts,
        changes,
        now,
        test);
  }

  static Delivery from(ResultSet rs) throws SQLException {
    Array fields = rs.getArray("changed_fields");
    return new Delivery(
        rs.getLong("id"),
        rs.getLong("subscriber_id"),
        rs.getString("model"),
        rs.getLong("record_id"),
        rs.getString("event"),
        fields == null ? null : Arrays.asList((String[]) fields.getArray()),
        rs.getInt("coalesced_count"),
        rs.getLong("first_event_id"),
        rs.getLong("last_event_id"),
        rs.getTimestamp("first_captured_at").toInstant(),
        rs.getTimestamp("last_captured_at").toInstant(),
        rs.getInt("content_version"),
        rs.getInt("attempts"),
        rs.getString("changes"),
        null,
        rs.getBoolean("test"));
  }
}
