// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.admin.RawHttp;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Pipeline;
import dev.odoowebhook.sidecar.support.TcpProxy;
import java.net.URI;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A flood of made-up tokens from one address: after a generous number of failures the address is
 * answered 429 without a database query (shown by cutting the database: the refusals go on, none
 * waits for it), while a valid token from another address is still served.
 */
class FailedAuthFloodTest {
  /** Failures an address may have before it is refused (FailedAuthLimits' default). */
  static final int ALLOWED_FAILURES = 20;

  static Pipeline p;
  static TcpProxy proxy;
  static Sidecar sidecar;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    p = new Pipeline();
    URI db = URI.create(p.db.url().substring("jdbc:".length()));
    proxy = new TcpProxy(db.getHost(), db.getPort());
    Map<String, String> settings = new HashMap<>();
    settings.put("WEBHOOK_DB_URL", "jdbc:postgresql://127.0.0.1:" + proxy.port() + db.getPath());
    settings.put("WEBHOOK_PULL_PORT", Integer.toString(PullTestBase.freePort()));
    settings.put("WEBHOOK_HTTP_PORT", Integer.toString(PullTestBase.freePort()));
    settings.put("WEBHOOK_PULL_RATE_LIMIT", "10000");
    sidecar = p.startSidecar(settings);
    try (Connection c = p.db.connect()) {
      token = ApiTokens.create(c, "flood-test", List.of("*"));
    }
  }

  @AfterAll
  static void stop() {
    p.close();
    proxy.close();
  }

  static RawHttp.Answer events(String from, String bearer) throws Exception {
    return RawHttp.exchange(
        from,
        sidecar.pullPort(),
        "GET /v1/events?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Authorization: Bearer "
            + bearer
            + "\r\nConnection: close\r\n\r\n");
  }

  @Test
  void shouldRefuseAFloodOfBadTokensWithoutAskingTheDatabase() throws Exception {
    int unauthorized = 0;
    int throttled = 0;
    for (int i = 0; i < ALLOWED_FAILURES + 5; i++) {
      RawHttp.Answer a = events("127.0.0.1", ApiTokens.newToken()); // well-formed, unknown
      unauthorized += a.status() == 401 ? 1 : 0;
      throttled += a.status() == 429 ? 1 : 0;
    }
    assertEquals(ALLOWED_FAILURES, unauthorized, "each made-up token is looked up until the limit");
    assertEquals(5, throttled, "then the address is refused");

    proxy.cut();
    try {
      for (int i = 0; i < 10; i++) {
        RawHttp.Answer a = events("127.0.0.1", i % 2 == 0 ? ApiTokens.newToken() : token);
        assertEquals(
            429, a.status(), "refused before any database query, the database being away: " + a);
        assertTrue(a.body().contains("\"error\""), a.toString());
        assertNotNull(a.headers().get("retry-after"), a.toString());
        assertTrue(Long.parseLong(a.headers().get("retry-after")) >= 1, a.toString());
      }
    } finally {
      proxy.restore();
    }

    // Another client address is not concerned (once the pool has replaced its connections).
    Await.until(
        "a valid token from 127.0.0.2 served",
        Duration.ofSeconds(30),
        () -> {
          try {
            return events("127.0.0.2", token).status() == 200;
          } catch (Exception e) {
            return false;
          }
        });
    assertEquals(429, events("127.0.0.1", token).status(), "127.0.0.1 is still refused");

    RawHttp.Answer metrics =
        RawHttp.exchange(
            sidecar.adminPort(),
            "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    Matcher m =
        Pattern.compile("(?m)^webhook_pull_auth_throttled_total (\\S+)$").matcher(metrics.body());
    assertTrue(m.find(), "webhook_pull_auth_throttled_total in /metrics");
    assertEquals(16.0, Double.parseDouble(m.group(1)));
  }
}
