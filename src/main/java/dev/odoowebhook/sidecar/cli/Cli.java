// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.config.ConfigException;
import dev.odoowebhook.sidecar.config.EnvironmentNames;
import dev.odoowebhook.sidecar.config.JdbcUrl;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.persistence.Database;
import dev.odoowebhook.sidecar.persistence.DatabaseErrors;
import java.io.PrintStream;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.api.FlywayException;

/**
 * The command line: parses, dispatches to a command, and turns every failure into one line on
 * stderr and an exit code (0 done, 1 failed, 2 wrong usage). No stack trace reaches the user.
 */
public final class Cli {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;

  public Cli(Map<String, String> env, PrintStream out, PrintStream err) {
    this.env = env;
    this.out = out;
    this.err = err;
  }

  /** The command word(s) of a command line, e.g. "subscriber add", or null. */
  public static String commandOf(String[] argv) {
    try {
      Args a = Args.parse(argv);
      if (a.words.isEmpty()) {
        return null;
      }
      String first = a.words.get(0);
      boolean twoWords = CommandTable.GROUPS.contains(first);
      return twoWords && a.words.size() > 1 ? first + " " + a.words.get(1) : first;
    } catch (UsageException e) {
      return null;
    }
  }

  public int run(String[] argv) {
    SidecarConfig config = null;
    try {
      Args args = Args.parse(argv);
      String name = commandOf(argv);
      if (name == null || name.equals("help")) {
        out.print(Help.usage());
        return name == null && !args.has("help") ? USAGE : OK;
      }
      Command command = CommandTable.find(name);
      if (command == null) {
        throw new UsageException(
            "Unknown command `"
                + String.join(" ", args.words)
                + "`. Commands: "
                + String.join(", ", CommandTable.names())
                + ".");
      }
      if (args.has("help")) {
        out.println("Usage: java -jar odoo-webhook-sidecar.jar [SETTINGS] " + command.help());
        return OK;
      }
      refuseUnknownOptions(args, command);
      args.allowOnly(command.name(), command.options());
      config = SidecarConfig.from(args.settings, env);
      if (!command.needsDatabase()) {
        return command.run(args, new Command.Context(config, null, out, err));
      }
      try (Database db = Database.open(config, 2, "webhook-cli")) {
        return command.run(args, new Command.Context(config, db, out, err));
      }
    } catch (UsageException e) {
      report("Usage error: " + e.getMessage());
      return USAGE;
    } catch (ConfigException e) {
      report("Configuration error: " + e.getMessage());
      return USAGE;
    } catch (SQLException e) {
      report(
          "Error: "
              + (config == null ? DatabaseErrors.firstLine(e) : DatabaseErrors.explain(e, config)));
      return FAILED;
    } catch (FlywayException e) {
      report("Error: the schema could not be applied: " + migrationProblem(e));
      return FAILED;
    } catch (CommandException e) {
      report("Error: " + e.getMessage());
      return FAILED;
    } catch (RuntimeException e) {
      SQLException sql = sqlCause(e);
      if (sql != null && config != null) {
        report("Error: " + DatabaseErrors.explain(sql, config));
      } else {
        report("Unexpected error: " + e + ". Please report it with the command you ran.");
      }
      return FAILED;
    }
  }

  /** One error line on stderr; a password of a JDBC URL in it (from a driver's message) masked. */
  private void report(String line) {
    err.println(JdbcUrl.mask(line));
  }

  /**
   * Refuses an option that is neither a setting nor one of the command's options, naming the
   * closest known one: a misspelt setting flag must not pass for a command option.
   */
  private static void refuseUnknownOptions(Args args, Command command) {
    List<String> known = new ArrayList<>();
    for (Setting s : Setting.values()) {
      known.add(s.flag());
    }
    command.options().forEach(o -> known.add("--" + o));
    for (String o : args.options.keySet()) {
      if (!o.equals("help") && !command.options().contains(o)) {
        throw new UsageException(
            "Unknown option --"
                + o
                + " for `"
                + command.name()
                + "`: did you"
                + " mean "
                + EnvironmentNames.closest("--" + o, known)
                + "? See `"
                + command.name()
                + " --help` and --help for the settings.");
      }
    }
  }

  private static SQLException sqlCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException) {
        return (SQLException) t;
      }
    }
    return null;
  }

  /**
   * Why a migration failed. Flyway's own first line says only "Failed to execute script"; the
   * database's error in its causes says why.
   */
  private static String migrationProblem(FlywayException e) {
    SQLException sql = sqlCause(e);
    if (sql == null) {
      return firstLine(e.getMessage());
    }
    if ("42501".equals(sql.getSQLState())) { // insufficient_privilege
      return DatabaseErrors.firstLine(sql)
          + ". Run `migrate` as the owner of Odoo's tables (Odoo's"
          + " database user) or as a superuser: see docs/dba.md, step 2.";
    }
    return DatabaseErrors.firstLine(sql);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl >= 0 ? t.substring(0, nl) : t;
  }
}
