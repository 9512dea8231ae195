// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Finding a subscriber by the name given on the command line. */
final class Subscribers {
  private Subscribers() {}

  /** The id of the subscriber of that name; a clear error if there is none. */
  static long idOf(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT id FROM webhook_subscriber WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new CommandException(
              "There is no subscriber named \"" + name + "\"; see `subscriber list`.");
        }
        return rs.getLong(1);
      }
    }
  }

  /** The error for a name taken by another subscriber (unique_violation). */
  static CommandException nameTaken(String name, String option) {
    return new CommandException(
        "A subscriber named \"" + name + "\" exists already; choose another " + option + ".");
  }
}
