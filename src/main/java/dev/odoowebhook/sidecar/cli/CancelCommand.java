// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code cancel}: marks dead deliveries cancelled, kept but no longer counted as a problem
 * (webhook_cancel_delivery, webhook_cancel_dead_deliveries). Only dead ones: the SQL refuses the
 * others. {@code replay} makes a cancelled delivery pending again.
 */
final class CancelCommand implements Command {
  @Override
  public String name() {
    return "cancel";
  }

  @Override
  public String help() {
    return "cancel (--id ID | --dead [--subscriber NAME]) [--dry-run]\n"
        + "  Cancels dead deliveries: one by id, or all dead ones (of one subscriber). They are\n"
        + "  kept, no longer counted as dead, purged after WEBHOOK_RETENTION_DEAD, and can still\n"
        + "  be sent with `replay --id ID` or `replay --cancelled`.";
  }

  @Override
  public Set<String> options() {
    return Set.of("id", "dead", "subscriber", "dry-run");
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    if (args.has("id") == args.has("dead")) {
      throw new UsageException(
          "Say which deliveries to cancel: --id ID, or --dead [--subscriber NAME] (one of them).");
    }
    if (args.has("id") && args.has("subscriber")) {
      throw new UsageException(
          "--subscriber goes with --dead: `cancel --dead --subscriber NAME`; --id names one"
              + " delivery already.");
    }
    try (Connection c = ctx.db().connection()) {
      return args.has("id") ? cancelOne(c, args, ctx) : cancelDead(c, args, ctx);
    }
  }

  private static int cancelOne(Connection c, Args args, Context ctx) throws SQLException {
    long id = Options.parseLong(args.get("id"), "--id");
    if (args.has("dry-run")) {
      String status = statusOf(c, id);
      ctx.out()
          .println(
              "dead".equals(status)
                  ? "Delivery " + id + " would be cancelled."
                  : "Delivery "
                      + id
                      + (status == null
                          ? " does not exist."
                          : " is " + status + "; only dead deliveries can be cancelled."));
      return Cli.OK;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT webhook_cancel_delivery(?)")) {
      ps.setLong(1, id);
      ps.executeQuery().close();
    }
    ctx.out()
        .println(
            "Delivery "
                + id
                + " is cancelled: kept, no longer counted as dead (`replay --id "
                + id
                + "` sends it again).");
    return Cli.OK;
  }

  private static int cancelDead(Connection c, Args args, Context ctx) throws SQLException {
    List<Long> subscribers = new ArrayList<>();
    if (args.has("subscriber")) {
      subscribers.add(Subscribers.idOf(c, args.get("subscriber")));
    } else {
      subscribers.addAll(
          ids(c, "SELECT DISTINCT subscriber_id FROM webhook_delivery WHERE status = 'dead'"));
    }
    String of = args.has("subscriber") ? " of \"" + args.get("subscriber") + "\"" : "";
    if (args.has("dry-run")) {
      List<Long> dead = deadIds(c, subscribers);
      ctx.out()
          .println(
              dead.size()
                  + " dead deliveries"
                  + of
                  + " would be cancelled"
                  + (dead.isEmpty() ? "." : ": " + dead));
      return Cli.OK;
    }
    int cancelled = 0;
    try (PreparedStatement ps = c.prepareStatement("SELECT webhook_cancel_dead_deliveries(?)")) {
      for (long subscriber : subscribers) {
        ps.setLong(1, subscriber);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          cancelled += rs.getInt(1);
        }
      }
    }
    // Rows a replay or the router held at that moment are skipped, not waited for.
    int left = deadIds(c, subscribers).size();
    ctx.out()
        .println(
            cancelled
                + " dead deliveries"
                + of
                + " cancelled: kept, no longer counted as dead (`replay --cancelled` sends them"
                + " again)."
                + (left == 0
                    ? ""
                    : " "
                        + left
                        + " others were busy (being replayed or merged) or died meanwhile; run"
                        + " the command again."));
    return Cli.OK;
  }

  private static String statusOf(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT status FROM webhook_delivery WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static List<Long> deadIds(Connection c, List<Long> subscribers) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id FROM webhook_delivery WHERE status = 'dead' AND subscriber_id = ANY (?)"
                + " ORDER BY id")) {
      ps.setArray(1, c.createArrayOf("bigint", subscribers.toArray()));
      return collect(ps);
    }
  }

  private static List<Long> ids(Connection c, String query) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(query)) {
      return collect(ps);
    }
  }

  private static List<Long> collect(PreparedStatement ps) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }
}
