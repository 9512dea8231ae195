// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One path of the receiver: its behaviour (answer 503 while "down", or sleep first) and what
 * arrived there (counts, arrival times, and what the JSON body said: record_id, last_event_id,
 * delivery_id). Thread-safe.
 */
final class Endpoint {
  volatile boolean down;
  volatile long sleepMs;
  final AtomicLong requests = new AtomicLong();
  final AtomicLong ok = new AtomicLong();
  volatile long firstOkNanos;
  volatile long lastOkNanos;

  /** record_id -> arrival (System.nanoTime) of its first 2xx delivery. */
  final Map<Long, Long> firstArrival = new ConcurrentHashMap<>();

  /** record_id -> highest last_event_id answered 2xx. */
  final Map<Long, Long> lastEventId = new ConcurrentHashMap<>();

  /** delivery_id -> 2xx answers (more than one means a duplicate). */
  final Map<Long, Integer> deliveries = new ConcurrentHashMap<>();

  void reset() {
    requests.set(0);
    ok.set(0);
    firstOkNanos = 0;
    lastOkNanos = 0;
    firstArrival.clear();
    lastEventId.clear();
    deliveries.clear();
  }

  /** Deliveries per second between the first and the last 2xx answer. */
  double okRate() {
    long n = ok.get();
    double secs = (lastOkNanos - firstOkNanos) / 1e9;
    return n < 2 || secs <= 0 ? Double.NaN : (n - 1) / secs;
  }
}
