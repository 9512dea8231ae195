// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.capture;

import com.impossibl.postgres.api.jdbc.PGConnection;
import com.impossibl.postgres.api.jdbc.PGNotificationListener;
import com.impossibl.postgres.jdbc.PGDataSource;
import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import dev.odoowebhook.sidecar.config.Durations;
import dev.odoowebhook.sidecar.config.JdbcUrl;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dedicated LISTEN connection (pgjdbc-ng, whose asynchronous notifications arrive within about
 * a millisecond) and the idle side of the wake-up handshake described in
 * sql/V2__webhook_capture.sql: while the sidecar waits, this connection holds the advisory lock
 * that makes writers NOTIFY. If the connection dies, the lock goes with it and writers stop
 * notifying; it reconnects in the background with a Failsafe backoff (100 ms doubling to 30 s) and
 * then wakes the router, which catches up from the table (the fallback poll runs meanwhile).
 *
 * <p>Thread-safe: statements run under this object's monitor; notifications arrive on pgjdbc-ng's
 * own thread and only signal the {@link Wakeup}.
 */
public final class EventListener implements AutoCloseable {
  public static final String CHANNEL = "webhook_event";
  private static final Logger log = LoggerFactory.getLogger(EventListener.class);

  private final SidecarConfig config;
  private final Wakeup wakeup;
  private final AtomicLong notifications = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private volatile Connection connection;
  // Cleared by pgjdbc-ng's closed() callback, 10-24 ms after the backend goes away.
  private volatile boolean alive;
  private volatile boolean closing;
  private boolean holdingWaitLock;
  private PreparedStatement routeOrWait;
  private final AtomicBoolean reconnecting = new AtomicBoolean();
  private final RetryPolicy<Boolean> untilConnected =
      RetryPolicy.<Boolean>builder()
          .handleResult(false)
          .withBackoff(Duration.ofMillis(100), Duration.ofSeconds(30))
          .withJitter(0.1)
          .withMaxRetries(-1)
          .build();
  private boolean everConnected;
  private boolean warnedAboutTls;

  public EventListener(SidecarConfig config, Wakeup wakeup) {
    this.config = config;
    this.wakeup = wakeup;
  }

  public boolean isConnected() {
    return connection != null && alive;
  }

  public long notificationCount() {
    return notifications.get();
  }

  public long reconnectCount() {
    return reconnects.get();
  }

  /**
   * Connects and LISTENs if not connected. Returns true if connected afterwards; failures are
   * logged (one line) and answered with false, for the caller to retry later.
   */
  public synchronized boolean ensureConnected() {
    if (isConnected()) {
      return true;
    }
    closeQuietly();
    try {
      PGDataSource ds = ListenerDataSource.of(config);
      warnOnceAboutIgnoredTlsParameters();
      ds.setApplicationName("odoo-webhook-sidecar listener");
      // The housekeeper records a stack trace for every result set, to close the ones a caller
      // leaks: a fifth of the router's CPU per wake-up under a trickle of writes (profiled).
      // Every statement here is closed by try-with-resources or with its connection.
      ds.setHousekeeper(false);
      Connection c = ds.getConnection();
      PGConnection pg = c.unwrap(PGConnection.class);
      pg.addNotificationListener(
          CHANNEL,
          new PGNotificationListener() {
            @Override
            public void notification(int processId, String channelName, String payload) {
              notifications.incrementAndGet();
              wakeup.signal();
            }

            @Override
            public void closed() {
              alive = false;
              if (closing) {
                return;
              }
              log.warn(
                  "The LISTEN connection was closed; reconnecting and catching up from the table.");
              wakeup.signal();
              reconnectInBackground();
            }
          });
      try (Statement st = c.createStatement()) {
        st.execute("LISTEN " + CHANNEL);
      }
      connection = c;
      alive = true;
      holdingWaitLock = false;
      if (everConnected) {
        reconnects.incrementAndGet();
        log.info("LISTEN connection re-established.");
        wakeup.signal(); // catch up with what committed while it was away
      } else {
        log.info(
            "LISTEN connection open to {} (TLS: sslmode={}).",
            config.dbUrl(),
            ListenerDataSource.sslMode(config.jdbcUrl().parameters()));
      }
      everConnected = true;
      return true;
    } catch (SQLException | RuntimeException e) {
      log.warn(
          "Cannot open the LISTEN connection to {} (sslmode={}): {}. Until it connects,"
              + " writes are not announced and the router polls every {}.{}",
          config.dbUrl(),
          sslModeOrProblem(),
          JdbcUrl.mask(reason(e)),
          Durations.format(config.duration(Setting.POLL_INTERVAL)),
          hint(reason(e)));
      closeQuietly();
      return false;
    }
  }

