// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.support.Await;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tokens (hashed, scoped, revocable), the per-token rate limit and CORS, over real HTTP. */
class AccessTest extends PullTestBase {

  @Test
  void shouldAnswerTheSame401ForMissingMalformedUnknownAndRevokedTokens() throws Exception {
    Sidecar sidecar = startPullSidecar(Map.of());
    int port = sidecar.pullPort();
    String token = token("tablet", "res.partner");
    assertEquals(
        0,
        p.db.count("SELECT count(*) FROM webhook_api_token WHERE token_hash = ?", token),
        "the token itself is not stored");
    assertEquals(
        1,
        p.db.count(
            "SELECT count(*) FROM webhook_api_token WHERE token_hash = ?", ApiTokens.hash(token)));
    PullApi ok = new PullApi(port, token);
    assertEquals(200, ok.get("/v1/events").status());
    assertNotNull(
        p.db.value(
            "SELECT last_used_at FROM webhook_api_token WHERE name = 'tablet'", Object.class));

    String unknown = ApiTokens.newToken();
    try (var c = p.db.connect()) {
      ApiTokens.revoke(c, "tablet");
    }
    List<PullApi.Answer> refused =
        List.of(
            new PullApi(port, null).get("/v1/events"),
            ok.withToken("not-a-token").get("/v1/events"),
            ok.withToken(unknown).get("/v1/events"),
            ok.get("/v1/events"),
            ok.post("/v1/devices/d1/pull", Map.of()));
    for (PullApi.Answer a : refused) {
      assertEquals(401, a.status(), a.toString());
      assertEquals(refused.get(0).raw().body(), a.raw().body(), "one answer, whatever the reason");
      assertEquals("Bearer realm=\"odoo-webhook-sidecar\"", a.header("WWW-Authenticate"));
    }
    Await.until(
        "every refusal counted",
        WAIT,
        () -> sidecar.metrics().pullUnauthorized.getCount() == refused.size());
  }

  @Test
  void shouldOnlyShowModelsInTheTokensScope() {
    int port = startPull(Map.of());
    PullApi partners = new PullApi(port, token("partners", "res.partner"));
    long partner = p.partner("visible");
    insert("sale_order", "hidden");
    awaitRouted();
    PullApi.Answer list = partners.get("/v1/events");
    assertEquals(200, list.status(), list.toString());
    assertEquals(1, list.body().path("events").size(), list.toString());
    assertEquals(partner, list.body().path("events").get(0).path("record_id").asLong());
    assertEquals(403, partners.get("/v1/events?model=sale.order").status());
    assertEquals(
        403, partners.get("/v1/updates?since=2000-01-01T00:00:00Z&models=sale.order").status());
    PullApi.Answer pull = partners.post("/v1/devices/d/pull", Map.of());
    assertEquals(
        1, pull.body().path("changes").size(), "by default a device syncs the token's models");
  }

  @Test
  void shouldRateLimitEachTokenWith429AndRetryAfter() {
    Sidecar sidecar = startPullSidecar(Map.of("WEBHOOK_PULL_RATE_LIMIT", "3"));
    int port = sidecar.pullPort();
    PullApi busy = new PullApi(port, token("busy", "res.partner"));
    PullApi calm = new PullApi(port, token("calm", "res.partner"));
    int limited = 0;
    PullApi.Answer last = null;
    for (int i = 0; i < 6; i++) {
      PullApi.Answer a = busy.get("/v1/events");
      if (a.status() == 429) {
        limited++;
        last = a;
      } else {
        assertEquals(200, a.status(), a.toString());
      }
    }
    assertTrue(limited >= 2, "3 per second: of 6 quick requests some are refused");
    assertEquals("1", last.header("Retry-After"));
    assertEquals("rate_limited", last.body().path("error").asText());
    assertEquals(200, calm.get("/v1/events").status(), "another token has its own limit");
    // Operators see it in /metrics (webhook_pull_rate_limited_total). A request is counted just
    // after its answer has left, so the last one may still be on its way into the counters.
    Await.until(
        "every request counted", WAIT, () -> sidecar.metrics().pullRequests.getCount() == 7);
    assertEquals(limited, sidecar.metrics().pullRateLimited.getCount());
    assertEquals(0, sidecar.metrics().pullUnauthorized.getCount());
  }

  @Test
  void shouldAllowOnlyListedBrowserOrigins() {
    int port = startPull(Map.of("WEBHOOK_PULL_CORS_ORIGINS", "https://app.example.com"));
    PullApi api = new PullApi(port, token("web", "res.partner"));
    PullApi.Answer preflight =
        api.options(
            "/v1/devices/d/pull",
            Map.of(
                "Origin",
                "https://app.example.com",
                "Access-Control-Request-Method",
                "POST",
                "Access-Control-Request-Headers",
                "authorization,content-type"));
    assertEquals(204, preflight.status(), preflight.toString());
    assertEquals("https://app.example.com", preflight.header("Access-Control-Allow-Origin"));
    assertTrue(preflight.header("Access-Control-Allow-Headers").contains("Authorization"));
    assertTrue(preflight.header("Access-Control-Allow-Methods").contains("POST"));

    PullApi.Answer foreign =
        api.options(
            "/v1/events",
            Map.of("Origin", "https://evil.example.com", "Access-Control-Request-Method", "GET"));
    assertEquals(403, foreign.status());
    assertNull(foreign.header("Access-Control-Allow-Origin"));

    PullApi.Answer get = api.get("/v1/events", Map.of("Origin", "https://app.example.com"));
    assertEquals(200, get.status());
    assertEquals("https://app.example.com", get.header("Access-Control-Allow-Origin"));
    assertFalse(
        api.get("/v1/events", Map.of("Origin", "https://evil.example.com"))
            .raw()
            .headers()
            .firstValue("Access-Control-Allow-Origin")
            .isPresent());
  }
}
