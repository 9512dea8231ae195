// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON body of a delivery, by the subscriber's {@link PayloadMode}. In modes ids and changes it
 * depends only on the delivery's content, so every retry of one message id sends the same bytes; in
 * mode record, {@code data.record} is the record as it is when sent. Thread-safe.
 */
public final class Payload {
  /** Bodies larger than this are not sent (error type payload_too_large), never cut. */
  public static final int MAX_BYTES = 4 * 1024 * 1024;

  private static final ObjectMapper JSON = exactJson();

  /**
   * A JSON mapper that keeps numbers as written: PostgreSQL's numeric 1200.00 stays 1200.00 (a
   * double would send 1200.0, and lose digits of large amounts). For every value read back from the
   * database's JSON.
   */
  public static ObjectMapper exactJson() {
    return JsonMapper.builder()
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
        .build();
  }

  private Payload() {}

  /** The body of mode ids. */
  public static byte[] render(Delivery d) {
    return render(d, PayloadMode.IDS);
  }

  public static byte[] render(Delivery d, PayloadMode mode) {
    ObjectNode root = JSON.createObjectNode();
    root.put("type", d.model() + "." + d.event());
    root.put("timestamp", d.lastCapturedAt().toString());
    ObjectNode data = root.putObject("data");
    data.put("model", d.model());
    data.put("record_id", d.recordId());
    data.put("event", d.event());
    if (d.changedFields() == null) {
      data.putNull("changed_fields");
    } else {
      d.changedFields().forEach(data.putArray("changed_fields")::add);
    }
    data.put("coalesced_count", d.coalescedCount());
    data.put("occurred_at", d.lastCapturedAt().toString());
    data.put("first_occurred_at", d.firstCapturedAt().toString());
    data.put("delivery_id", d.id());
    // Event ids grow in commit order per record: a receiver can drop anything older than it has.
    data.put("first_event_id", d.firstEventId());
    data.put("last_event_id", d.lastEventId());
    if (d.test()) {
      data.put("test", true); // only on tests, so the bodies of real news stay as they were
    }
    if (mode != PayloadMode.IDS) {
      data.set("changes", changes(d));
    }
    if (mode == PayloadMode.RECORD) {
      data.set("record", record(d));
    }
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot render the payload of delivery " + d.id(), e);
    }
  }

  private static JsonNode changes(Delivery d) {
    if (d.changes() == null) {
      return JSON.createObjectNode(); // nothing captured for this model (or before capture began)
    }
    try {
      return JSON.readTree(d.changes());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Delivery " + d.id() + " has changes that are not JSON", e);
    }
  }

  /**
   * The record as read when sending (for an unlink, the values it had when deleted); null when the
   * record is gone (its unlink follows).
   */
  private static JsonNode record(Delivery d) {
    return d.record() == null ? JSON.nullNode() : d.record();
  }
}
