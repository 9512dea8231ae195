// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.metrics;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The background loops of one sidecar (router, dispatcher, recorder of sent deliveries) and whether
 * each is alive: a loop reports with one call per turn, {@link #alive(Object)}, and /health fails
 * naming the first watched loop whose thread has died or that has not reported within its bound (a
 * loop stuck on a lock, or that never started). The bound must cover a loop's longest normal turn:
 * its wait for work plus one slow database round trip.
 *
 * <p>Reports are kept per loop object, weakly, for all sidecars of the JVM, so that a loop needs no
 * reference to its sidecar's registry to report. Thread-safe.
 */
public final class LoopLiveness {
  /** The shortest bound a sidecar gives its loops: one slow database round trip fits easily. */
  public static final Duration MIN_BOUND = Duration.ofMinutes(1);

  /** A loop's last report: which thread made it, and when. */
  private record Report(Thread thread, long nanos) {}

  private static final Map<Object, Report> REPORTS =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** One watched loop, known since the watch began. */
  private record Watched(String name, Object loop, long boundNanos, long sinceNanos) {}

  private final List<Watched> watched = new CopyOnWriteArrayList<>();

  /** Called by a loop on each turn (and before each wait): it is alive and on this thread. */
  public static void alive(Object loop) {
    REPORTS.put(loop, new Report(Thread.currentThread(), System.nanoTime()));
  }

  /** The bound of a loop that waits at most {@code wait} for work between turns. */
  public static Duration boundFor(Duration wait) {
    Duration tenTurns = wait.multipliedBy(10);
    return tenTurns.compareTo(MIN_BOUND) > 0 ? tenTurns : MIN_BOUND;
  }

  /** Watches a loop from now on: it must report within the bound, then again within each bound. */
  public void watch(String name, Object loop, Duration bound) {
    watched.add(new Watched(name, loop, bound.toNanos(), System.nanoTime()));
  }

  /** The name of the first watched loop that is dead or late, or null when all are alive. */
  public String failing() {
    long now = System.nanoTime();
    for (Watched w : watched) {
      if (!state(w, now).equals("alive")) {
        return w.name();
      }
    }
    return null;
  }

  /** Each watched loop's state: alive, late (no report within its bound) or dead (thread ended). */
  public Map<String, String> states() {
    long now = System.nanoTime();
    Map<String, String> states = new LinkedHashMap<>();
    for (Watched w : watched) {
      states.put(w.name(), state(w, now));
    }
    return states;
  }

  private static String state(Watched w, long now) {
    Report r = REPORTS.get(w.loop());
    if (r != null && !r.thread().isAlive()) {
      return "dead";
    }
    long last = r == null ? w.sinceNanos() : Math.max(r.nanos(), w.sinceNanos());
    return now - last > w.boundNanos() ? "late" : "alive";
  }
}
