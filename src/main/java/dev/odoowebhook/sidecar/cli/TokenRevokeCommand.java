// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.pull.ApiTokens;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;

/** {@code token revoke NAME}: its apps get 401 from the next request on. */
final class TokenRevokeCommand implements Command {
  @Override
  public String name() {
    return "token revoke";
  }

  @Override
  public String help() {
    return "token revoke NAME\n"
        + "  Revokes the active token of that name: its apps get 401 from the next request on.";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    String name = Options.oneName(args, name(), "token to revoke", "sales-app");
    try (Connection c = ctx.db().connection()) {
      if (!ApiTokens.revoke(c, name)) {
        throw new CommandException(
            "There is no active token named \"" + name + "\"; see `token list`.");
      }
    }
    ctx.out().println("Token \"" + name + "\" revoked: requests with it get 401 from now on.");
    return Cli.OK;
  }
}
