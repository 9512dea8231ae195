// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Set;

/** {@code untrack MODEL...}: removes the capture of models; captured events still go out. */
final class UntrackCommand implements Command {
  @Override
  public String name() {
    return "untrack";
  }

  @Override
  public String help() {
    return "untrack MODEL...\n"
        + "  Stops capturing changes of models; events already captured are still delivered.";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    try (Connection c = ctx.db().connection();
        PreparedStatement ps = c.prepareStatement("SELECT webhook_untrack(?)")) {
      for (String model : ModelNames.fromWords(args, name())) {
        ps.setString(1, model);
        ps.executeQuery().close();
        ctx.out()
            .println(
                "No longer tracking "
                    + model
                    + "; events already captured will still be delivered.");
      }
    }
    return Cli.OK;
  }
}
