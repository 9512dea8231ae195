// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.identity.Installation;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;

/**
 * {@code confirm-copy [--keep-paused]}: an admin's word that a database the sidecar holds as a copy
 * of another (a restore, Odoo's duplicate, a staging copy) may deliver. Records it as the
 * installation and resumes the subscribers the hold paused (webhook_confirm_copy()).
 */
final class ConfirmCopyCommand implements Command {
  @Override
  public String name() {
    return "confirm-copy";
  }

  @Override
  public String help() {
    return "confirm-copy [--keep-paused]\n"
        + "  On a copy of the database (restore, Odoo duplicate, staging) the sidecar holds\n"
        + "  deliveries: subscribers are paused, events wait. This records the copy as its own\n"
        + "  installation and resumes them; check their URLs first (a copy of production sends\n"
        + "  to production's receivers). --keep-paused: confirm, resume none (use `subscriber\n"
        + "  resume NAME` one by one).";
  }

  @Override
  public Set<String> options() {
    return Set.of("keep-paused");
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    Options.noWords(args, name());
    boolean resume = !args.has("keep-paused");
    try (Connection c = ctx.db().connection()) {
      int resumed = Installation.confirmCopy(c, resume);
      if (resumed < 0) {
        ctx.out()
            .println(
                "This database is not held as a copy: nothing to confirm. "
                    + Installation.status(c).message());
      } else {
        ctx.out()
            .println(
                "Confirmed: this database is now its own installation; "
                    + (resume
                        ? resumed + " subscriber(s) paused by the hold resumed."
                        : "its subscribers stay paused (`subscriber resume NAME`)."));
      }
    }
    return Cli.OK;
  }
}
