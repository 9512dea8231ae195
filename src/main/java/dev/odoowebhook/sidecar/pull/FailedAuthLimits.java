// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Failed authentications per client address: after {@link #DEFAULT_MAX_FAILURES} within {@link
 * #DEFAULT_WINDOW}, the address is refused (429, Retry-After) until the window ends, before its
 * token costs a database query. Each unknown token otherwise costs a lookup, so a flood of guesses
 * would take the pool from real clients. Fixed windows: simple, and a client that fixed its token
 * waits at most one window. Addresses behind one NAT share a limit, which is why it is generous. At
 * most {@link #MAX_ADDRESSES} windows are kept. Thread-safe.
 */
final class FailedAuthLimits {
  static final int DEFAULT_MAX_FAILURES = 20;
  static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
  static final int MAX_ADDRESSES = 10_000;

  /** One address's current window: when it started and the failures in it. */
  private record Window(long startNanos, int failures) {}

  private final int maxFailures;
  private final long windowNanos;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  FailedAuthLimits() {
    this(DEFAULT_MAX_FAILURES, DEFAULT_WINDOW);
  }

  FailedAuthLimits(int maxFailures, Duration window) {
    this.maxFailures = maxFailures;
    this.windowNanos = window.toNanos();
  }

  /** 0 when the address may try a token, else the seconds until it may again (1 or more). */
  long retryAfterSeconds(String address) {
    Window w = windows.get(address);
    long now = System.nanoTime();
    if (w == null || w.failures() < maxFailures || now - w.startNanos() >= windowNanos) {
      return 0;
    }
    long left = windowNanos - (now - w.startNanos());
    return Math.max(1, TimeUnit.NANOSECONDS.toSeconds(left + TimeUnit.SECONDS.toNanos(1) - 1));
  }

  /** Counts a failed authentication of the address. */
  void failed(String address) {
    long now = System.nanoTime();
    if (windows.size() >= MAX_ADDRESSES) {
      windows.values().removeIf(w -> now - w.startNanos() >= windowNanos);
    }
    windows.compute(
        address,
        (a, w) ->
            w == null || now - w.startNanos() >= windowNanos
                ? new Window(now, 1)
                : new Window(w.startNanos(), w.failures() + 1));
  }
}
