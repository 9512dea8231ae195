// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting for an outcome of asynchronous work, always with a bound. */
public final class Await {
  private Await() {}

  /** Polls until the condition holds; fails with the description and last state otherwise. */
  public static void until(
      String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("Interrupted while waiting for " + what, e);
      }
    }
    if (!condition.getAsBoolean()) {
      throw new AssertionError(
          "Timed out after " + timeout + " waiting for " + what + "; state: " + state.get());
    }
  }

  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    until(what, timeout, condition, () -> "(no detail)");
  }
}
