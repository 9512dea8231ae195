// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.SQLException;
import java.util.Set;

/**
 * {@code subscriber pause NAME}: events are still routed to it and wait as pending deliveries; no
 * sidecar sends any until {@code subscriber resume}. Deliveries in flight finish.
 */
final class SubscriberPauseCommand implements Command {
  @Override
  public String name() {
    return "subscriber pause";
  }

  @Override
  public String help() {
    return "subscriber pause NAME\n"
        + "  Stops sending to a subscriber (e.g. while its receiver is down for maintenance):\n"
        + "  its events still become deliveries and wait; `subscriber resume NAME` sends them.";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    String name = Options.oneName(args, name(), "subscriber to pause", "crm");
    boolean changed = SubscriberPausing.set(ctx.db(), name, true);
    ctx.out()
        .println(
            "Subscriber \""
                + name
                + "\" "
                + (changed ? "paused" : "was paused already")
                + ": its events wait as deliveries and nothing is sent until `subscriber resume "
                + name
                + "`.");
    return Cli.OK;
  }
}
