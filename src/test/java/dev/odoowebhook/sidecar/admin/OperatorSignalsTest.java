// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.metrics.LoopLiveness;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Pipeline;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What an operator reads: /metrics with the JVM's and process's series, every series of the sidecar
 * described and typed, and /health failing when a background loop has died.
 */
class OperatorSignalsTest {
  static Pipeline p;

  @BeforeAll
  static void createPipeline() {
    p = new Pipeline();
  }

  @AfterAll
  static void closePipeline() {
    p.close();
  }

  @AfterEach
  void stopSidecar() {
    p.stopSidecar();
  }

  static Sidecar startWithAdminPort() throws IOException {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    return p.startSidecar(Map.of("WEBHOOK_HTTP_PORT", Integer.toString(port)));
  }

  static RawHttp.Answer get(Sidecar sidecar, String path) throws IOException {
    return RawHttp.exchange(
        sidecar.adminPort(),
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  }

  @Test
  void shouldExposeJvmAndProcessSeriesThatPromtoolAccepts() throws Exception {
    Sidecar sidecar = startWithAdminPort();
    String text = get(sidecar, "/metrics").body();
    for (String name :
        new String[] {
          "jvm_memory_used_bytes{area=\"heap\"}",
          "jvm_gc_collection_seconds_count",
          "jvm_threads_current",
          "process_cpu_seconds_total",
          "process_open_fds",
          "process_resident_memory_bytes",
          "process_start_time_seconds"
        }) {
      assertTrue(text.contains(name), name + " missing from:\n" + text);
    }
    Process promtool =
        new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    promtool.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    promtool.getOutputStream().close();
    String verdict = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(promtool.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, promtool.exitValue(), verdict);
  }

  @Test
  void shouldDescribeAndTypeEverySeriesOfTheSidecar() throws Exception {
    Sidecar sidecar = startWithAdminPort();
    String text = get(sidecar, "/metrics").body();
    Map<String, String> help = new HashMap<>();
    Map<String, String> type = new HashMap<>();
    Matcher m = Pattern.compile("(?m)^# (HELP|TYPE) (webhook_\\w+) (.*)$").matcher(text);
    while (m.find()) {
      (m.group(1).equals("HELP") ? help : type).put(m.group(2), m.group(3));
    }
    assertTrue(help.size() >= 20, "the sidecar's families: " + help.keySet());
    List<String> undescribed = new ArrayList<>();
    help.forEach(
        (name, h) -> {
          String bare = name.replaceAll("_total$", "");
          if (h.isBlank()
              || h.equals(name)
              || h.equals(bare)
              || h.contains("Generated from Dropwizard")
              || h.split(" ").length < 4) {
            undescribed.add(name + ": " + h);
          }
        });
    assertEquals(List.of(), undescribed, "every series says what it is");
    // Monotonic counts are counters (with _total); levels are gauges.
    for (String counter :
        new String[] {
          "webhook_deliveries_sent",
          "webhook_events_routed",
          "webhook_attempts",
          "webhook_loop_errors",
          "webhook_listener_reconnects",
          "webhook_listener_notifications",
          "webhook_pull_unauthorized"
        }) {
      assertEquals("counter", type.get(counter + "_total"), counter + " typed " + type);
      assertTrue(text.contains("\n" + counter + "_total "), counter + "_total sample");
    }
    for (String gauge :
        new String[] {
          "webhook_listener_connected",
          "webhook_deliveries_queued",
          "webhook_db_pool_active_connections"
        }) {
      assertEquals("gauge", type.get(gauge), gauge);
    }
    assertFalse(text.contains("\nwebhook_listener_reconnects "), "no untyped twin of the counter");
  }

  /** The loops' thread names and the names /health gives them. */
  @ParameterizedTest
  @CsvSource({
    "webhook-router, router",
    "webhook-dispatcher, dispatcher",
    "webhook-recorder, recorder of sent deliveries"
  })
  void shouldFailHealthNamingABackgroundLoopThatDied(String thread, String loop) throws Exception {
    Sidecar sidecar = startWithAdminPort();
    Await.until("healthy", Duration.ofSeconds(20), () -> status(sidecar) == 200);
    Thread victim =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals(thread))
            .findFirst()
            .orElseThrow();
    victim.interrupt(); // each loop ends on an interrupt, as it would on a bug that escaped it
    victim.join(TimeUnit.SECONDS.toMillis(10));
    assertFalse(victim.isAlive(), thread + " ended");
    RawHttp.Answer health = get(sidecar, "/health");
    assertEquals(503, health.status(), health.toString());
    JsonNode body = new ObjectMapper().readTree(health.body());
    assertEquals("failing", body.path("status").asText(), health.body());
    assertEquals(loop, body.path("failing").asText(), health.body());
  }

  @Test
  void shouldFailHealthNamingALoopThatStoppedReportingWithinItsBound() throws Exception {
    Sidecar sidecar = startWithAdminPort();
    Object stuck = new Object();
    // A live thread that reports once, then hangs (as on a lock): only the bound can tell.
    CountDownLatch release = new CountDownLatch(1);
    Thread thread =
        new Thread(
            () -> {
              LoopLiveness.alive(stuck);
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "stuck-loop");
    thread.start();
    try {
      sidecar.metrics().loops.watch("stuck loop", stuck, Duration.ofMillis(300));
      Await.until(
          "/health names the stuck loop",
          Duration.ofSeconds(10),
          () -> {
            try {
              RawHttp.Answer h = get(sidecar, "/health");
              return h.status() == 503
                  && new ObjectMapper()
                      .readTree(h.body())
                      .path("failing")
                      .asText()
                      .equals("stuck loop");
            } catch (IOException e) {
              return false;
            }
          });
      JsonNode body = new ObjectMapper().readTree(get(sidecar, "/health").body());
      assertEquals("late", body.path("loops").path("stuck loop").asText(), body.toString());
      assertEquals("alive", body.path("loops").path("router").asText(), body.toString());
      assertTrue(thread.isAlive(), "the thread lives on: silence alone made /health fail");
    } finally {
      release.countDown();
      thread.join();
    }
  }

  static int status(Sidecar sidecar) {
    try {
      return get(sidecar, "/health").status();
    } catch (IOException e) {
      return -1;
    }
  }
}
