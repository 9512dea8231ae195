package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
    return "track MODEL... [--table TABLE] [--ignore COL,COL]\n"
        + "  Starts capturing changes of Odoo models, e.g. `track res.partner sale.order`.\n"
        + "  --table   the table, when it does not follow Odoo's naming (one model only)\n"
        + "  --ignore  columns whose change alone is no event (default write_date,write_uid)";
  }

  @Override
  public Set<String> options() {
    return Set.of("table", "ignore");
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    List<String> models = ModelNames.fromWords(args, name());
    String table = args.get("table");
    if (table != null && models.size() > 1) {
      throw new UsageException("--table names the table of one model; track the others separately.");
    }
    String ignore = args.get("ignore");
    try (Connection c = ctx.db().connection()) {
      for (String model : models) {
        try (PreparedStatement ps = c.prepareStatement(
            ignore == null ? "SELECT webhook_track(?, ?)" : "SELECT webhook_track(?, ?, ?)")) {
          ps.setString(1, model);
          ps.setString(2, table);
          if (ignore != null) {
            ps.setArray(3, c.createArrayOf("text", Options.csv(ignore).toArray()));
          }
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            ctx.out().println("Tracking " + model + " (table " + rs.getString(1) + ").");
          }
        }
      }
    }
    return Cli.OK;
  }
}
