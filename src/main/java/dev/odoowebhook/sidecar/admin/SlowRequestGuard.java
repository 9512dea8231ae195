// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.admin;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections whose request headers take longer than a bound to arrive. Jetty's idle timeout
 * only closes a connection that sends nothing at all; a client that trickles a byte now and then
 * would keep a half-sent request open for ever. A request is "arriving" from the moment a
 * connection opens, or from its first byte after the previous request's headers, until its headers
 * are complete (Jetty counts a message in at that point). Checked a few times per second on the
 * connector's scheduler, so a connection may live up to one check longer than the bound. Bodies are
 * bounded by the handlers that read them. Thread-safe.
 */
final class SlowRequestGuard extends AbstractLifeCycle implements Connection.Listener {
  private static final Logger log = LoggerFactory.getLogger(SlowRequestGuard.class);
  private static final long CHECK_MILLIS = 250;

  /** One connection's progress: requests and bytes seen, and since when a request arrives. */
  private static final class Progress {
    long messages;
    long bytes;
    long arrivingSinceNanos;

    Progress(long nanos) {
      this.arrivingSinceNanos = nanos; // the first request arrives from the moment of connecting
    }
  }

  private final Connector connector;
  private final long boundNanos;
  private final Map<Connection, Progress> open = new ConcurrentHashMap<>();
  private volatile Scheduler.Task next;

  SlowRequestGuard(Connector connector, Duration bound) {
    this.connector = connector;
    this.boundNanos = bound.toNanos();
  }

  @Override
  protected void doStart() {
    schedule();
  }

  @Override
  protected void doStop() {
    Scheduler.Task task = next;
    if (task != null) {
      task.cancel();
    }
    open.clear();
  }

  @Override
  public void onOpened(Connection connection) {
    open.put(connection, new Progress(System.nanoTime()));
  }

  @Override
  public void onClosed(Connection connection) {
    open.remove(connection);
  }

  private void schedule() {
    if (isRunning() || isStarting()) {
      next = connector.getScheduler().schedule(this::check, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  private void check() {
    try {
      long now = System.nanoTime();
      open.forEach(
          (connection, progress) -> {
            if (tooSlow(connection, progress, now)) {
              open.remove(connection);
              log.debug("Closing {}: its request did not arrive within the bound.", connection);
              connection.close();
            }
          });
    } catch (Throwable t) {
      log.error("Checking for slow HTTP requests failed; checking again shortly.", t);
    } finally {
      schedule();
    }
  }

  /** Only this guard's checks touch a Progress, one at a time: no locking needed. */
  private boolean tooSlow(Connection connection, Progress p, long now) {
    long messages = connection.getMessagesIn();
    long bytes = connection.getBytesIn();
    if (messages != p.messages) {
      // Headers of a request completed since the last check: nothing is arriving now.
      p.messages = messages;
      p.bytes = bytes;
      p.arrivingSinceNanos = -1;
      return false;
    }
    if (p.arrivingSinceNanos < 0 && bytes > p.bytes) {
      p.arrivingSinceNanos = now;
    }
    return p.arrivingSinceNanos >= 0 && now - p.arrivingSinceNanos > boundNanos;
  }
}
