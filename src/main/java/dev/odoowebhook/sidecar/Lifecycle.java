// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named start-up steps, undone in reverse order: by {@link #close()} at shutdown, and at once when
 * a later step fails, so a start that fails half-way releases its ports, threads and connections.
 * Not thread-safe: one thread starts, one thread stops.
 */
final class Lifecycle implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);
  private static final long SLOW_STOP_MS = 5_000;

  /** A start-up step; returns what undoes it, or null when nothing needs undoing. */
  @FunctionalInterface
  interface Step {
    Undo start() throws Exception;
  }

  /** Undoes one step; never expected to throw, but a failure is logged and the rest still run. */
  @FunctionalInterface
  interface Undo {
    void run() throws Exception;
  }

  private record Started(String name, Undo undo) {}

  private final Deque<Started> started = new ArrayDeque<>();

  /**
   * Runs one step. If it fails, every step started before is undone, in reverse, and the failure is
   * rethrown as it came.
   */
  void step(String name, Step step) throws Exception {
    log.debug("Start-up step: {}", name);
    Undo undo;
    try {
      undo = step.start();
    } catch (Exception | Error e) {
      log.debug("Start-up step '{}' failed; undoing the {} steps before it.", name, started.size());
      close();
      throw e;
    }
    if (undo != null) {
      started.push(new Started(name, undo));
    }
  }

  /** Undoes every started step, the last first. Idempotent. */
  @Override
  public void close() {
    while (!started.isEmpty()) {
      Started s = started.pop();
      long start = System.nanoTime();
      try {
        s.undo().run();
      } catch (Exception | Error e) {
        log.warn("Stopping '{}' failed: {}", s.name(), e.toString());
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      if (ms > SLOW_STOP_MS) {
        // Says which part holds a stop up (a drain waits up to WEBHOOK_SHUTDOWN_GRACE).
        log.warn("Stopping '{}' took {} ms.", s.name(), ms);
      }
    }
  }
}
