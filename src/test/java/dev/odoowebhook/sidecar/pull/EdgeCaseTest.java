// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.odoowebhook.sidecar.admin.RawHttp;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Requests a careless or hostile client sends: times out of range, bad percent-escapes, invalid
 * cursors and limits, unknown paths, wrong methods, oversized or malformed bodies. Each is a JSON
 * 4xx whose message names what to fix: never a 500, never an HTML page.
 */
class EdgeCaseTest extends PullTestBase {
  int port;
  String token;

  @BeforeEach
  void startServer() {
    port = startPull(Map.of());
    token = token("edge", "*");
  }

  RawHttp.Answer send(String method, String target, String body) throws Exception {
    String request =
        method
            + " "
            + target
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + token
            + "\r\nConnection: close\r\n";
    if (body != null) {
      request +=
          "Content-Type: application/json\r\nContent-Length: "
              + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
              + "\r\n\r\n"
              + body;
    } else {
      request += "\r\n";
    }
    return RawHttp.exchange(port, request);
  }

  /** Asserts a JSON error of that status whose message mentions every given word. */
  static JsonNode assertJsonError(int status, RawHttp.Answer a, String... words) throws Exception {
    assertEquals(status, a.status(), a.toString());
    assertTrue(
        a.headers().getOrDefault("content-type", "").startsWith("application/json"), a.toString());
    JsonNode body = PullApi.JSON.readTree(a.body());
    assertTrue(body.path("error").isTextual() && body.path("message").isTextual(), a.toString());
    for (String w : words) {
      assertTrue(body.path("message").asText().contains(w), "message names " + w + ": " + a);
    }
    return body;
  }

  @Test
  void shouldRefuseTimesOutOfRangeNamingTheParameter() throws Exception {
    for (String since :
        new String[] {
          "%2B999999999-12-31T23:59:59Z",
          "%2B275760-01-01T00:00:00Z",
          "-999999999-01-01T00:00:00Z",
          "2026-13-40T99:00:00Z",
          "yesterday"
        }) {
      assertJsonError(400, send("GET", "/v1/updates?since=" + since, null), "\"since\"");
      assertJsonError(400, send("GET", "/v1/events?since=" + since, null), "\"since\"");
    }
    assertEquals(
        200,
        send("GET", "/v1/updates?since=9999-12-31T00:00:00Z", null).status(),
        "a far but valid time");
  }

  @Test
  void shouldRefuseBadPercentEscapesAsJson() throws Exception {
    assertJsonError(400, send("GET", "/v1/updates?since=%zz", null), "\"since\"");
    assertJsonError(400, send("GET", "/v1/events?model=res.partner%", null), "\"model\"");
    assertJsonError(400, send("GET", "/v1/events?li%zzmit=3", null), "parameter name");
    // In the path: refused by the server before routing, still JSON.
    assertJsonError(400, send("GET", "/v1/devices/%zz", null));
    assertJsonError(400, send("POST", "/v1/devices/a%2Fb/pull", "{}"));
  }

  @Test
  void shouldRefuseInvalidCursorsAndLimitsNamingThem() throws Exception {
    for (String cursor :
        new String[] {"\"12\"", "-1", "1.5", "99999999999999999999", "null", "[1]"}) {
      assertJsonError(
          400, send("POST", "/v1/devices/d1/ack", "{\"cursor\": " + cursor + "}"), "\"cursor\"");
    }
    for (String limit :
        new String[] {"\"10\"", "0", "-3", "1.5", "100000", "99999999999999999999"}) {
      assertJsonError(
          400, send("POST", "/v1/devices/d1/pull", "{\"limit\": " + limit + "}"), "\"limit\"");
    }
    for (String limit : new String[] {"abc", "0", "-1", "1001", "99999999999999999999", ""}) {
      assertJsonError(400, send("GET", "/v1/events?limit=" + limit, null), "\"limit\"");
    }
    assertJsonError(400, send("GET", "/v1/events?after=x", null), "\"after\"");
    assertJsonError(400, send("GET", "/v1/events?record_id=-2", null), "\"record_id\"");
    assertJsonError(400, send("GET", "/v1/events?limit=1&limit=2", null), "\"limit\"");
    assertJsonError(400, send("GET", "/v1/events?colour=red", null), "\"colour\"");
  }

  @Test
  void shouldAnswerUnknownPathsWith404Json() throws Exception {
    for (String path :
        new String[] {
          "/",
          "/nope",
          "/v1",
          "/v1/nope",
          "/v2/events",
          "/v1/devices/d1/nope",
          "/v1/devices/d1/pull/extra",
          "/v1/events/1"
        }) {
      assertJsonError(404, send("GET", path, null));
    }
  }

  @Test
  void shouldAnswerWrongMethodsWith405JsonAndAllow() throws Exception {
    record Wrong(String method, String path, String allowed) {}
    for (Wrong w :
        new Wrong[] {
          new Wrong("DELETE", "/v1/events", "GET"),
          new Wrong("POST", "/v1/updates?since=2026-01-01T00:00:00Z", "GET"),
          new Wrong("PUT", "/v1/devices/d1/pull", "POST"),
          new Wrong("GET", "/v1/devices/d1/ack", "POST"),
          new Wrong("PATCH", "/v1/devices/d1", "GET")
        }) {
      RawHttp.Answer a =
          send(
              w.method(),
              w.path(),
              w.method().equals("GET") || w.method().equals("DELETE") ? null : "{}");
      assertJsonError(405, a, w.allowed());
      assertTrue(
          a.headers().getOrDefault("allow", "").contains(w.allowed()), a.headers().toString());
    }
  }

  @Test
  void shouldRefuseOversizedAndMalformedBodiesAsJson() throws Exception {
    String big = "{\"profile\": \"" + "x".repeat(70 * 1024) + "\"}";
    assertJsonError(413, send("POST", "/v1/devices/d1/pull", big));
    assertJsonError(400, send("POST", "/v1/devices/d1/pull", "{not json"), "JSON");
    assertJsonError(400, send("POST", "/v1/devices/d1/pull", "[1, 2]"), "JSON object");
    // A request line no server could parse.
    RawHttp.Answer garbage =
        RawHttp.exchange(port, "GET /v1/events HTTP/1.1 extra\r\nHost: x\r\n\r\n");
    assertEquals(400, garbage.status(), garbage.toString());
    assertTrue(
        garbage.headers().getOrDefault("content-type", "").startsWith("application/json"),
        garbage.toString());
  }
}
