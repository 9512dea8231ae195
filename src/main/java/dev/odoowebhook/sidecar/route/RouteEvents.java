// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.route;

import dev.odoowebhook.sidecar.capture.EventListener;
import dev.odoowebhook.sidecar.capture.RouterState;
import dev.odoowebhook.sidecar.capture.Wakeup;
import dev.odoowebhook.sidecar.metrics.SidecarMetrics;
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
 * the subscribers' filters and merges events into open deliveries), then tells the dispatcher. When
 * there is nothing to route it sleeps through the wake-up handshake of sql/V2: writers NOTIFY only
 * while it waits, and a fallback poll covers missed notifications and reconnects. Each step is one
 * call of webhook_route_or_wait() (sql/V7) on the LISTEN connection, which holds the waiting lock;
 * the pool routes only while that connection is down.
 *
 * <p>With a minimum interval (WEBHOOK_ROUTE_MIN_INTERVAL), a pass that follows a wait is held back
 * until that long after the previous pass, with the waiting lock released meanwhile (so writers
 * stop notifying): under a steady stream of writes one pass then takes many commits' events instead
 * of one, which saves CPU where Odoo and the sidecar share cores.
 */
public final class RouteEvents implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(RouteEvents.class);

  /** Pause while another sidecar's router works, or while routing through the pool fails. */
  private static final Duration SHORT_PAUSE = Duration.ofMillis(10);

  private final Database db;
  private final EventListener listener;
  private final Wakeup eventWakeup;
  private final Wakeup dispatchWakeup;
  private final SidecarMetrics metrics;
  private final int batchSize;
  private final Duration pollInterval;
  private final long minIntervalNanos;
  private volatile boolean running = true;
  private final WriterPause writerPause = new WriterPause();
  private long lastPassNanos;

  public RouteEvents(
      Database db,
      EventListener listener,
      Wakeup eventWakeup,
      Wakeup dispatchWakeup,
      SidecarMetrics metrics,
      int batchSize,
      Duration pollInterval,
      Duration minInterval) {
    this.db = db;
    this.listener = listener;
    this.eventWakeup = eventWakeup;
    this.dispatchWakeup = dispatchWakeup;
    this.metrics = metrics;
    this.batchSize = batchSize;
    this.pollInterval = pollInterval;
    this.minIntervalNanos = minInterval.toNanos();
    this.lastPassNanos = System.nanoTime() - minIntervalNanos;
  }

  public void stop() {
    running = false;
    eventWakeup.signal();
  }

  @Override
  public void run() {
    while (running) {
      dev.odoowebhook.sidecar.metrics.LoopLiveness.alive(this); // /health fails when this stops
      try {
        Duration pause = step();
        // running is checked again: step() clears the wake-up, which may eat stop()'s signal.
        if (pause != null && running) {
          eventWakeup.await(pause);
          holdOff();
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
   * Waits, with the waiting lock released, until the minimum interval since the last pass has
   * passed. Only after a wait: a backlog ("more") is routed without pause.
   */
  private void holdOff() throws InterruptedException {
    if (holdOffNanos(lastPassNanos, System.nanoTime(), minIntervalNanos) == 0 || !running) {
      return;
    }
    // Writers that commit meanwhile need not NOTIFY: this pass will read their events anyway.
    listener.stopWaiting();
    long left;
    while ((left = holdOffNanos(lastPassNanos, System.nanoTime(), minIntervalNanos)) > 0
        && running) {
      Thread.sleep(Math.max(1, Math.min(50, left / 1_000_000))); // short naps: stop() is prompt
    }
  }

  /** How long a pass must still wait: none once the interval since the last pass is over. */
  static long holdOffNanos(long lastPassNanos, long nowNanos, long minIntervalNanos) {
    return Math.max(0, lastPassNanos + minIntervalNanos - nowNanos);
  }

  /**
   * One step of the loop: routes what committed and, when nothing is left, enters the wake-up
   * handshake of sql/V2 (one round trip on the LISTEN connection, sql/V7). Returns how long to
   * sleep (a NOTIFY or a signal ends the sleep early), or null to go on at once.
   */
  Duration step() throws SQLException {
    lastPassNanos = System.nanoTime();
    metrics.routePasses.inc();
    if (!listener.isConnected()) {
      // Poll through the pool until the LISTEN connection is back.
      listener.reconnectInBackground(); // no-op while a reconnect runs
      int routed = routeThroughPool();
      return routed > 0 ? null : routed < 0 ? SHORT_PAUSE : pollInterval;
    }
    // Notifications that came before this call announce events the call will read anyway.
    eventWakeup.clear();
    EventListener.Routed r = listener.routeOrWait(batchSize);
    if (r == null) {
      return null; // the connection failed and is being replaced: poll through the pool
    }
    if (r.events() > 0) {
      metrics.eventsRouted.inc(r.events());
      dispatchWakeup.signal();
    }
    if (r.state() != RouterState.WRITER_OPEN) {
      writerPause.otherwise();
    }
    return switch (r.state()) {
      case MORE -> null;
      case WAITING, ANOTHER_WAITS -> pollInterval; // a NOTIFY will come (to both, if another)
      case ANOTHER_ROUTES -> SHORT_PAUSE;
      // A writer that saw no waiting sidecar (so will not notify) is open: look again shortly.
      case WRITER_OPEN -> writerPause.writerOpen(r.events());
    };
  }

  /**
   * Routes one batch through the pool (while the LISTEN connection is down). Returns the events
   * routed, or -1 when another sidecar's router holds the routing lock (routing is serialised so
   * one record's events merge in commit order).
   */
  private int routeThroughPool() throws SQLException {
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
    }
    return routed;
  }
}
