// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.Sidecar;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** {@code run}: starts the sidecar and keeps it running until SIGTERM or SIGINT, then drains. */
final class RunCommand implements Command {
  @Override
  public String name() {
    return "run";
  }

  @Override
  public String help() {
    return "run\n  Migrates, then captures and delivers until stopped (SIGTERM drains).";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  /** The sidecar opens its own pools. */
  @Override
  public boolean needsDatabase() {
    return false;
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    Sidecar sidecar = Sidecar.start(ctx.config());
    CountDownLatch stopped = new CountDownLatch(1);
    StopOnSignal.install(
        "webhook-shutdown",
        () -> {
          sidecar.stop();
          stopped.countDown();
        });
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ctx.err().println("Interrupted.");
    }
    return Cli.OK;
  }
}
