// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.time.Duration;
import java.time.Instant;

/** What one HTTP attempt gave. {@code errorType} is null on success. Immutable. */
public record AttemptResult(
    Instant startedAt,
    long durationMs,
    Integer statusCode,
    ErrorType errorType,
    String errorMessage,
    String responseExcerpt,
    Duration retryAfter,
    boolean giveUp) {

  public boolean success() {
    return errorType == null;
  }

  static AttemptResult failure(Instant startedAt, long durationMs, ErrorType type, String message) {
    return new AttemptResult(startedAt, durationMs, null, type, message, null, null, false);
  }
}
