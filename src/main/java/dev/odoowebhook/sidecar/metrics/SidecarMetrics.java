package dev.odoowebhook.sidecar.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.MetricRegistryListener;
import com.codahale.metrics.Timer;
import java.util.Locale;

/**
 * The sidecar's Dropwizard metrics, named once here. Exported in Prometheus text format at
 * /metrics. Thread-safe.
 */
public final class SidecarMetrics {
  private final MetricRegistry registry = new MetricRegistry();
  public final Counter eventsRouted = registry.counter("webhook_events_routed");
  /** Routing round trips, empty ones too: events routed per pass tells how well passes batch. */
  public final Counter routePasses = registry.counter("webhook_route_passes");
  public final Counter deliveriesSent = registry.counter("webhook_deliveries_sent");
  public final Counter deliveriesFailed = registry.counter("webhook_deliveries_failed");
  public final Counter deliveriesDead = registry.counter("webhook_deliveries_dead");
  public final Counter deliveriesReleased = registry.counter("webhook_deliveries_released");
  public final Counter attempts = registry.counter("webhook_attempts");
  public final Counter leaseLost = registry.counter("webhook_deliveries_lease_lost");
  public final Counter leasesRecovered = registry.counter("webhook_leases_recovered");
  public final Counter loopErrors = registry.counter("webhook_loop_errors");
  public final Counter cleanupRuns = registry.counter("webhook_cleanup_runs");
  public final Timer httpDuration = registry.timer("webhook_http_request_duration_seconds");
  /** From the capture of the oldest merged event to the receiver's 2xx. */
  public final Timer deliveryLatency = registry.timer("webhook_delivery_latency_seconds");
  /** Every request to the pull API, from arrival to the end of the answer. */
  public final Timer pullRequests = registry.timer("webhook_pull_request_duration_seconds");
  /** Pull API answers by kind: refused tokens, rate limits, and server-side failures. */
  public final Counter pullUnauthorized = registry.counter("webhook_pull_unauthorized");
  public final Counter pullRateLimited = registry.counter("webhook_pull_rate_limited");
  public final Counter pullFailed = registry.counter("webhook_pull_failed");

  public MetricRegistry registry() {
    return registry;
  }

  /**
   * A registry for HikariCP to register its pool metrics in. Each metric it adds is also
   * registered in the main registry under a Prometheus-style name: Hikari's own names
   * ("pool.ActiveConnections") are camelCase, which Prometheus conventions reject. Hikari's two
   * histograms (usage and creation time, in milliseconds) are left out: Prometheus wants seconds.
   */
  public MetricRegistry poolRegistry() {
    MetricRegistry pool = new MetricRegistry();
    pool.addListener(new MetricRegistryListener.Base() {
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
    return "webhook_db_pool_" + last.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT) + unit;
  }
}
