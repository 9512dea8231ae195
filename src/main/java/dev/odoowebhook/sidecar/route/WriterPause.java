// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.route;

import java.time.Duration;

/**
 * How long the router sleeps when a writer that skipped its NOTIFY is still open (the wake-up
 * handshake, sql/R__webhook_wakeup.sql): that writer's event will come without a wake-up, so the
 * router looks again after a pause.
 *
 * <p>The first pause is 1 ms: a lone writer commits within a millisecond or two, and a fixed 10 ms
 * pause here was most of the p99 latency at 200 events/s (benchmark scenario 2). While the router
 * finds writers open pass after pass, the pause doubles: up to 10 ms while events come (under load
 * some writer is nearly always open, and one pass then takes many commits' events instead of the
 * router polling every millisecond), up to 40 ms while none come (a long Odoo transaction can stay
 * open for minutes). A stream of writes so costs four passes in the first 15 ms of a run of such
 * pauses (1, 2, 4 and 8 ms) where a fixed 10 ms took two, not one pass per millisecond.
 *
 * <p>Not thread-safe: the router's thread only.
 */
final class WriterPause {
  static final Duration FIRST = Duration.ofMillis(1);
  static final Duration BATCHING = Duration.ofMillis(10);
  static final Duration LONGEST = Duration.ofMillis(40);

  /** The pause after the previous pass, if that pass found a writer open too; else null. */
  private Duration previous;

  /** A pass that routed {@code events} found a writer open: how long to pause. */
  Duration writerOpen(int events) {
    Duration pause;
    if (previous == null) {
      pause = FIRST;
    } else {
      Duration doubled = previous.multipliedBy(2);
      Duration cap = events > 0 ? BATCHING : LONGEST;
      pause = doubled.compareTo(cap) > 0 ? cap : doubled;
    }
    previous = pause;
    return pause;
  }

  /** A pass ended otherwise: the router waits for a NOTIFY, or goes on at once. */
  void otherwise() {
    previous = null;
  }
}
