// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code replay}: makes dead, cancelled or failed deliveries pending again
 * (webhook_replay_delivery).
 */
final class ReplayCommand implements Command {
  @Override
  public String name() {
    return "replay";
  }

  @Override
  public String help() {
    return "replay (--id ID | --dead | --cancelled | --failed | --since TIME) [--dry-run]\n"
        + "  Sends deliveries again: one by id, all dead (cancelled, failed) ones, or all dead and\n"
        + "  failed ones updated since TIME (ISO 8601, e.g. 2026-11-22T10:00:00Z, or 2h for\n"
        + "  the last two hours). Attempts are reset; each gets a new webhook-id.";
  }

  @Override
  public Set<String> options() {
    return Set.of("id", "dead", "cancelled", "failed", "since", "dry-run");
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    int chosen =
        (args.has("id") ? 1 : 0)
            + (args.has("dead") ? 1 : 0)
            + (args.has("cancelled") ? 1 : 0)
            + (args.has("failed") ? 1 : 0)
            + (args.has("since") ? 1 : 0);
    if (chosen != 1) {
      throw new UsageException(
          "Say which deliveries to replay: --id ID, --dead, --cancelled, --failed or --since TIME"
              + " (one of them).");
    }
    try (Connection c = ctx.db().connection()) {
      List<Long> ids = chosenIds(c, args);
      if (args.has("dry-run")) {
        ctx.out()
            .println(
                ids.size() + " deliveries would be replayed" + (ids.isEmpty() ? "." : ": " + ids));
        return Cli.OK;
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT webhook_replay_delivery(?)")) {
        for (long id : ids) {
          ps.setLong(1, id);
          ps.executeQuery().close();
        }
      }
      ctx.out()
          .println(
              ids.size() == 1 && args.has("id")
                  ? "Delivery " + ids.get(0) + " is pending again and will be sent shortly."
                  : ids.size() + " deliveries are pending again and will be sent shortly.");
    }
    return Cli.OK;
  }

  private static List<Long> chosenIds(Connection c, Args args) throws SQLException {
    List<Long> ids = new ArrayList<>();
    if (args.has("id")) {
      ids.add(Options.parseLong(args.get("id"), "--id"));
      return ids;
    }
    String where =
        args.has("dead")
            ? "status = 'dead'"
            : args.has("cancelled")
                ? "status = 'cancelled'"
                : args.has("failed")
                    ? "status = 'failed'"
                    : "status IN ('dead', 'failed') AND updated_at >= ?";
    try (PreparedStatement ps =
        c.prepareStatement("SELECT id FROM webhook_delivery WHERE " + where + " ORDER BY id")) {
      if (args.has("since")) {
        ps.setTimestamp(1, Timestamp.from(Options.since(args.get("since"))));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
    }
    return ids;
  }
}
