// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.jobs;

import com.codahale.metrics.Counter;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a job at a fixed delay on a scheduler, logging and counting any failure so the schedule
 * never dies silently (a scheduled task that throws is never run again).
 */
public final class PeriodicJob {
  private static final Logger log = LoggerFactory.getLogger(PeriodicJob.class);

  /** A job body that may fail. */
  @FunctionalInterface
  public interface Body {
    void run() throws Exception;
  }

  private PeriodicJob() {}

  public static void schedule(
      ScheduledExecutorService scheduler, String name, Duration every, Counter errors, Body body) {
    schedule(scheduler, name, every, every, errors, body);
  }

  /** The same, with the first run after {@code first} instead of after one period. */
  public static void schedule(
      ScheduledExecutorService scheduler,
      String name,
      Duration first,
      Duration every,
      Counter errors,
      Body body) {
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            body.run();
          } catch (Throwable t) {
            errors.inc();
            log.error("Job {} failed: {}; it runs again in {}.", name, t.toString(), every);
          }
        },
        first.toMillis(),
        every.toMillis(),
        TimeUnit.MILLISECONDS);
  }
}
