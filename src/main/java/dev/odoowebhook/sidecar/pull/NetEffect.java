// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Folds a page of events, in routed_seq order, into one change per record: its net effect for a
 * device that has seen none of them. The rules of webhook_net_event() (sql/R__webhook_route.sql)
 * and webhook_net_changes() (sql/R__webhook_content.sql) with nothing announced: create+write =
 * create, write+write = write with the union of fields, write+unlink = unlink, create+unlink =
 * nothing, unlink+create = create. Not thread-safe.
 */
final class NetEffect {
  private static final ObjectMapper JSON = dev.odoowebhook.sidecar.delivery.Payload.exactJson();

  /**
   * One event as read from webhook_event; changes is {field: {old, new}} of its captured fields as
   * JSON text (webhook_event_changes), null when nothing was captured.
   */
  record Event(
      long seq,
      long eventId,
      String model,
      long recordId,
      String event,
      List<String> changedFields,
      Instant capturedAt,
      String changes) {
    Event(
        long seq,
        long eventId,
        String model,
        long recordId,
        String event,
        List<String> changedFields,
        Instant capturedAt) {
      this(seq, eventId, model, recordId, event, changedFields, capturedAt, null);
    }
  }

  /**
   * The net change of one record; changedFields is null for create and unlink; changes the net
   * {field: {old, new}} of captured fields ({} when none); lastValues, for an unlink, the values
   * the record had when it was deleted (the old side of its last event, not of the net change).
   */
  record Change(
      String model,
      long recordId,
      String event,
      List<String> changedFields,
      long seq,
      Instant changedAt,
      int events,
      ObjectNode changes,
      ObjectNode lastValues) {}

  private record Key(String model, long recordId) {}

  private final Map<Key, Change> changes = new LinkedHashMap<>();

  void add(Event e) {
    Key key = new Key(e.model(), e.recordId());
    Change older = changes.remove(key);
    if (older == null) {
      changes.put(
          key,
          new Change(
              e.model(),
              e.recordId(),
              e.event(),
              e.event().equals("write") ? e.changedFields() : null,
              e.seq(),
              e.capturedAt(),
              1,
              (ObjectNode) json(e.changes()),
              lastValuesOf(e)));
      return;
    }
    String net = netEvent(older.event(), e.event());
    if (net == null) {
      return; // created and deleted within the page: the device never needs to know
    }
    List<String> fields = null;
    if (net.equals("write") && older.changedFields() != null && e.changedFields() != null) {
      TreeSet<String> union = new TreeSet<>(older.changedFields());
      union.addAll(e.changedFields());
      fields = new ArrayList<>(union);
    }
    changes.put(
        key,
        new Change(
            e.model(),
            e.recordId(),
            net,
            fields,
            e.seq(),
            e.capturedAt(),
            older.events() + 1,
            netChanges(older.changes(), (ObjectNode) json(e.changes())),
            lastValuesOf(e)));
  }

  private static ObjectNode lastValuesOf(Event e) {
    return e.event().equals("unlink") ? lastValues((ObjectNode) json(e.changes())) : null;
  }

  /**
   * webhook_net_changes(older, newer): per field, the old value before the older change and the new
   * value after the newer one.
   */
  static ObjectNode netChanges(ObjectNode older, ObjectNode newer) {
    ObjectNode net = older.deepCopy();
    newer
        .properties()
        .forEach(
            f -> {
              ObjectNode both = JSON.createObjectNode();
              both.set(
                  "old",
                  older.has(f.getKey())
                      ? older.get(f.getKey()).get("old")
                      : f.getValue().get("old"));
              both.set("new", f.getValue().get("new"));
              net.set(f.getKey(), both);
            });
    return net;
  }

  /** A JSON object from text; {} for null. */
  static JsonNode json(String text) {
    if (text == null) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Not JSON: " + text, e);
    }
  }

  /** An unlink's record: the last values, the old side of its changes. */
  static ObjectNode lastValues(ObjectNode changes) {
    ObjectNode last = JSON.createObjectNode();
    changes.properties().forEach(f -> last.set(f.getKey(), f.getValue().get("old")));
    return last;
  }

  /** webhook_net_event(older, newer, false). */
  static String netEvent(String older, String newer) {
    if (newer.equals("unlink")) {
      return older.equals("create") ? null : "unlink";
    }
    if (older.equals("create") || older.equals("unlink")) {
      return "create";
    }
    return "write";
  }

  /** The changes, in the order of each record's last event. */
  List<Change> changes() {
    List<Change> list = new ArrayList<>(changes.values());
    list.sort(Comparator.comparingLong(Change::seq));
    return list;
  }
}
