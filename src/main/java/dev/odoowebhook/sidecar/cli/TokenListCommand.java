// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** {@code token list}: the API tokens and their use; never the tokens themselves. */
final class TokenListCommand implements Command {
  @Override
  public String name() {
    return "token list";
  }

  @Override
  public String help() {
    return "token list\n  Lists API tokens: models, created, last used, revoked, devices (no tokens).";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    Options.noWords(args, name());
    Listing.print(
        ctx,
        "SELECT t.id, t.name, t.models, t.created_at, t.last_used_at, t.revoked_at,"
            + " (SELECT count(*) FROM webhook_device d WHERE d.token_id = t.id)"
            + " FROM webhook_api_token t ORDER BY t.id",
        "%-5s %-20s %-30s %-20s %-20s %-8s %7s",
        List.of("ID", "NAME", "MODELS", "CREATED", "LAST USED", "STATUS", "DEVICES"),
        rs ->
            Arrays.asList(
                rs.getLong(1),
                rs.getString(2),
                Options.joined(rs.getArray(3), ""),
                time(rs.getTimestamp(4)),
                time(rs.getTimestamp(5)),
                rs.getTimestamp(6) == null ? "active" : "revoked",
                rs.getLong(7)));
    return Cli.OK;
  }

  private static String time(Timestamp t) {
    return t == null ? "never" : t.toInstant().toString().replaceFirst("\\.\\d+Z$", "Z");
  }
}
