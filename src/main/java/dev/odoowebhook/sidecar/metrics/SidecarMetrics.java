// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.MetricRegistryListener;
import com.codahale.metrics.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sidecar's Dropwizard metrics, named once here. Exported in Prometheus text format at
 * /metrics. Thread-safe.
 */
public final class SidecarMetrics {
  private final MetricRegistry registry = new MetricRegistry();

  /** HELP text per series name, shown on /metrics; see {@link #help(String)}. */
  private final Map<String, String> help = new ConcurrentHashMap<>();

  /** The background loops whose death or silence makes /health fail. */
  public final LoopLiveness loops = new LoopLiveness();

  public final Counter eventsRouted =
      counter(
          "webhook_events_routed",
          "Captured events the router has handled (matched into deliveries, merged or dropped)");

  /** Routing round trips, empty ones too: events routed per pass tells how well passes batch. */
  public final Counter routePasses =
      counter(
          "webhook_route_passes",
          "Routing passes, empty ones included (events routed per pass shows batching)");

  /** Claims of due deliveries, empty ones too: attempts per claim tells how well they batch. */
  public final Counter claims =
      counter(
          "webhook_claims",
          "Claims of due deliveries, empty ones included (attempts per claim shows batching)");

  public final Counter deliveriesSent =
      counter("webhook_deliveries_sent", "Deliveries a subscriber acknowledged with a 2xx answer");
  public final Counter deliveriesFailed =
      counter("webhook_deliveries_failed", "Failed attempts rescheduled for a retry");
  public final Counter deliveriesDead =
      counter(
          "webhook_deliveries_dead", "Deliveries given up after their last retry (status dead)");
  public final Counter deliveriesReleased =
      counter(
          "webhook_deliveries_released",
          "Claimed deliveries given back unsent (open circuit breaker, shutdown) for a later attempt");
  public final Counter attempts =
      counter("webhook_attempts", "HTTP delivery attempts recorded, whatever their outcome");
  public final Counter leaseLost =
      counter(
          "webhook_deliveries_lease_lost",
          "Attempts whose lease had expired or moved on when their outcome was recorded");
  public final Counter leasesRecovered =
      counter(
          "webhook_leases_recovered",
          "Deliveries whose expired lease (a crashed or stalled sidecar) was recovered for a new attempt");
  public final Counter loopErrors =
      counter(
          "webhook_loop_errors",
          "Errors caught at the edge of a background loop (router, dispatcher, jobs); the log has each cause");
  public final Counter cleanupRuns =
      counter(
          "webhook_cleanup_runs",
          "Runs of the cleanup job that removed old events, deliveries and attempts");
  public final Timer httpDuration =
      timer(
          "webhook_http_request_duration_seconds",
          "Duration of webhook HTTP requests to subscribers, connection included");

  /** From the capture of the oldest merged event to the receiver's 2xx. */
  public final Timer deliveryLatency =
      timer(
          "webhook_delivery_latency_seconds",
          "From the capture of a delivery's oldest merged event to the subscriber's 2xx");

  /** Every request to the pull API, from arrival to the end of the answer. */
  public final Timer pullRequests =
      timer(
          "webhook_pull_request_duration_seconds",
          "Pull API requests, from the complete request headers to the end of the answer");

  /** Pull API answers by kind: refused tokens, rate limits, and server-side failures. */
  public final Counter pullUnauthorized =
      counter(
          "webhook_pull_unauthorized",
          "Pull API requests refused 401 for a missing, unknown or revoked token");

  public final Counter pullRateLimited =
      counter(
          "webhook_pull_rate_limited",
          "Pull API requests refused 429 because their token was over WEBHOOK_PULL_RATE_LIMIT");
  public final Counter pullAuthThrottled =
      counter(
          "webhook_pull_auth_throttled",
          "Pull API requests refused 429 without a database query: their address failed to authenticate too often");
  public final Counter pullFailed =
      counter(
          "webhook_pull_failed",
          "Pull API requests answered 5xx (database unavailable or an internal error)");

  private Counter counter(String name, String text) {
    help.put(name, text);
    return registry.counter(name);
  }

  private Timer timer(String name, String text) {
    help.put(name, text);
    // The default reservoir takes a lock and a skip-list insert per update: twice per delivery,
    // from every sender thread (profiled). The lock-free one samples the same way.
    return registry.timer(
        name, () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
  }

  /** Registers a gauge of the Dropwizard registry with its HELP text. */
  public void gauge(String name, String text, Gauge<?> gauge) {
    help.put(name, text);
    registry.register(name, gauge);
  }

  /**
   * The HELP text of a series of the Dropwizard registry (its name without {@code _total}), or the
   * name itself when none was given: the metrics test then points at the missing text.
   */
  public String help(String name) {
    String text = help.get(name);
    if (text == null && name.startsWith(POOL_PREFIX)) {
      text = POOL_HELP.get(name.substring(POOL_PREFIX.length()));
    }
    return text == null ? name : text;
  }

  private static final String POOL_PREFIX = "webhook_db_pool_";

  /** HikariCP's pool metrics, by their Prometheus-style name after the prefix. */
  private static final Map<String, String> POOL_HELP =
      Map.of(
          "total_connections", "Connections of the sidecar's database pool, idle and in use",
          "idle_connections", "Idle connections of the sidecar's database pool",
          "active_connections", "Connections of the sidecar's database pool in use",
          "pending_connections", "Threads waiting for a connection of the sidecar's database pool",
          "max_connections", "Size limit of the sidecar's database pool (WEBHOOK_POOL_SIZE)",
          "min_connections", "Idle connections the sidecar's database pool keeps at least",
          "wait_seconds", "Time threads waited for a connection of the sidecar's database pool",
          "connection_timeout_rate", "Requests for a pool connection that timed out waiting");

  public MetricRegistry registry() {
    return registry;
  }

  /**
   * A registry for HikariCP to register its pool metrics in. Each metric it adds is also registered
   * in the main registry under a Prometheus-style name: Hikari's own names
   * ("pool.ActiveConnections") are camelCase, which Prometheus conventions reject. Hikari's two
   * histograms (usage and creation time, in milliseconds) are left out: Prometheus wants seconds.
   */
  public MetricRegistry poolRegistry() {
    MetricRegistry pool = new MetricRegistry();
    pool.addListener(
        new MetricRegistryListener.Base() {
          @Override
          public void onGaugeAdded(String name, Gauge<?> gauge) {
            registry.register(poolName(name, ""), gauge);
          }

          @Override
          public void onTimerAdded(String name, Timer timer) {
            registry.register(poolName(name, "_seconds"), timer);
          }

          @Override
          public void onMeterAdded(String name, Meter meter) {
            registry.register(poolName(name, ""), meter);
          }
        });
    return pool;
  }

  /** "webhook-pool.pool.ActiveConnections" becomes "webhook_db_pool_active_connections". */
  static String poolName(String hikariName, String unit) {
    String last = hikariName.substring(hikariName.lastIndexOf('.') + 1);
    return "webhook_db_pool_"
        + last.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT)
        + unit;
  }
}
