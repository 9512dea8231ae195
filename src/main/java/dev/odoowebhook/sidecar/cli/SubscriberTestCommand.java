// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;

/**
 * {@code subscriber test NAME [--model M --id N]}: queues a test delivery to one subscriber
 * (webhook_send_test_event, sql/R__webhook_replay.sql), marked data.test = true: the fixed test
 * event, or the body the subscriber would get for a real record of its models.
 */
final class SubscriberTestCommand implements Command {
  @Override
  public String name() {
    return "subscriber test";
  }

  @Override
  public String help() {
    return "subscriber test NAME [--model MODEL --id ID]\n"
        + "  Queues a test delivery to one subscriber, to check its URL and secret. Alone: the\n"
        + "  fixed test event (model webhook.test). With --model and --id: the body it would get\n"
        + "  for that record, shaped like its creation, in its payload mode. Either way the body\n"
        + "  has data.test = true and no other subscriber gets it; real deliveries are untouched.";
  }

  @Override
  public Set<String> options() {
    return Set.of("model", "id");
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    String name = Options.oneName(args, name(), "subscriber", "crm --model res.partner --id 7");
    String model = args.get("model");
    String id = args.get("id");
    if ((model == null) != (id == null)) {
      throw new UsageException(
          "Give --model and --id together (e.g. --model res.partner --id 7), or neither for"
              + " the fixed test event.");
    }
    Long recordId = id == null ? null : Options.parseLong(id, "--id");
    try (Connection c = ctx.db().connection()) {
      long subscriber = Subscribers.idOf(c, name);
      long delivery = queue(c, subscriber, model == null ? null : model.trim(), recordId);
      String what =
          model == null
              ? "the fixed test event (model webhook.test)"
              : "the body it gets for " + model.trim() + " #" + recordId + " as if just created";
      ctx.out()
          .println(
              "Test delivery "
                  + delivery
                  + " queued for subscriber \""
                  + name
                  + "\": "
                  + what
                  + ", marked data.test = true. "
                  + waitNote(c, subscriber, name));
    }
    return Cli.OK;
  }

  private static long queue(Connection c, long subscriber, String model, Long recordId)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            model == null
                ? "SELECT webhook_send_test_event(?)"
                : "SELECT webhook_send_test_event(?, ?, ?)")) {
      ps.setLong(1, subscriber);
      if (model != null) {
        ps.setString(2, model);
        ps.setLong(3, recordId);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** When it goes out: a paused or inactive subscriber holds it. */
  private static String waitNote(Connection c, long subscriber, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT active, paused FROM webhook_subscriber WHERE id = ?")) {
      ps.setLong(1, subscriber);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return "It waits: the subscriber is inactive, and nothing is sent to it until it is active.";
        }
        if (rs.getBoolean(2)) {
          return "It waits: the subscriber is paused (`subscriber resume " + name + "` sends it).";
        }
        return "A running sidecar sends it within seconds; `status` shows it.";
      }
    }
  }
}
