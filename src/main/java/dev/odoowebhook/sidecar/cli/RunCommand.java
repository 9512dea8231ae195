// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.Sidecar;
import java.lang.management.ManagementFactory;
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
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  sidecar.stop();
                  stopped.countDown();
                  // A JVM ended by SIGTERM exits with 143 even after a clean drain; say it went
                  // well. Not
                  // when a flight recording was asked for: JFR writes its file in a hook of its
                  // own, which
                  // halting would cut short (the benchmarks profile the sidecar that way).
                  if (!recordingFlight()) {
                    Runtime.getRuntime().halt(Cli.OK);
                  }
                },
                "webhook-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ctx.err().println("Interrupted.");
    }
    return Cli.OK;
  }

  private static boolean recordingFlight() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .anyMatch(a -> a.startsWith("-XX:StartFlightRecording"));
  }
}