  private String sslModeOrProblem() {
    try {
      return ListenerDataSource.sslMode(config.jdbcUrl().parameters());
    } catch (IllegalArgumentException e) {
      return "?";
    }
  }

  private void warnOnceAboutIgnoredTlsParameters() {
    if (everConnected || warnedAboutTls) {
      return;
    }
    warnedAboutTls = true;
    List<String> ignored = ListenerDataSource.ignoredTlsParameters(config.jdbcUrl().parameters());
    if (!ignored.isEmpty()) {
      log.warn(
          "The LISTEN connection (pgjdbc-ng) cannot use {} of WEBHOOK_DB_URL; it uses sslmode,"
              + " sslrootcert, sslcert, sslkey and sslpassword.",
          String.join(", ", ignored));
    }
  }

  /** The innermost message: pgjdbc-ng wraps the server's reason in a generic one. */
  private static String reason(Throwable e) {
    String message = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
    }
    return message == null ? e.getClass().getSimpleName() : message.strip().replace('\n', ' ');
  }

  /** What to do about the failures an operator can fix in WEBHOOK_DB_URL. */
  private static String hint(String reason) {
    String r = reason.toLowerCase(Locale.ROOT);
    if (r.contains("no encryption") || r.contains("ssl off") || r.contains("ssl not allowed")) {
      return " The server requires TLS or refuses it: set sslmode in WEBHOOK_DB_URL (require,"
          + " or verify-full with sslrootcert).";
    }
    if (r.contains("certificate") || r.contains("pkix") || r.contains("hostname")) {
      return " The server's certificate was not accepted: check sslrootcert and the host name in"
          + " WEBHOOK_DB_URL, or use sslmode=require.";
    }
    return "";
  }

  /** Reconnects on a background thread, with backoff, unless a reconnect is already running. */
  public void reconnectInBackground() {
    if (closing || !reconnecting.compareAndSet(false, true)) {
      return;
    }
    Failsafe.with(untilConnected)
        .getAsync(() -> closing || ensureConnected())
        .whenComplete((connected, error) -> reconnecting.set(false));
  }

  /** Leaves the waiting state: writers stop notifying while the sidecar works. */
  public synchronized void stopWaiting() {
    if (!holdingWaitLock) {
      return;
    }
    holdingWaitLock = false;
    queryBoolean("SELECT webhook_sidecar_stop_wait()");
  }

  /** What one call of webhook_route_or_wait() did: events routed, and the state it left. */
  public record Routed(int events, RouterState state) {}

  /**
   * One step of the router's loop in one round trip (sql/V7): leaves the waiting state if this
   * connection holds it, routes a batch, and when the table is drained tries to wait again. Returns
   * null if the connection failed (it is then closed, which drops the waiting lock).
   */
  public synchronized Routed routeOrWait(int batchSize) {
    Connection c = connection;
    if (c == null) {
      return null;
    }
    try {
      // Prepared once per connection: this runs about once per write under a steady trickle.
      if (routeOrWait == null) {
        routeOrWait = c.prepareStatement("SELECT routed, state FROM webhook_route_or_wait(?, ?)");
      }
      PreparedStatement ps = routeOrWait;
      ps.setInt(1, batchSize);
      ps.setBoolean(2, holdingWaitLock);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Routed r = new Routed(rs.getInt(1), RouterState.fromSql(rs.getString(2)));
        holdingWaitLock = r.state() == RouterState.WAITING;
        return r;
      }
    } catch (SQLException | RuntimeException e) {
      // A failed call may or may not have left the session's lock held: close to be sure.
      log.warn("The LISTEN connection failed ({}); reconnecting.", JdbcUrl.mask(reason(e)));
      closeQuietly();
      reconnectInBackground();
      return null;
    }
  }

  private boolean queryBoolean(String sql) {
    Connection c = connection;
    if (c == null) {
      return false;
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() && rs.getBoolean(1);
    } catch (SQLException | RuntimeException e) {
      log.warn("The LISTEN connection failed ({}); reconnecting.", JdbcUrl.mask(reason(e)));
      closeQuietly();
      reconnectInBackground();
      return false;
    }
  }

  private void closeQuietly() {
    Connection c = connection;
    connection = null;
    alive = false;
    holdingWaitLock = false;
    routeOrWait = null; // closed with its connection
    if (c != null) {
      try {
        c.close();
      } catch (SQLException | RuntimeException e) {
        log.debug("Closing the LISTEN connection failed: {}", e.getMessage());
      }
    }
  }

  @Override
  public synchronized void close() {
    closing = true;
    closeQuietly();
  }
}
