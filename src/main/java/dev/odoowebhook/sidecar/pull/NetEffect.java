package dev.odoowebhook.sidecar.pull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Folds a page of events, in routed_seq order, into one change per record: its net effect for a
 * device that has seen none of them. The rules of webhook_net_event() in sql/V3 with nothing
 * announced: create+write = create, write+write = write with the union of fields,
 * write+unlink = unlink, create+unlink = nothing, unlink+create = create. Not thread-safe.
 */
final class NetEffect {
  /** One event as read from webhook_event. */
  record Event(long seq, long eventId, String model, long recordId, String event,
               List<String> changedFields, Instant capturedAt) {}

  /** The net change of one record; changedFields is null for create and unlink. */
  record Change(String model, long recordId, String event, List<String> changedFields,
                long seq, Instant changedAt, int events) {}

  private record Key(String model, long recordId) {}

  private final Map<Key, Change> changes = new LinkedHashMap<>();

  void add(Event e) {
    Key key = new Key(e.model(), e.recordId());
    Change older = changes.remove(key);
    if (older == null) {
      changes.put(key, new Change(e.model(), e.recordId(), e.event(),
          e.event().equals("write") ? e.changedFields() : null, e.seq(), e.capturedAt(), 1));
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
    changes.put(key, new Change(e.model(), e.recordId(), net, fields, e.seq(), e.capturedAt(),
        older.events() + 1));
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
