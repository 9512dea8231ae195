// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Sets webhook_subscriber.paused (V12) for pause and resume. */
final class SubscriberPausing {
  private SubscriberPausing() {}

  /** Sets the flag; returns whether it changed. A clear error if there is no such subscriber. */
  static boolean set(Database db, String name, boolean paused) throws SQLException {
    try (Connection c = db.connection()) {
      long id = Subscribers.idOf(c, name);
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE webhook_subscriber SET paused = ?, updated_at = now() WHERE id = ? AND paused <> ?"
                  + " RETURNING id")) {
        ps.setBoolean(1, paused);
        ps.setLong(2, id);
        ps.setBoolean(3, paused);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    }
  }
}
