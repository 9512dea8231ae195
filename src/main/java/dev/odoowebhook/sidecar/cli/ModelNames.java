// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.regex.Pattern;

/** Odoo model names given on the command line: their form, and whether the database knows them. */
final class ModelNames {
  static final Pattern MODEL = Pattern.compile("[a-z0-9_]+(\\.[a-z0-9_]+)*");

  private ModelNames() {}

  /** The models named after the command word, e.g. `track res.partner sale.order`. */
  static List<String> fromWords(Args args, String command) {
    List<String> models = args.words.subList(1, args.words.size());
    if (models.isEmpty()) {
      throw new UsageException("Name at least one model, e.g. `" + command + " res.partner`.");
    }
    for (String m : models) {
      if (!MODEL.matcher(m).matches()) {
        throw new UsageException(
            "\"" + m + "\" is not an Odoo model name; use the technical name, e.g. res.partner.");
      }
    }
    return models;
  }

  /**
   * A model must be tracked, or at least known to Odoo (ir_model), to be subscribed to. A known but
   * untracked one gets a note on {@code err}.
   */
  static void checkKnown(Connection c, String model, PrintStream err) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM webhook_tracked_model WHERE model = ?),"
                + " to_regclass('ir_model') IS NOT NULL")) {
      ps.setString(1, model);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getBoolean(1)) {
          return;
        }
        if (!rs.getBoolean(2)) {
          throw new CommandException(
              "Model " + model + " is not tracked. Track it first: `track " + model + "`.");
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement("SELECT EXISTS (SELECT 1 FROM ir_model WHERE model = ?)")) {
      ps.setString(1, model);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          throw new CommandException(
              "Model "
                  + model
                  + " does not exist in this Odoo database (not in ir_model). Check the name or install its module.");
        }
      }
    }
    err.println(
        "Note: model "
            + model
            + " is not tracked yet; nothing will be sent until `track "
            + model
            + "`.");
  }
}
