// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.persistence.SchemaMigrator;
import java.sql.SQLException;
import java.util.Set;

/** {@code migrate}: applies the schema (sql/) and re-installs the capture of tracked models. */
final class MigrateCommand implements Command {
  @Override
  public String name() {
    return "migrate";
  }

  @Override
  public String help() {
    return "migrate\n  Creates or updates the webhook_* tables and functions (the SQL in sql/).";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    ctx.db().checkReachable();
    String version = SchemaMigrator.migrate(ctx.db().dataSource()); // refreshes the capture too
    ctx.out()
        .println(
            "Schema is up to date at version " + version + " in " + ctx.config().dbUrl() + ".");
    return Cli.OK;
  }
}
