// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.persistence.Database;
import java.io.PrintStream;
import java.sql.SQLException;
import java.util.Set;

/**
 * One command of the command line. Implementations are listed once, in {@link CommandTable}, which
 * drives dispatch, help and the unknown-command message. Stateless.
 */
interface Command {
  /** The command word(s), e.g. "subscriber add". */
  String name();

  /** The usage line(s) and a short description, as shown by --help. */
  String help();

  /** The options it takes (without "--"); any other option is a usage error. */
  Set<String> options();

  /** Whether {@link Cli} opens the database for it; {@code run} manages its own. */
  default boolean needsDatabase() {
    return true;
  }

  /** Runs it; returns the exit code. Throws UsageException or CommandException for the user. */
  int run(Args args, Context context) throws SQLException;

  /** What a command works with. {@code db} is null when {@link #needsDatabase()} is false. */
  record Context(SidecarConfig config, Database db, PrintStream out, PrintStream err) {}
}
