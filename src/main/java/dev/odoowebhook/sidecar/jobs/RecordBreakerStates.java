// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.jobs;

import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Records this sidecar's circuit-breaker state per subscriber (webhook_record_breakers,
 * sql/R__webhook_operations.sql), with the heartbeat, so the addon can say that a subscriber's
 * deliveries wait because its breaker is open. Only the sidecar knows its breakers.
 */
public final class RecordBreakerStates {
  private final Database db;
  private final String instanceId;
  private final Supplier<Map<Long, String>> states;

  /**
   * @param states per subscriber id: closed, open or half_open
   */
  public RecordBreakerStates(Database db, String instanceId, Supplier<Map<Long, String>> states) {
    this.db = db;
    this.instanceId = instanceId;
    this.states = states;
  }

  public void run() throws SQLException {
    Map<Long, String> now = states.get();
    if (now.isEmpty()) {
      return;
    }
    List<Long> ids = new ArrayList<>(now.keySet());
    List<String> values = ids.stream().map(now::get).toList();
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT webhook_record_breakers(?, ?, ?)")) {
      ps.setString(1, instanceId);
      ps.setArray(2, c.createArrayOf("bigint", ids.toArray()));
      ps.setArray(3, c.createArrayOf("text", values.toArray()));
      ps.executeQuery().close();
    }
  }
}
