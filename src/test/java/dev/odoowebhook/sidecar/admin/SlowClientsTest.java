// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.pull.ApiTokens;
import dev.odoowebhook.sidecar.support.Pipeline;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that connect and take their time (half a request, then silence or a trickle) against a
 * running sidecar's admin port and pull API: real clients are still answered, and a request that
 * never finishes arriving is cut off.
 */
class SlowClientsTest {
  static final int SLOW_CLIENTS = 50;
  static Pipeline p;
  static Sidecar sidecar;
  static String token;
  static final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @BeforeAll
  static void start() throws Exception {
    p = new Pipeline();
    Map<String, String> settings = new HashMap<>();
    settings.put("WEBHOOK_HTTP_PORT", Integer.toString(freePort()));
    settings.put("WEBHOOK_PULL_PORT", Integer.toString(freePort()));
    settings.put("WEBHOOK_PULL_RATE_LIMIT", "10000");
    sidecar = p.startSidecar(settings);
    try (Connection c = p.db.connect()) {
      token = ApiTokens.create(c, "slow-clients-test", List.of("*"));
    }
  }

  @AfterAll
  static void stop() {
    p.close();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Status of a real request, or -1 when it got no answer within 5 s. */
  static int status(int port, String path, String bearer) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  @Test
  void shouldAnswerHealthAndPullWhileFiftySlowClientsHoldHalfSentRequestsOnEach() throws Exception {
    List<Socket> slow = new ArrayList<>();
    try {
      for (int i = 0; i < SLOW_CLIENTS; i++) {
        slow.add(
            RawHttp.halfSent(sidecar.adminPort(), "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
        slow.add(
            RawHttp.halfSent(
                sidecar.pullPort(),
                "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer "
                    + token
                    + "\r\n"));
      }
      int healthOk = 0;
      int pullOk = 0;
      for (int i = 0; i < 10; i++) {
        healthOk += status(sidecar.adminPort(), "/health", null) == 200 ? 1 : 0;
        pullOk += status(sidecar.pullPort(), "/v1/events?limit=10", token) == 200 ? 1 : 0;
      }
      assertEquals(
          10, healthOk, "/health answered 200 while " + SLOW_CLIENTS + " slow clients wait");
      assertEquals(
          10, pullOk, "the pull API answered 200 while " + SLOW_CLIENTS + " slow clients wait");
      long open = slow.stream().filter(RawHttp::isOpenAndSilent).count();
      assertEquals(
          2L * SLOW_CLIENTS,
          open,
          "slow clients within the bound are kept, not dropped to make room");
    } finally {
      slow.forEach(RawHttp::closeQuietly);
    }
  }

  @Test
  void shouldDisconnectClientsThatNeverFinishTheirHeaders() throws Exception {
    // Both trickle a header line every half second, so only a bound on the whole request
    // (not an idle timeout) can end them.
    Socket admin =
        RawHttp.halfSent(sidecar.adminPort(), "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    Socket pull =
        RawHttp.halfSent(sidecar.pullPort(), "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    try {
      boolean adminClosed = false;
      boolean pullClosed = false;
      for (int i = 0; i < 80 && !(adminClosed && pullClosed); i++) { // 40 s at most
        adminClosed = adminClosed || trickleAndCheck(admin, i);
        pullClosed = pullClosed || trickleAndCheck(pull, i);
      }
      assertTrue(adminClosed, "the admin server cut off a request that never finished arriving");
      assertTrue(pullClosed, "the pull API cut off a request that never finished arriving");
      assertEquals(200, status(sidecar.adminPort(), "/health", null));
      assertEquals(200, status(sidecar.pullPort(), "/v1/events", token));
    } finally {
      RawHttp.closeQuietly(admin);
      RawHttp.closeQuietly(pull);
    }
  }

  @Test
  void shouldAnswer408ToABodyThatNeverFinishesArriving() throws Exception {
    Socket s =
        RawHttp.halfSent(
            sidecar.pullPort(),
            "POST /v1/devices/slow-body/pull HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nAuthorization: Bearer "
                + token
                + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100\r\n\r\n{\"limit\": ");
    try {
      s.setSoTimeout(40_000);
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
      assertTrue(answer.contains("\"error\":\"request_timeout\""), answer);
    } finally {
      RawHttp.closeQuietly(s);
    }
  }

  /** Sends one more header line; true once the server has closed the connection. */
  private static boolean trickleAndCheck(Socket s, int i) {
    try {
      OutputStream out = s.getOutputStream();
      out.write(("X-Slow-" + i + ": 1\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      return true; // the server reset it
    }
    return RawHttp.closedByServer(s, 250);
  }
}
