// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import dev.odoowebhook.sidecar.delivery.AttemptResult;
import dev.odoowebhook.sidecar.delivery.ErrorType;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The attempt results of a publish, for every broker: sent, a failure retried on the subscriber's
 * schedule, one that no retry can mend, or the sidecar stopping. The duration runs from {@code
 * startNanos} ({@link System#nanoTime()}) to now. A publish has no HTTP status and no Retry-After.
 */
final class Outcomes {
  private Outcomes() {}

  /** The broker acknowledged the message; {@code where} (stream and sequence, ...) is recorded. */
  static AttemptResult sent(Instant now, long startNanos, String where) {
    return new AttemptResult(now, elapsedMs(startNanos), null, null, null, where, null, false);
  }

  /** A failure retried on the subscriber's schedule. */
  static AttemptResult failure(Instant now, long startNanos, ErrorType type, String message) {
    return new AttemptResult(now, elapsedMs(startNanos), null, type, message, null, null, false);
  }

  /** A failure that no retry can mend: the delivery is dead at once (replayable once fixed). */
  static AttemptResult giveUp(Instant now, long startNanos, ErrorType type, String message) {
    return new AttemptResult(now, elapsedMs(startNanos), null, type, message, null, null, true);
  }

  /** The sidecar is stopping: not the broker's failure; the delivery is sent again later. */
  static AttemptResult stopping(Instant now, long startNanos) {
    return failure(now, startNanos, ErrorType.INTERRUPTED, "The sidecar is stopping");
  }

  private static long elapsedMs(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }
}
