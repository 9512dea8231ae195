// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads, for the claimed creates and writes of subscribers with payload record, their records as
 * they are now: one query per model and field list for a whole claim, not one per delivery. A group
 * that cannot be read is left to the sender, which reads each delivery's record itself and records
 * a failure it cannot overcome as an attempt (record_unreadable). Thread-safe.
 */
final class ReadRecords {
  private static final Logger log = LoggerFactory.getLogger(ReadRecords.class);

  private record Group(String model, List<String> fields) {}

  private final DeliveryStore store;
  private final SubscriberDirectory subscribers;

  ReadRecords(DeliveryStore store, SubscriberDirectory subscribers) {
    this.store = store;
    this.subscribers = subscribers;
  }

  /** The claimed deliveries, those of payload record with their records attached. */
  List<Delivery> attach(List<Delivery> claimed) throws SQLException {
    Map<Group, List<Delivery>> groups = new HashMap<>();
    for (Delivery d : claimed) {
      SubscriberDirectory.Entry e = subscribers.get(d.subscriberId());
      if (e != null
          && e.subscriber().payload() == PayloadMode.RECORD
          && !"unlink".equals(d.event())) {
        groups
            .computeIfAbsent(
                new Group(d.model(), e.subscriber().recordFields()), g -> new ArrayList<>())
            .add(d);
      }
    }
    if (groups.isEmpty()) {
      return claimed;
    }
    Map<Long, Delivery> read = new HashMap<>();
    for (Map.Entry<Group, List<Delivery>> g : groups.entrySet()) {
      List<Long> ids = g.getValue().stream().map(Delivery::recordId).distinct().toList();
      try {
        Map<Long, JsonNode> records =
            store.readRecords(g.getKey().model(), g.getKey().fields(), ids);
        for (Delivery d : g.getValue()) {
          // A record gone since is read as JSON null: its unlink follows.
          read.put(
              d.id(), d.withRecord(records.getOrDefault(d.recordId(), NullNode.getInstance())));
        }
      } catch (SQLException e) {
        log.debug(
            "Reading {} records of {} together failed ({}); each is read when sent.",
            ids.size(),
            g.getKey().model(),
            e.getMessage());
      }
    }
    List<Delivery> attached = new ArrayList<>(claimed.size());
    claimed.forEach(d -> attached.add(read.getOrDefault(d.id(), d)));
    return attached;
  }
}
