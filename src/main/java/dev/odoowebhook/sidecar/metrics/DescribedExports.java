// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.metrics;

import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;

/**
 * The sidecar's Dropwizard metrics in Prometheus form, through Prometheus' maintained exporter
 * ({@link DropwizardExports}: counters typed as counters with {@code _total}, timers as summaries
 * in seconds), with each series' HELP text from {@link SidecarMetrics#help} instead of the
 * exporter's generic "Generated from Dropwizard metric import". Thread-safe.
 */
public final class DescribedExports implements MultiCollector {
  /** Holds only the exporter: its scrape is the Dropwizard registry in Prometheus form. */
  private final PrometheusRegistry exports = new PrometheusRegistry();

  private final SidecarMetrics metrics;

  private DescribedExports(SidecarMetrics metrics) {
    this.metrics = metrics;
    DropwizardExports.builder().dropwizardRegistry(metrics.registry()).register(exports);
  }

  /** Registers the sidecar's metrics in a Prometheus registry. */
  public static void register(SidecarMetrics metrics, PrometheusRegistry prometheus) {
    prometheus.register(new DescribedExports(metrics));
  }

  @Override
  public MetricSnapshots collect() {
    MetricSnapshots.Builder described = MetricSnapshots.builder();
    for (MetricSnapshot s : exports.scrape()) {
      described.metricSnapshot(describe(s));
    }
    return described.build();
  }

  private MetricSnapshot describe(MetricSnapshot s) {
    MetricMetadata m = s.getMetadata();
    String help = metrics.help(m.getPrometheusName());
    MetricMetadata meta =
        m.hasUnit()
            ? new MetricMetadata(m.getName(), help, m.getUnit())
            : new MetricMetadata(m.getName(), help);
    if (s instanceof CounterSnapshot c) {
      return new CounterSnapshot(meta, c.getDataPoints());
    }
    if (s instanceof GaugeSnapshot g) {
      return new GaugeSnapshot(meta, g.getDataPoints());
    }
    if (s instanceof SummarySnapshot summary) {
      return new SummarySnapshot(meta, summary.getDataPoints());
    }
    return s; // a kind the sidecar does not register (histograms are left out)
  }
}
