// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;

/**
 * {@code subscriber remove NAME [--yes]}: deletes a subscriber with its deliveries and attempts (ON
 * DELETE CASCADE). Without --yes it only says what would go, and asks for --yes.
 */
final class SubscriberRemoveCommand implements Command {
  @Override
  public String name() {
    return "subscriber remove";
  }

  @Override
  public String help() {
    return "subscriber remove NAME [--yes]\n"
        + "  Deletes a subscriber with all its deliveries and their attempts. Without --yes it\n"
        + "  shows what would go and changes nothing. Deliveries in flight finish as \"deleted\".";
  }

  @Override
  public Set<String> options() {
    return Set.of("yes");
  }

  /** What goes with a subscriber. */
  private record Deliveries(
      long pending,
      long processing,
      long failed,
      long dead,
      long cancelled,
      long sent,
      long attempts) {
    long total() {
      return pending + processing + failed + dead + cancelled + sent;
    }
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    String name = Options.oneName(args, name(), "subscriber to remove", "crm --yes");
    try (Connection c = ctx.db().connection()) {
      long id = Subscribers.idOf(c, name);
      Deliveries d = deliveries(c, id);
      String inFlight =
          d.processing() == 0
              ? ""
              : " "
                  + d.processing()
                  + " in flight now will finish as \"deleted\" (their outcome is not recorded).";
      if (!args.has("yes")) {
        ctx.out()
            .println(
                "Subscriber "
                    + id
                    + " \""
                    + name
                    + "\" has "
                    + (d.pending() + d.processing() + d.failed())
                    + " open deliveries (pending "
                    + d.pending()
                    + ", processing "
                    + d.processing()
                    + ", failed "
                    + d.failed()
                    + "), "
                    + d.dead()
                    + " dead"
                    + (d.cancelled() == 0 ? "" : ", " + d.cancelled() + " cancelled")
                    + " and "
                    + d.sent()
                    + " sent, with "
                    + d.attempts()
                    + " attempts logged. Removing it deletes them all."
                    + inFlight);
        throw new UsageException(
            "`subscriber remove` deletes; add --yes to remove \""
                + name
                + "\" and its deliveries: `subscriber remove "
                + name
                + " --yes`.");
      }
      try (PreparedStatement ps =
          c.prepareStatement("DELETE FROM webhook_subscriber WHERE id = ?")) {
        ps.setLong(1, id);
        ps.executeUpdate();
      }
      ctx.out()
          .println(
              "Subscriber "
                  + id
                  + " \""
                  + name
                  + "\" removed with its "
                  + d.total()
                  + " deliveries and "
                  + d.attempts()
                  + " attempts."
                  + inFlight);
    }
    return Cli.OK;
  }

  private static Deliveries deliveries(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'processing'),"
                + " count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'dead'),"
                + " count(*) FILTER (WHERE status = 'cancelled'), count(*) FILTER (WHERE status = 'sent'),"
                + " (SELECT count(*) FROM webhook_attempt a JOIN webhook_delivery x ON x.id = a.delivery_id"
                + " WHERE x.subscriber_id = ?)"
                + " FROM webhook_delivery WHERE subscriber_id = ?")) {
      ps.setLong(1, id);
      ps.setLong(2, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new Deliveries(
            rs.getLong(1),
            rs.getLong(2),
            rs.getLong(3),
            rs.getLong(4),
            rs.getLong(5),
            rs.getLong(6),
            rs.getLong(7));
      }
    }
  }
}
