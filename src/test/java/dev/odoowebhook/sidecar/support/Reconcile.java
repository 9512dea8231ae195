// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The exact reconciliation of a run: every captured event of a record must lie inside the event
 * range of a delivery the receiver answered (a delivery carries first_event_id..last_event_id of
 * the events merged into it). Also counts duplicates (the same webhook-id answered twice).
 */
public final class Reconcile {
  public final int events;
  public final int received;
  public final int duplicates;
  public final List<String> missing;

  private Reconcile(int events, int received, int duplicates, List<String> missing) {
    this.events = events;
    this.received = received;
    this.duplicates = duplicates;
    this.missing = missing;
  }

  public static Reconcile of(TestDatabase db, List<Receiver.Request> requests) {
    Map<Long, List<long[]>> ranges = new HashMap<>();
    Set<String> ids = new HashSet<>();
    int duplicates = 0;
    for (Receiver.Request r : requests) {
      if (!ids.add(r.header("webhook-id"))) {
        duplicates++;
      }
      JsonNode d = r.data();
      ranges
          .computeIfAbsent(d.get("record_id").asLong(), k -> new ArrayList<>())
          .add(new long[] {d.get("first_event_id").asLong(), d.get("last_event_id").asLong()});
    }
    List<String> missing = new ArrayList<>();
    List<Map<String, Object>> events =
        db.rows(
            "SELECT id, record_id, event FROM webhook_event WHERE model = 'res.partner' ORDER BY id");
    for (Map<String, Object> e : events) {
      long id = (Long) e.get("id");
      List<long[]> covered = ranges.getOrDefault((Long) e.get("record_id"), List.of());
      if (covered.stream().noneMatch(rg -> rg[0] <= id && id <= rg[1])) {
        missing.add(
            "event " + id + " (" + e.get("event") + " of record " + e.get("record_id") + ")");
      }
    }
    return new Reconcile(events.size(), requests.size(), duplicates, missing);
  }

  @Override
  public String toString() {
    return events
        + " events, "
        + received
        + " deliveries received, "
        + duplicates
        + " duplicates, "
        + missing.size()
        + " events lost"
        + (missing.isEmpty() ? "" : ": " + missing.subList(0, Math.min(10, missing.size())));
  }
}
