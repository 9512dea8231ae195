// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;

/** {@code subscriber resume NAME}: a paused subscriber's waiting deliveries are sent again. */
final class SubscriberResumeCommand implements Command {
  @Override
  public String name() {
    return "subscriber resume";
  }

  @Override
  public String help() {
    return "subscriber resume NAME\n  Sends to a paused subscriber again, starting with what waited.";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    String name = Options.oneName(args, name(), "subscriber to resume", "crm");
    boolean changed = SubscriberPausing.set(ctx.db(), name, false);
    long waiting;
    try (Connection c = ctx.db().connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*) FROM webhook_delivery d"
                    + " JOIN webhook_subscriber s ON s.id = d.subscriber_id"
                    + " WHERE s.name = ? AND d.status IN ('pending', 'failed')")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        waiting = rs.getLong(1);
      }
    }
    ctx.out()
        .println(
            changed
                ? "Subscriber \""
                    + name
                    + "\" resumed: its "
                    + waiting
                    + " waiting deliveries will be sent shortly."
                : "Subscriber \""
                    + name
                    + "\" was not paused; "
                    + waiting
                    + " deliveries wait for it.");
    return Cli.OK;
  }
}
