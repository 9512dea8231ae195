package dev.odoowebhook.sidecar.route;

import dev.odoowebhook.sidecar.admin.SidecarMetrics;
import dev.odoowebhook.sidecar.capture.EventListener;
import dev.odoowebhook.sidecar.capture.Wakeup;
import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router loop: turns committed events into deliveries (webhook_route_events(), which applies
 * the subscribers' filters and merges events into open deliveries), then tells the dispatcher.
 * When there is nothing to route it sleeps through the wake-up handshake of sql/V2: writers
 * NOTIFY only while it waits, and a fallback poll covers missed notifications and reconnects.
 */
public final class RouteEvents implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(RouteEvents.class);
  /** Pause while a writer that skipped its NOTIFY may still commit, or another router works. */
  private static final Duration SHORT_PAUSE = Duration.ofMillis(10);
  /**
   * A long transaction can keep a writer open for minutes: back off up to this pause. Small,
   * because under a steady load some writer nearly always holds the lock, and this pause is
   * then the wake-up latency.
   */
  private static final Duration LONGEST_SHORT_PAUSE = Duration.ofMillis(40);

  private final Database db;
  private final EventListener listener;
  private final Wakeup eventWakeup;
  private final Wakeup dispatchWakeup;
  private final SidecarMetrics metrics;
  private final int batchSize;
  private final Duration pollInterval;
  private volatile boolean running = true;
  private Duration writerPause = SHORT_PAUSE;

  public RouteEvents(
      Database db,
      EventListener listener,
      Wakeup eventWakeup,
      Wakeup dispatchWakeup,
      SidecarMetrics metrics,
      int batchSize,
      Duration pollInterval) {
    this.db = db;
    this.listener = listener;
    this.eventWakeup = eventWakeup;
    this.dispatchWakeup = dispatchWakeup;
    this.metrics = metrics;
    this.batchSize = batchSize;
    this.pollInterval = pollInterval;
  }

  public void stop() {
    running = false;
    eventWakeup.signal();
  }

  @Override
  public void run() {
    while (running) {
      try {
        if (routeBatch() == 0) {
          sleepUntilWoken();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Throwable t) {
        // The loop must outlive any error (a database restart, a bug): log, count, go on.
        metrics.loopErrors.inc();
        log.error("Routing events failed: {}; retrying in {}.", t.toString(), pollInterval);
        try {
          eventWakeup.await(pollInterval);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    listener.stopWaiting();
  }

  /**
   * Routes one batch. Returns the events routed, or -1 when another sidecar's router holds the
   * routing lock (routing is serialised so one record's events merge in commit order).
   */
  int routeBatch() throws SQLException, InterruptedException {
    int routed;
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT webhook_route_events(?)")) {
      ps.setInt(1, batchSize);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        routed = rs.getInt(1);
      }
    }
    if (routed > 0) {
      metrics.eventsRouted.inc(routed);
      dispatchWakeup.signal();
      writerPause = SHORT_PAUSE; // work is flowing: the next wait starts short again
    } else if (routed < 0) {
      Thread.sleep(SHORT_PAUSE.toMillis());
    }
    return routed;
  }

  private void sleepUntilWoken() throws SQLException, InterruptedException {
    if (!listener.isConnected()) {
      listener.reconnectInBackground(); // no-op while a reconnect runs
      eventWakeup.await(pollInterval);
      return;
    }
    if (listener.tryStartWaiting()) {
      writerPause = SHORT_PAUSE;
      try {
        // Writers notify from now on; one more look catches what committed just before.
        if (routeBatch() == 0) {
          eventWakeup.await(pollInterval);
        }
      } finally {
        listener.stopWaiting();
      }
    } else if (listener.anotherSidecarWaits()) {
      eventWakeup.await(pollInterval);
    } else {
      // A writer that saw no waiting sidecar (so did not notify) has not committed yet.
      eventWakeup.await(writerPause);
      Duration doubled = writerPause.multipliedBy(2);
      writerPause = doubled.compareTo(LONGEST_SHORT_PAUSE) > 0 ? LONGEST_SHORT_PAUSE : doubled;
    }
  }
}
