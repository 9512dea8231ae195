package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.persistence.Database;
import dev.odoowebhook.sidecar.pull.ApiTokens;
import dev.odoowebhook.sidecar.pull.ModelPatterns;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** {@code token create | list | revoke}: bearer tokens of the pull API (webhook_api_token). */
final class TokenCommands {
  private final Database db;
  private final PrintStream out;

  TokenCommands(Database db, PrintStream out) {
    this.db = db;
    this.out = out;
  }

  int run(String command, Args args) throws SQLException {
    switch (command) {
      case "token create":
        return create(args);
      case "token list":
        return list(args);
      case "token revoke":
        return revoke(args);
      default:
        throw new UsageException("Unknown command `" + command + "`. See `--help`.");
    }
  }

  private int create(Args args) throws SQLException {
    args.allowOnly("token create", Set.of("name", "models"));
    noWords(args, "token create");
    String name = args.get("name");
    if (name == null || name.isBlank() || name.trim().length() > 200) {
      throw new UsageException("`token create` needs --name (1 to 200 characters), e.g. --name sales-app.");
    }
    String modelsText = args.get("models");
    if (modelsText == null) {
      throw new UsageException("`token create` needs --models, e.g. --models sale.order,res.partner,product.* (or * for all).");
    }
    List<String> models = ModelPatterns.normalized(Commands.csv(modelsText));
    if (models.isEmpty()) {
      throw new UsageException("--models is empty; name models such as res.partner or product.*.");
    }
    for (String m : models) {
      String problem = ModelPatterns.problemWith(m);
      if (problem != null) {
        throw new UsageException("--models: " + problem + ".");
      }
    }
    String token;
    try (Connection c = db.connection()) {
      token = ApiTokens.create(c, name.trim(), models);
    } catch (SQLException e) {
      if ("23505".equals(e.getSQLState())) {
        throw new CommandException("An active token named \"" + name.trim()
            + "\" exists already; choose another --name or `token revoke " + name.trim() + "` first.");
      }
      throw e;
    }
    out.println("Token \"" + name.trim() + "\" created for " + String.join(", ", models) + ".");
    out.println("API token (shown only now; give it to the app as Authorization: Bearer ...): " + token);
    return Cli.OK;
  }

  private int list(Args args) throws SQLException {
    args.allowOnly("token list", Set.of());
    noWords(args, "token list");
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT t.id, t.name, t.models, t.created_at, t.last_used_at, t.revoked_at,"
                + " (SELECT count(*) FROM webhook_device d WHERE d.token_id = t.id)"
                + " FROM webhook_api_token t ORDER BY t.id");
        ResultSet rs = ps.executeQuery()) {
      out.printf("%-5s %-20s %-30s %-20s %-20s %-8s %7s%n", "ID", "NAME", "MODELS", "CREATED", "LAST USED",
          "STATUS", "DEVICES");
      while (rs.next()) {
        out.printf("%-5d %-20s %-30s %-20s %-20s %-8s %7d%n", rs.getLong(1), rs.getString(2),
            String.join(",", Arrays.asList((String[]) rs.getArray(3).getArray())), time(rs.getTimestamp(4)),
            time(rs.getTimestamp(5)), rs.getTimestamp(6) == null ? "active" : "revoked", rs.getLong(7));
      }
    }
    return Cli.OK;
  }

  private int revoke(Args args) throws SQLException {
    args.allowOnly("token revoke", Set.of());
    if (args.words.size() != 3) {
      throw new UsageException("Name one token to revoke, e.g. `token revoke sales-app`.");
    }
    String name = args.words.get(2);
    try (Connection c = db.connection()) {
      if (!ApiTokens.revoke(c, name)) {
        throw new CommandException("There is no active token named \"" + name + "\"; see `token list`.");
      }
    }
    out.println("Token \"" + name + "\" revoked: requests with it get 401 from now on.");
    return Cli.OK;
  }

  private static void noWords(Args args, String command) {
    if (args.words.size() > 2) {
      throw new UsageException("`" + command + "` takes no argument \"" + args.words.get(2)
          + "\". See `" + command + " --help`.");
    }
  }

  private static String time(Timestamp t) {
    return t == null ? "never" : t.toInstant().toString().replaceFirst("\\.\\d+Z$", "Z");
  }
}
