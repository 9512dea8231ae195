// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.lang.management.ManagementFactory;

/**
 * The shutdown hook of the commands that run until SIGTERM or SIGINT ({@code run}, {@code demo}):
 * stops what they started, then exits with 0. A JVM ended by a signal exits with 143 or 130 even
 * after a clean stop; the hook says it went well. Not when a flight recording was asked for: JFR
 * writes its file in a hook of its own, which halting would cut short (the benchmarks profile the
 * sidecar that way).
 */
final class StopOnSignal {
  private StopOnSignal() {}

  /** Installs the hook; returns it, for a command that removes it when it stops by itself. */
  static Thread install(String threadName, Runnable stop) {
    Thread hook =
        new Thread(
            () -> {
              stop.run();
              if (!recordingFlight()) {
                Runtime.getRuntime().halt(Cli.OK);
              }
            },
            threadName);
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  private static boolean recordingFlight() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .anyMatch(a -> a.startsWith("-XX:StartFlightRecording"));
  }
}
