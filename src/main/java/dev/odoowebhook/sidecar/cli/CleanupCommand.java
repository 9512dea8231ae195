// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.jobs.CleanupJob;
import java.sql.SQLException;
import java.util.Set;

/** {@code cleanup}: the orphan cleanup and retention purge, once, now. */
final class CleanupCommand implements Command {
  @Override
  public String name() {
    return "cleanup";
  }

  @Override
  public String help() {
    return "cleanup\n"
        + "  Removes unsent deliveries and events of records that no longer exist, then\n"
        + "  history older than its retention (WEBHOOK_RETENTION_*). The sidecar also runs it\n"
        + "  every WEBHOOK_CLEANUP_INTERVAL; only one runs it at a time.";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    var result = new CleanupJob(ctx.db(), ctx.config()).run();
    if (result == null) {
      throw new CommandException(
          "Another sidecar is running the cleanup right now; try again later.");
    }
    ctx.out().println("Cleanup done. Removed: " + result);
    return Cli.OK;
  }
}
