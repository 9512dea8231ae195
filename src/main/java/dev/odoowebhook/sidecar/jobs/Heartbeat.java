// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.jobs;

import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** Records that this sidecar is alive (webhook_sidecar_instance), for the addon and operators. */
public final class Heartbeat {
  private final Database db;
  private final String instanceId;

  public Heartbeat(Database db, String instanceId) {
    this.db = db;
    this.instanceId = instanceId;
  }

  /** Called at start: a new life of this instance id. */
  public void started(String host, String version) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO webhook_sidecar_instance (instance_id, host, version) VALUES (?, ?, ?)"
                    + " ON CONFLICT (instance_id) DO UPDATE SET host = EXCLUDED.host,"
                    + " version = EXCLUDED.version, started_at = now(), last_seen_at = now(),"
                    + " stopped_at = NULL")) {
      ps.setString(1, instanceId);
      ps.setString(2, host);
      ps.setString(3, version);
      ps.executeUpdate();
    }
  }

  public void beat() throws SQLException {
    update("UPDATE webhook_sidecar_instance SET last_seen_at = now() WHERE instance_id = ?");
  }

  public void stopped() throws SQLException {
    update(
        "UPDATE webhook_sidecar_instance SET last_seen_at = now(), stopped_at = now()"
            + " WHERE instance_id = ?");
  }

  private void update(String sql) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, instanceId);
      ps.executeUpdate();
    }
  }
}
