package dev.odoowebhook.sidecar.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON body of a delivery. It depends only on the delivery's content, so every retry of one
 * message id sends the same bytes. Thread-safe.
 */
public final class Payload {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Payload() {}

  public static byte[] render(Delivery d) {
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
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot render the payload of delivery " + d.id(), e);
    }
  }
}
