// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import dev.odoowebhook.sidecar.delivery.AttemptResult;
import dev.odoowebhook.sidecar.delivery.ErrorType;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** Attempt results of a publish. */
final class Outcomes {
  private Outcomes() {}

  static AttemptResult failure(Instant now, long startNanos, ErrorType type, String message) {
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    return new AttemptResult(now, ms, null, type, message, null, null, false);
  }
}
