package dev.odoowebhook.sidecar.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.odoowebhook.sidecar.capture.EventListener;
import dev.odoowebhook.sidecar.delivery.DeliveryStatus;
import dev.odoowebhook.sidecar.metrics.SidecarMetrics;
import dev.odoowebhook.sidecar.persistence.Database;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' HTTP endpoints on WEBHOOK_HTTP_PORT: {@code GET /health} (200, or 503 naming
 * the failing part) and {@code GET /metrics} (Prometheus text format, exported from the
 * Dropwizard registry by Prometheus' maintained exporter). JDK server: two endpoints do not
 * justify a web framework.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService executor;
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
      String host, int port, Database db, EventListener listener, SidecarMetrics metrics,
      Supplier<Map<String, Boolean>> openBreakers, String instanceId, String version) throws IOException {
    // Without it the JDK server answers keep-alive requests at about 23 per second.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    this.db = db;
    this.listener = listener;
    this.stats = new QueueStats(db);
    this.instanceId = instanceId;
    this.version = version;
    this.metrics = metrics;
    this.openBreakers = openBreakers;
    registerGauges();
    DropwizardExports.builder().dropwizardRegistry(metrics.registry()).register(prometheus);
    registerLabelledGauges();
    this.server = HttpServer.create(new InetSocketAddress(host, port), 16);
    this.executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "webhook-admin-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/health", exchange -> answer(exchange, this::health));
    server.createContext("/metrics", exchange -> answer(exchange, this::metrics));
    server.start();
    log.info("Admin HTTP on http://{}:{}/health and /metrics", host, port());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void registerGauges() {
    var registry = metrics.registry();
    registry.gauge("webhook_oldest_waiting_delivery_seconds", () -> () -> {
      QueueStats.Snapshot s = stats.get();
      return s == null ? 0.0 : s.oldestWaitingSeconds();
    });
    registry.gauge("webhook_events_unrouted", () -> () -> {
      QueueStats.Snapshot s = stats.get();
      return s == null ? 0L : s.unroutedEvents();
    });
    registry.gauge("webhook_listener_connected", () -> () -> listener.isConnected() ? 1 : 0);
    registry.gauge("webhook_listener_reconnects", () -> listener::reconnectCount);
    registry.gauge("webhook_listener_notifications", () -> listener::notificationCount);
  }

  /** Families with labels, which Dropwizard metrics cannot express: Prometheus' own gauges. */
  private void registerLabelledGauges() {
    GaugeWithCallback.builder()
        .name("webhook_deliveries_queued")
        .help("Deliveries in the database by status (all sidecars)")
        .labelNames("status")
        .callback(cb -> {
          QueueStats.Snapshot s = stats.get();
          for (DeliveryStatus status : DeliveryStatus.values()) {
            cb.call(s == null ? 0 : s.byStatus().getOrDefault(status.sqlName(), 0L), status.sqlName());
          }
        })
        .register(prometheus);
    GaugeWithCallback.builder()
        .name("webhook_circuit_breaker_open")
        .help("1 while a subscriber's circuit breaker is open or half-open, else 0")
        .labelNames("subscriber")
        .callback(cb -> openBreakers.get().forEach((name, open) -> cb.call(open ? 1 : 0, name)))
        .register(prometheus);
  }

  /** A handler that may fail. */
  private interface Handler {
    void handle(HttpExchange exchange) throws IOException;
  }

  /** The JDK server drops a handler's exception silently: log it and answer 500 instead. */
  private static void answer(HttpExchange exchange, Handler handler) {
    try {
      handler.handle(exchange);
    } catch (IOException | RuntimeException e) {
      log.error("Admin HTTP {} failed: {}", exchange.getRequestURI(), e.toString());
      try (exchange) {
        exchange.sendResponseHeaders(500, -1);
      } catch (IOException | RuntimeException ignored) {
        // the client is gone
      }
    }
  }

  private void health(HttpExchange exchange) throws IOException {
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
    send(exchange, failing == null ? 200 : 503, "application/json",
        JSON.writeValueAsBytes(body));
  }

  private void metrics(HttpExchange exchange) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writer.write(out, prometheus.scrape());
    send(exchange, 200, PrometheusTextFormatWriter.CONTENT_TYPE, out.toByteArray());
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
