// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code track MODEL...}: installs the capture triggers of models (webhook_track). */
final class TrackCommand implements Command {
  @Override
  public String name() {
    return "track";
  }

  @Override
  public String help() {
    return "track MODEL... [--table TABLE] [--ignore COL,COL] [--capture F1,F2]\n"
        + "  Starts capturing changes of Odoo models, e.g. `track res.partner sale.order`.\n"
        + "  All or nothing: if one model cannot be tracked, none is.\n"
        + "  --table    the table, when it does not follow Odoo's naming (one model only)\n"
        + "  --ignore   columns whose change alone is no event (default write_date,write_uid)\n"
        + "  --capture  fields whose old and new values the events record, for payloads and\n"
        + "             domains (one model only; never passwords, keys, tokens or binary data;\n"
        + "             --capture \"\" stops capturing values; without it the list is kept)";
  }

  @Override
  public Set<String> options() {
    return Set.of("table", "ignore", "capture");
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    List<String> models = ModelNames.fromWords(args, name());
    String table = args.get("table");
    if (table != null && models.size() > 1) {
      throw new UsageException(
          "--table names the table of one model; track the others separately.");
    }
    String ignore = args.get("ignore");
    String capture = args.get("capture");
    if (capture != null && models.size() > 1) {
      throw new UsageException("--capture names fields of one model; track the others separately.");
    }
    List<String> done = new ArrayList<>();
    try (Connection c = ctx.db().connection()) {
      // All or nothing: a model that cannot be tracked leaves the others as they were.
      c.setAutoCommit(false);
      try {
        for (String model : models) {
          done.add(track(c, model, table, ignore, capture));
        }
        c.commit();
      } finally {
        c.rollback(); // a no-op after the commit
      }
    }
    done.forEach(ctx.out()::println);
    return Cli.OK;
  }

  /** Tracks one model in the caller's transaction; returns the line to print once committed. */
  private static String track(
      Connection c, String model, String table, String ignore, String capture) throws SQLException {
    String tableName;
    try (PreparedStatement ps =
        c.prepareStatement(
            ignore == null ? "SELECT webhook_track(?, ?)" : "SELECT webhook_track(?, ?, ?)")) {
      ps.setString(1, model);
      ps.setString(2, table);
      if (ignore != null) {
        ps.setArray(3, c.createArrayOf("text", Options.csv(ignore).toArray()));
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        tableName = rs.getString(1);
      }
    }
    if (capture == null) {
      return "Tracking " + model + " (table " + tableName + ").";
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT webhook_set_captured_fields(?, ?)")) {
      ps.setString(1, model);
      ps.setArray(2, c.createArrayOf("text", Options.csv(capture).toArray()));
      ps.executeQuery().close();
    }
    List<String> fields = Options.csv(capture);
    return "Tracking "
        + model
        + " (table "
        + tableName
        + ")"
        + (fields.isEmpty()
            ? ", recording no field values."
            : ", recording the values of " + String.join(", ", fields) + ".");
  }
}
