// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.admin;

import com.codahale.metrics.Gauge;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.odoowebhook.sidecar.capture.EventListener;
import dev.odoowebhook.sidecar.delivery.DeliveryStatus;
import dev.odoowebhook.sidecar.identity.Installation;
import dev.odoowebhook.sidecar.metrics.DescribedExports;
import dev.odoowebhook.sidecar.metrics.SidecarMetrics;
import dev.odoowebhook.sidecar.persistence.Database;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' HTTP endpoints on WEBHOOK_HTTP_PORT: {@code GET /health} (200, or 503 naming the
 * failing part: the database, the LISTEN connection, or a background loop that died or stopped
 * reporting) and {@code GET /metrics} (Prometheus text format: the sidecar's series, with HELP
 * texts, and the JVM's and process's). Served by a {@link GuardedHttpServer}, so clients that
 * connect and wait cannot make /health unreachable. Thread-safe.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Few threads: the endpoints are cheap, and an orchestrator asks once every few seconds. */
  static final GuardedHttpServer.Limits LIMITS =
      new GuardedHttpServer.Limits(
          "webhook-admin-http", 4, Duration.ofSeconds(30), Duration.ofSeconds(10));

  private final GuardedHttpServer server;
  private final Database db;
  private final EventListener listener;
  private final QueueStats stats;
  private final PrometheusRegistry prometheus = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final SidecarMetrics metrics;

  /** Per subscriber name: whether its circuit breaker is open (or half-open). */
  private final Supplier<Map<String, Boolean>> openBreakers;

  private final String instanceId;
  private final String version;

  public AdminServer(
      String host,
      int port,
      Database db,
      EventListener listener,
      SidecarMetrics metrics,
      Supplier<Map<String, Boolean>> openBreakers,
      String instanceId,
      String version)
      throws IOException {
    this.db = db;
    this.listener = listener;
    this.stats = new QueueStats(db);
    this.instanceId = instanceId;
    this.version = version;
    this.metrics = metrics;
    this.openBreakers = openBreakers;
    registerGauges();
    DescribedExports.register(metrics, prometheus);
    registerLabelledSeries();
    JvmMetrics.builder().register(prometheus);
    this.server =
        GuardedHttpServer.start(
            host,
            port,
            LIMITS,
            new Handler.Abstract() {
              @Override
              public boolean handle(Request request, Response response, Callback callback) {
                answer(request, response, callback);
                return true;
              }
            });
    log.info("Admin HTTP on http://{}:{}/health and /metrics", host, port());
  }

  public int port() {
    return server.port();
  }

  private void registerGauges() {
    metrics.gauge(
        "webhook_oldest_waiting_delivery_seconds",
        "Age of the oldest pending or failed delivery (all sidecars), 0 when none waits",
        (Gauge<Double>)
            () -> {
              QueueStats.Snapshot s = stats.get();
              return s == null ? 0.0 : s.oldestWaitingSeconds();
            });
    metrics.gauge(
        "webhook_events_unrouted",
        "Captured events the router has not handled yet (all sidecars)",
        (Gauge<Long>)
            () -> {
              QueueStats.Snapshot s = stats.get();
              return s == null ? 0L : s.unroutedEvents();
            });
    metrics.gauge(
        "webhook_listener_connected",
        "1 while the LISTEN connection is up (wake-ups by NOTIFY), 0 while the sidecar polls",
        (Gauge<Integer>) () -> listener.isConnected() ? 1 : 0);
  }

  /** Families with labels, and counters read from elsewhere: Prometheus' own types. */
  private void registerLabelledSeries() {
    GaugeWithCallback.builder()
        .name("webhook_deliveries_queued")
        .help("Deliveries in the database by status (all sidecars)")
        .labelNames("status")
        .callback(
            cb -> {
              QueueStats.Snapshot s = stats.get();
              for (DeliveryStatus status : DeliveryStatus.values()) {
                cb.call(
                    s == null ? 0 : s.byStatus().getOrDefault(status.sqlName(), 0L),
                    status.sqlName());
              }
            })
        .register(prometheus);
    GaugeWithCallback.builder()
        .name("webhook_circuit_breaker_open")
        .help("1 while a subscriber's circuit breaker is open or half-open, else 0")
        .labelNames("subscriber")
        .callback(cb -> openBreakers.get().forEach((name, open) -> cb.call(open ? 1 : 0, name)))
        .register(prometheus);
    CounterWithCallback.builder()
        .name("webhook_listener_reconnects")
        .help("Times the LISTEN connection was opened again after it was lost")
        .callback(cb -> cb.call(listener.reconnectCount()))
        .register(prometheus);
    CounterWithCallback.builder()
        .name("webhook_listener_notifications")
        .help("NOTIFY wake-ups received on the LISTEN connection")
        .callback(cb -> cb.call(listener.notificationCount()))
        .register(prometheus);
  }

  /** Routes a request; a failure is logged and answered 500, never lost. */
  private void answer(Request request, Response response, Callback callback) {
    String path = request.getHttpURI().getPath();
    try {
      switch (path) {
        case "/health" -> {
          if (allowGet(request, response, callback)) {
            health(response, callback);
          }
        }
        case "/metrics" -> {
          if (allowGet(request, response, callback)) {
            metrics(response, callback);
          }
        }
        default ->
            error(
                response,
                callback,
                404,
                "No such endpoint: the admin port serves /health and /metrics.");
      }
    } catch (IOException | RuntimeException e) {
      log.error("Admin HTTP {} failed.", path, e);
      if (!response.isCommitted()) {
        error(response, callback, 500, "Internal error; the sidecar's log says more.");
      } else {
        callback.failed(e);
      }
    }
  }

  private static boolean allowGet(Request request, Response response, Callback callback) {
    if (request.getMethod().equals("GET")) {
      return true;
    }
    response.getHeaders().put(HttpHeader.ALLOW, "GET");
    error(response, callback, 405, "Use GET here.");
    return false;
  }

  private void health(Response response, Callback callback) throws IOException {
    ObjectNode body = JSON.createObjectNode();
    body.put("instance", instanceId);
    body.put("version", version);
    String failing = null;
    boolean dbOk;
    try (Connection c = db.connection()) {
      dbOk = c.isValid(2);
    } catch (Exception e) {
      dbOk = false;
    }
    body.put("database", dbOk ? "ok" : "unreachable");
    if (!dbOk) {
      failing = "database";
    }
    boolean listening = listener.isConnected();
    body.put("listener", listening ? "connected" : "disconnected");
    if (!listening && failing == null) {
      failing = "listener";
    }
    String deadLoop = metrics.loops.failing();
    if (deadLoop != null) {
      ObjectNode loops = body.putObject("loops");
      metrics.loops.states().forEach(loops::put);
      if (failing == null) {
        failing = deadLoop;
      }
    }
    if (dbOk) {
      // A copy of the database (a restore, a duplicate) holds its deliveries until an admin
      // confirms it: nothing is sent, which an orchestrator should see
      // (sql/R__webhook_installation.sql).
      try {
        Installation.Status installation = Installation.status(db.dataSource());
        body.put("installation", installation.state().name().toLowerCase(java.util.Locale.ROOT));
        if (installation.deliveriesHeld()) {
          body.put("installation_message", installation.message());
          if (failing == null) {
            failing = "installation";
          }
        }
      } catch (java.sql.SQLException e) {
        log.debug("Installation state unreadable ({}); left out of /health.", e.getMessage());
      }
    }
    QueueStats.Snapshot s = dbOk ? stats.get() : null;
    if (s != null) {
      body.put("oldest_waiting_delivery_seconds", Math.round(s.oldestWaitingSeconds() * 10) / 10.0);
      body.put("deliveries_due", s.dueNow());
      body.put("events_unrouted", s.unroutedEvents());
      body.put("oldest_unrouted_event_seconds", Math.round(s.oldestUnroutedSeconds() * 10) / 10.0);
    }
    body.put("status", failing == null ? "ok" : "failing");
    if (failing != null) {
      body.put("failing", failing);
    }
    GuardedHttpServer.send(
        response,
        callback,
        failing == null ? 200 : 503,
        "application/json",
        JSON.writeValueAsBytes(body));
  }

  private void metrics(Response response, Callback callback) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writer.write(out, prometheus.scrape());
    GuardedHttpServer.send(
        response, callback, 200, PrometheusTextFormatWriter.CONTENT_TYPE, out.toByteArray());
  }

  private static void error(Response response, Callback callback, int status, String message) {
    ObjectNode body = JSON.createObjectNode();
    body.put("error", JsonErrorHandler.code(status));
    body.put("message", message);
    try {
      GuardedHttpServer.send(
          response, callback, status, "application/json", JSON.writeValueAsBytes(body));
    } catch (IOException e) {
      callback.failed(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
