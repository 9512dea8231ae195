// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Pipeline;
import dev.odoowebhook.sidecar.support.TcpProxy;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /health and /metrics of a running sidecar, whose database connection a test can cut. */
class HealthAndMetricsTest {
  static Pipeline p;
  static TcpProxy proxy;
  static Sidecar sidecar;
  static int port;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws IOException {
    p = new Pipeline();
    p.subscribe("crm", "", "");
    URI db = URI.create(p.db.url().substring("jdbc:".length()));
    proxy = new TcpProxy(db.getHost(), db.getPort());
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Map<String, String> settings = new HashMap<>();
    settings.put("WEBHOOK_DB_URL", "jdbc:postgresql://127.0.0.1:" + proxy.port() + db.getPath());
    settings.put("WEBHOOK_HTTP_PORT", Integer.toString(port));
    sidecar = p.startSidecar(settings);
  }

  @AfterAll
  static void stop() {
    p.close();
    proxy.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldExposeMetricsThatPromtoolAccepts() throws Exception {
    // Wait for this record's own delivery (the other test may have run first and sent one),
    // then for the counter, which the sidecar bumps just after recording the answer.
    long id = p.partner("metered");
    Await.until(
        "metered delivered",
        Duration.ofSeconds(20),
        () ->
            p.receiver.requests().stream().anyMatch(r -> r.data().get("record_id").asLong() == id),
        p::statuses);
    Pattern sentTotal = Pattern.compile("(?m)^webhook_deliveries_sent_total (\\S+)$");
    Await.until(
        "webhook_deliveries_sent_total >= 1",
        Duration.ofSeconds(10),
        () -> {
          try {
            Matcher m = sentTotal.matcher(get("/metrics").body());
            return m.find() && Double.parseDouble(m.group(1)) >= 1;
          } catch (Exception e) {
            return false;
          }
        });
    HttpResponse<String> r = get("/metrics");
    assertEquals(200, r.statusCode());
    String text = r.body();
    for (String name :
        new String[] {
          "webhook_deliveries_sent",
          "webhook_events_routed",
          "webhook_route_passes_total",
          "webhook_claims_total",
          "webhook_deliveries_queued{status=\"sent\"}",
          "webhook_http_request_duration_seconds",
          "webhook_delivery_latency_seconds",
          "webhook_listener_connected",
          "webhook_db_pool_active_connections",
          "webhook_circuit_breaker_open{subscriber=\"crm\"}"
        }) {
      assertTrue(text.contains(name), name + " missing from:\n" + text);
    }
    // A real parser: Prometheus' own promtool (Debian package prometheus).
    Process promtool;
    try {
      promtool =
          new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError(
          "promtool is needed to check the metrics: apt-get install prometheus", e);
    }
    promtool.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    promtool.getOutputStream().close();
    String verdict = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(promtool.waitFor(30, TimeUnit.SECONDS));
    // Exit 0: parsed and follows the naming conventions (lint remarks give 3, parse errors 1).
    assertEquals(0, promtool.exitValue(), verdict);
  }

  @Test
  void shouldReportHealthyThenNameTheDatabaseWhenItIsGone() throws Exception {
    HttpResponse<String> ok = get("/health");
    assertEquals(200, ok.statusCode(), ok.body());
    JsonNode body = new ObjectMapper().readTree(ok.body());
    assertEquals("ok", body.get("status").asText());
    assertEquals("ok", body.get("database").asText());
    assertEquals("connected", body.get("listener").asText());
    assertTrue(
        body.has("oldest_waiting_delivery_seconds") && body.has("deliveries_due"), ok.body());

    proxy.cut();
    try {
      HttpResponse<String> down = get("/health");
      assertEquals(503, down.statusCode(), down.body());
      JsonNode d = new ObjectMapper().readTree(down.body());
      assertEquals("database", d.get("failing").asText());
      assertEquals("unreachable", d.get("database").asText());
    } finally {
      proxy.restore();
    }
    Await.until(
        "healthy again",
        Duration.ofSeconds(30),
        () -> {
          try {
            return get("/health").statusCode() == 200;
          } catch (Exception e) {
            return false;
          }
        });
    // And the pipeline works again: nothing was lost while the database was away.
    long id = p.partner("after the outage");
    Await.until(
        "delivered after the outage",
        Duration.ofSeconds(30),
        () ->
            p.receiver.requests().stream().anyMatch(r -> r.data().get("record_id").asLong() == id),
        p::statuses);
  }
}
