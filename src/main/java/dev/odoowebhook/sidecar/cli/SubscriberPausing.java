// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;

/**
 * {@code subscriber pause} and {@code resume}: set webhook_subscriber.paused (V12) of the one
 * subscriber named, then say what changed and how many deliveries wait for it. Stateless.
 */
abstract class SubscriberPausing implements Command {
  private final boolean pause;

  SubscriberPausing(boolean pause) {
    this.pause = pause;
  }

  /**
   * The line to print: whether the flag changed, and the deliveries that wait (pending, failed).
   */
  abstract String said(String name, boolean changed, long waiting);

  @Override
  public Set<String> options() {
    return Set.of();
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    String name =
        Options.oneName(args, name(), "subscriber to " + (pause ? "pause" : "resume"), "crm");
    try (Connection c = ctx.db().connection()) {
      long id = Subscribers.idOf(c, name);
      boolean changed = set(c, id);
      ctx.out().println(said(name, changed, waiting(c, id)));
    }
    return Cli.OK;
  }

  /** Sets the flag; returns whether it changed. */
  private boolean set(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE webhook_subscriber SET paused = ?, updated_at = now() WHERE id = ? AND paused <> ?"
                + " RETURNING id")) {
      ps.setBoolean(1, pause);
      ps.setLong(2, id);
      ps.setBoolean(3, pause);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static long waiting(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT count(*) FROM webhook_delivery"
                + " WHERE subscriber_id = ? AND status IN ('pending', 'failed')")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
