// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.time.Duration;

/** Progress lines on stdout while the harness runs: elapsed time, scenario, step. */
final class Progress {
  private static final long START = System.nanoTime();

  private Progress() {}

  static void say(String format, Object... args) {
    long s = Duration.ofNanos(System.nanoTime() - START).toSeconds();
    System.out.printf("[bench %3d:%02d] %s%n", s / 60, s % 60, String.format(format, args));
    System.out.flush();
  }
}
