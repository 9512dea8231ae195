// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.delivery.PayloadMode;
import dev.odoowebhook.sidecar.pull.ApiTokens;
import dev.odoowebhook.sidecar.pull.ModelPatterns;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/** {@code token create}: a bearer token of the pull API, shown once and stored hashed. */
final class TokenCreateCommand implements Command {
  @Override
  public String name() {
    return "token create";
  }

  @Override
  public String help() {
    return "token create --name NAME --models m1,m2 [--content ids|changes|record]\n"
        + "  Creates a bearer token for the pull API (an app or a device), allowed to read these\n"
        + "  models: names, prefixes such as product.*, or * for all. Shown once; stored hashed.\n"
        + "  --content  what its answers carry: ids (default), changes (old and new values of\n"
        + "  captured fields), record (also each record's captured fields as they are now).";
  }

  @Override
  public Set<String> options() {
    return Set.of("name", "models", "content");
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    Options.noWords(args, name());
    String name = args.get("name");
    if (name == null || name.isBlank() || name.trim().length() > 200) {
      throw new UsageException(
          "`token create` needs --name (1 to 200 characters), e.g. --name sales-app.");
    }
    List<String> models = models(args.get("models"));
    String token;
    try (Connection c = ctx.db().connection()) {
      token = ApiTokens.create(c, name.trim(), models, content(args.get("content")));
    } catch (SQLException e) {
      if ("23505".equals(e.getSQLState())) { // unique_violation
        throw new CommandException(
            "An active token named \""
                + name.trim()
                + "\" exists already; choose another --name or `token revoke "
                + name.trim()
                + "` first.");
      }
      throw e;
    }
    ctx.out()
        .println("Token \"" + name.trim() + "\" created for " + String.join(", ", models) + ".");
    ctx.out()
        .println(
            "API token (shown only now; give it to the app as Authorization: Bearer ...): "
                + token);
    return Cli.OK;
  }

  private static PayloadMode content(String text) {
    if (text == null) {
      return PayloadMode.IDS;
    }
    try {
      return PayloadMode.fromSql(text.trim());
    } catch (IllegalArgumentException e) {
      throw new UsageException("--content takes ids, changes or record; got \"" + text + "\".");
    }
  }

  private static List<String> models(String text) {
    if (text == null) {
      throw new UsageException(
          "`token create` needs --models, e.g. --models sale.order,res.partner,product.* (or * for all).");
    }
    List<String> models = ModelPatterns.normalized(Options.csv(text));
    if (models.isEmpty()) {
      throw new UsageException("--models is empty; name models such as res.partner or product.*.");
    }
    for (String m : models) {
      String problem = ModelPatterns.problemWith(m);
      if (problem != null) {
        throw new UsageException("--models: " + problem + ".");
      }
    }
    return models;
  }
}
