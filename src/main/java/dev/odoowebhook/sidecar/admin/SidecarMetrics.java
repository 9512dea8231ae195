package dev.odoowebhook.sidecar.admin;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

/**
 * The sidecar's Dropwizard metrics, named once here. Exported in Prometheus text format at
 * /metrics. Thread-safe.
 */
public final class SidecarMetrics {
  private final MetricRegistry registry = new MetricRegistry();
  public final Counter eventsRouted = registry.counter("webhook_events_routed");
  public final Counter deliveriesSent = registry.counter("webhook_deliveries_sent");
  public final Counter deliveriesFailed = registry.counter("webhook_deliveries_failed");
  public final Counter deliveriesDead = registry.counter("webhook_deliveries_dead");
  public final Counter deliveriesReleased = registry.counter("webhook_deliveries_released");
  public final Counter attempts = registry.counter("webhook_attempts");
  public final Counter leaseLost = registry.counter("webhook_deliveries_lease_lost");
  public final Counter leasesRecovered = registry.counter("webhook_leases_recovered");
  public final Counter loopErrors = registry.counter("webhook_loop_errors");
  public final Timer httpDuration = registry.timer("webhook_http_request_duration");
  /** From the capture of the oldest merged event to the receiver's 2xx, in milliseconds. */
  public final Histogram deliveryLatencyMs = registry.histogram("webhook_delivery_latency_ms");

  public MetricRegistry registry() {
    return registry;
  }
}
