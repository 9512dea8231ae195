// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import com.codahale.metrics.Timer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.odoowebhook.sidecar.admin.GuardedHttpServer;
import dev.odoowebhook.sidecar.admin.JsonErrorHandler;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.metrics.SidecarMetrics;
import dev.odoowebhook.sidecar.persistence.Database;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull API for apps on WEBHOOK_PULL_PORT (off by default), described in
 * api/pull-api.openapi.yaml. Every request but a CORS preflight needs a bearer token (401 with one
 * generic answer otherwise), is rate-limited per token (429 with Retry-After) and answers JSON.
 * Routes:
 *
 * <pre>
 * GET  /v1/events                    events with filters, paged by seq
 * GET  /v1/updates?since=TIME        anything changed since, count per model, last change
 * POST /v1/devices/{id}/pull         net change per record since the device's cursor
 * POST /v1/devices/{id}/ack          moves the cursor to a next_cursor of a pull
 * GET  /v1/devices/{id}              the device's state
 * POST /v1/devices/{id}/reset        cursor to now, after the app reloaded from Odoo
 * </pre>
 *
 * Served by a {@link GuardedHttpServer}: idle and slow clients cost no thread, headers and bodies
 * must arrive within {@link #REQUEST_ARRIVAL}, bodies are at most {@link #MAX_BODY} bytes. An
 * address whose requests fail to authenticate too often is answered 429 without a database query
 * ({@link FailedAuthLimits}). Errors are JSON {@code {"error", "message"}}; a handler's failure is
 * logged and answered 500, never lost.
 */
public final class PullServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PullServer.class);
  static final int MAX_BODY = 64 * 1024;
  private static final int THREADS = 8;

  /** How long a request's headers, and then its body, may take to arrive. */
  static final Duration REQUEST_ARRIVAL = Duration.ofSeconds(10);

  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
  private static final String UNAUTHORIZED =
      "Send a valid API token: Authorization: Bearer whpt_... (see `token create`).";

  /** A token's length: anything else is refused without a database query. */
  private static final int TOKEN_LENGTH = ApiTokens.newToken().length();

  /** Times the API answers: inside PostgreSQL's timestamp range, far beyond any real clock. */
  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");

  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  private final GuardedHttpServer server;
  private final Database db;
  private final ObjectMapper json = new ObjectMapper();
  private final CorsPolicy cors;
  private final TokenRateLimits limits;
  private final FailedAuthLimits failedAuth;
  private final DeviceSync devices;
  private final EventQueries events;
  private final SidecarMetrics metrics;

  PullServer(
      String host,
      int port,
      Database db,
      CorsPolicy cors,
      int ratePerSecond,
      FailedAuthLimits failedAuth,
      SidecarMetrics metrics)
      throws IOException {
    this.db = db;
    this.metrics = metrics;
    this.cors = cors;
    this.limits = new TokenRateLimits(ratePerSecond);
    this.failedAuth = failedAuth;
    this.devices = new DeviceSync(db, json);
    this.events = new EventQueries(db, json);
    this.server =
        GuardedHttpServer.start(
            host,
            port,
            new GuardedHttpServer.Limits(
                "webhook-pull-http", THREADS, IDLE_TIMEOUT, REQUEST_ARRIVAL),
            new Handler.Abstract() {
              @Override
              public boolean handle(Request request, Response response, Callback callback) {
                PullServer.this.handle(new Exchange(request, response, callback));
                return true;
              }
            });
    log.info(
        "Pull API on http://{}:{}/v1/ (rate limit {}/s per token)", host, port(), ratePerSecond);
  }

  /**
   * Starts the server of WEBHOOK_PULL_PORT, WEBHOOK_PULL_HOST, WEBHOOK_PULL_RATE_LIMIT and
   * WEBHOOK_PULL_CORS_ORIGINS on the sidecar's pool.
   *
   * @throws IOException when the port cannot be bound
   */
  public static PullServer start(SidecarConfig config, Database db, SidecarMetrics metrics)
      throws IOException {
    CorsPolicy cors = new CorsPolicy(config.text(Setting.PULL_CORS_ORIGINS));
    return new PullServer(
        config.text(Setting.PULL_HOST),
        config.integer(Setting.PULL_PORT),
        db,
        cors,
        config.integer(Setting.PULL_RATE_LIMIT),
        new FailedAuthLimits(),
        metrics);
  }

  public int port() {
    return server.port();
  }

  /** One request and its answer. */
  private record Exchange(Request request, Response response, Callback callback) {
    String method() {
      return request.getMethod();
    }

    String path() {
      return request.getHttpURI().getPath();
    }

    String header(String name) {
      return request.getHeaders().get(name);
    }

    void setHeader(String name, String value) {
      response.getHeaders().put(name, value);
    }
  }

  private void handle(Exchange exchange) {
    Timer.Context timing = metrics.pullRequests.time();
    try {
      handleTimed(exchange);
    } finally {
      timing.stop();
    }
    int status = exchange.response().getStatus();
    switch (status) {
      case 401 -> metrics.pullUnauthorized.inc();
      default -> {
        if (status >= 500) {
          metrics.pullFailed.inc();
        }
      }
    }
  }

  private void handleTimed(Exchange exchange) {
    try {
      try {
        respond(exchange);
      } catch (ApiError e) {
        error(exchange, e.status, e.code, e.getMessage());
      } catch (GuardedHttpServer.BodyRefused e) {
        if (e.status == 408) {
          exchange.setHeader("Connection", "close");
        }
        error(exchange, e.status, JsonErrorHandler.code(e.status), e.getMessage());
      } catch (SQLException e) {
        // The message may quote values; the path and SQL state are enough to find it.
        log.warn(
            "Pull API {} {} failed in the database: SQLState {}: {}",
            exchange.method(),
            exchange.path(),
            e.getSQLState(),
            e.getMessage());
        boolean down = e.getSQLState() != null && e.getSQLState().startsWith("08");
        if (down) {
          exchange.setHeader("Retry-After", "5");
        }
        error(
            exchange,
            down ? 503 : 500,
            down ? "database_unavailable" : "internal",
            down
                ? "The database is not reachable; retry shortly."
                : "Internal error; the sidecar's log says more.");
      }
    } catch (Throwable t) {
      log.error("Pull API {} {} failed.", exchange.method(), exchange.path(), t);
      if (exchange.response().isCommitted()) {
        exchange.callback().failed(t);
        return;
      }
      try {
        error(exchange, 500, "internal", "Internal error; the sidecar's log says more.");
      } catch (IOException | RuntimeException ignored) {
        exchange.callback().failed(t); // the answer could not even be written
      }
    }
  }

  private void respond(Exchange exchange) throws IOException, SQLException {
    String origin = exchange.header("Origin");
    boolean corsAllowed = cors.allows(origin);
    if (corsAllowed) {
      exchange.setHeader("Access-Control-Allow-Origin", origin);
      exchange.setHeader("Access-Control-Expose-Headers", "Retry-After");
      exchange.response().getHeaders().add("Vary", "Origin");
    }
    if (exchange.method().equals("OPTIONS")) {
      preflight(exchange, origin, corsAllowed);
      return;
    }
    String address = Request.getRemoteAddr(exchange.request());
    long throttled = failedAuth.retryAfterSeconds(address);
    if (throttled > 0) {
      metrics.pullAuthThrottled.inc();
      exchange.setHeader("Retry-After", Long.toString(throttled));
      error(
          exchange,
          429,
          "too_many_failed_authentications",
          "Too many requests from this address"
              + " had no valid token; retry after the Retry-After seconds with a valid token.");
      return;
    }
    ApiToken token = authenticate(exchange);
    if (token == null) {
      failedAuth.failed(address);
      exchange.setHeader("WWW-Authenticate", "Bearer realm=\"odoo-webhook-sidecar\"");
      error(exchange, 401, "unauthorized", UNAUTHORIZED);
      return;
    }
    if (!limits.tryAcquire(token.id())) {
      exchange.setHeader("Retry-After", Long.toString(TokenRateLimits.PERIOD.toSeconds()));
      metrics.pullRateLimited.inc();
      error(
          exchange,
          429,
          "rate_limited",
          "More than "
              + limits.perSecond()
              + " requests per second with this token; retry after the Retry-After seconds.");
      return;
    }
    ObjectNode body = route(exchange, token);
    flushRouting();
    send(exchange, 200, body);
  }

  /**
   * Waits until the routings this answer may show are on disk (sql/R__webhook_route.sql,
   * webhook_flush_routing): the router commits without waiting for that, and a client moves its
   * cursor past what it was shown.
   */
  private void flushRouting() throws SQLException {
    try (Connection c = db.connection();
        var st = c.createStatement()) {
      st.execute("SELECT webhook_flush_routing()");
    }
  }

  private void preflight(Exchange exchange, String origin, boolean allowed) throws IOException {
    if (origin == null || !allowed) {
      error(
          exchange,
          403,
          "cors_origin_not_allowed",
          "This origin may not call the pull API; add it to WEBHOOK_PULL_CORS_ORIGINS.");
      return;
    }
    exchange.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    exchange.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type");
    exchange.setHeader("Access-Control-Max-Age", "600");
    exchange.response().setStatus(204);
    exchange.response().write(true, null, exchange.callback());
  }

  /** The token of the request, or null; the database is asked only about well-formed tokens. */
  private ApiToken authenticate(Exchange exchange) throws SQLException {
    String header = exchange.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String presented = header.substring(7).trim();
    if (presented.length() != TOKEN_LENGTH || !presented.startsWith(ApiTokens.PREFIX)) {
      return null;
    }
    try (Connection c = db.connection()) {
      Optional<ApiToken> token = ApiTokens.authenticate(c, presented);
      return token.orElse(null);
    }
  }

  private ObjectNode route(Exchange exchange, ApiToken token) throws IOException, SQLException {
    String method = exchange.method();
    String[] parts = exchange.path().split("/");
    // "/v1/devices/abc/pull" splits into "", "v1", "devices", "abc", "pull".
    if (parts.length < 3 || !parts[1].equals("v1")) {
      throw new ApiError(404, "not_found", "No such endpoint; see api/pull-api.openapi.yaml.");
    }
    Map<String, String> query = query(exchange);
    if (parts.length == 3 && parts[2].equals("events")) {
      allow(exchange, "GET");
      return events.list(token, filter(query));
    }
    if (parts.length == 3 && parts[2].equals("updates")) {
      allow(exchange, "GET");
      String since = query.get("since");
      if (since == null) {
        throw ApiError.badRequest("Give \"since\", a time such as 2026-11-22T10:00:00Z.");
      }
      return events.updates(
          token, time(since, "since"), query.get("profile"), csv(query.get("models")));
    }
    if (parts.length >= 4 && parts.length <= 5 && parts[2].equals("devices")) {
      String device = DeviceSync.checkDeviceId(decode(parts[3], "the device id in the path"));
      if (parts.length == 4) {
        allow(exchange, "GET");
        return devices.state(token, device);
      }
      if (!Set.of("pull", "ack", "reset").contains(parts[4])) {
        throw new ApiError(404, "not_found", "No such endpoint; see api/pull-api.openapi.yaml.");
      }
      allow(exchange, "POST");
      JsonNode body = body(exchange);
      switch (parts[4]) {
        case "pull":
          return devices.pull(
              token,
              device,
              text(body, "profile"),
              strings(body, "models"),
              limit(body.path("limit"), DeviceSync.DEFAULT_LIMIT, DeviceSync.MAX_LIMIT));
        case "ack":
          if (!body.path("cursor").canConvertToLong() || !body.path("cursor").isIntegralNumber()) {
            throw ApiError.badRequest("Give \"cursor\": the next_cursor of a pull, as a number.");
          }
          return devices.acknowledge(token, device, body.path("cursor").asLong());
        default:
          return devices.reset(token, device, text(body, "profile"), strings(body, "models"));
      }
    }
    throw new ApiError(404, "not_found", "No such endpoint; see api/pull-api.openapi.yaml.");
  }

  private static void allow(Exchange exchange, String allowed) {
    if (!exchange.method().equals(allowed)) {
      exchange.setHeader("Allow", allowed + ", OPTIONS");
      throw new ApiError(405, "method_not_allowed", "Use " + allowed + " here.");
    }
  }

  private static EventQueries.Filter filter(Map<String, String> q) {
    for (String name : q.keySet()) {
      if (!Set.of("model", "record_id", "event", "since", "after", "limit").contains(name)) {
        throw ApiError.badRequest(
            "Unknown parameter \""
                + name
                + "\"; filters: model, record_id, event, since, after, limit.");
      }
    }
    String model = q.get("model");
    if (model != null && ModelPatterns.problemWith(model) != null) {
      throw ApiError.badRequest(ModelPatterns.problemWith(model) + ".");
    }
    String event = q.get("event");
    if (event != null && !Set.of("create", "write", "unlink").contains(event)) {
      throw ApiError.badRequest("\"event\" is create, write or unlink.");
    }
    Long recordId = q.get("record_id") == null ? null : number(q.get("record_id"), "record_id");
    long after = q.get("after") == null ? 0 : number(q.get("after"), "after");
    Instant since = q.get("since") == null ? null : time(q.get("since"), "since");
    int limit =
        q.get("limit") == null
            ? EventQueries.DEFAULT_LIMIT
            : (int) Math.min(Integer.MAX_VALUE, number(q.get("limit"), "limit"));
    if (limit < 1 || limit > EventQueries.MAX_LIMIT) {
      throw ApiError.badRequest("\"limit\" is 1 to " + EventQueries.MAX_LIMIT + ".");
    }
    return new EventQueries.Filter(model, recordId, event, since, after, limit);
  }

  private static long number(String text, String name) {
    try {
      long n = Long.parseLong(text.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiError.badRequest(
        "\"" + name + "\" takes a whole number (0 or more), not \"" + text + "\".");
  }

  private static Instant time(String text, String name) {
    Instant t;
    try {
      t = OffsetDateTime.parse(text.trim()).toInstant();
    } catch (DateTimeParseException | ArithmeticException e) {
      throw ApiError.badRequest(
          "\"" + name + "\" takes a time such as 2026-11-22T10:00:00Z, not \"" + text + "\".");
    }
    // PostgreSQL's timestamps end in year 294276; years past 9999 are a client's mistake.
    if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
      throw ApiError.badRequest(
          "\"" + name + "\" is a time between years 1 and 9999, not \"" + text + "\".");
    }
    return t;
  }

  private static int limit(JsonNode node, int dflt, int max) {
    if (node.isMissingNode() || node.isNull()) {
      return dflt;
    }
    if (!node.isIntegralNumber() || node.asLong() < 1 || node.asLong() > max) {
      throw ApiError.badRequest("\"limit\" is a number from 1 to " + max + ".");
    }
    return node.asInt();
  }

  private static String text(JsonNode body, String name) {
    JsonNode n = body.path(name);
    if (n.isMissingNode() || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw ApiError.badRequest("\"" + name + "\" is a string.");
    }
    return n.asText();
  }

  private static List<String> strings(JsonNode body, String name) {
    JsonNode n = body.path(name);
    if (n.isMissingNode() || n.isNull()) {
      return null;
    }
    if (!n.isArray()) {
      throw ApiError.badRequest(
          "\"" + name + "\" is a list of strings, e.g. [\"res.partner\", \"product.*\"].");
    }
    List<String> list = new ArrayList<>();
    for (JsonNode item : n) {
      if (!item.isTextual()) {
        throw ApiError.badRequest(
            "\"" + name + "\" is a list of strings, e.g. [\"res.partner\", \"product.*\"].");
      }
      list.add(item.asText());
    }
    return list;
  }

  private static List<String> csv(String text) {
    if (text == null) {
      return null;
    }
    List<String> list = new ArrayList<>();
    for (String s : text.split(",")) {
      if (!s.isBlank()) {
        list.add(s.trim());
      }
    }
    return list;
  }

  private JsonNode body(Exchange exchange) throws IOException {
    byte[] bytes = GuardedHttpServer.readBody(exchange.request(), MAX_BODY, REQUEST_ARRIVAL);
    if (bytes.length == 0) {
      return json.createObjectNode();
    }
    try {
      JsonNode node = json.readTree(bytes);
      if (node == null || !node.isObject()) {
        throw ApiError.badRequest("The body is a JSON object.");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("The body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static Map<String, String> query(Exchange exchange) {
    Map<String, String> q = new HashMap<>();
    String raw = exchange.request().getHttpURI().getQuery();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq), "a parameter name");
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1), "parameter \"" + name + "\"");
      if (q.put(name, value) != null) {
        throw ApiError.badRequest("Parameter \"" + name + "\" was given more than once.");
      }
    }
    return q;
  }

  /** Percent-decodes a part of the URL; a bad escape is the client's error, naming the part. */
  private static String decode(String raw, String what) {
    try {
      return URLDecoder.decode(raw, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(
          "Bad percent-escape in "
              + what
              + ": \""
              + raw
              + "\"; escape % as %25 and other characters as %XX in UTF-8.");
    }
  }

  private void error(Exchange exchange, int status, String code, String message)
      throws IOException {
    ObjectNode body = json.createObjectNode();
    body.put("error", code);
    body.put("message", message);
    send(exchange, status, body);
  }

  private void send(Exchange exchange, int status, ObjectNode body) throws IOException {
    byte[] bytes = json.writeValueAsBytes(body);
    exchange.setHeader("Cache-Control", "no-store");
    GuardedHttpServer.send(
        exchange.response(), exchange.callback(), status, "application/json", bytes);
  }

  @Override
  public void close() {
    server.close();
  }
}
