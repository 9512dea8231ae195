package dev.odoowebhook.sidecar.pull;

import com.codahale.metrics.Timer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.odoowebhook.sidecar.metrics.SidecarMetrics;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.persistence.Database;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull API for apps on WEBHOOK_PULL_PORT (off by default), described in
 * api/pull-api.openapi.yaml. Every request but a CORS preflight needs a bearer token
 * (401 with one generic answer otherwise), is rate-limited per token (429 with Retry-After)
 * and answers JSON. Routes:
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
 * JDK server like the admin one; a handler's failure is logged and answered 500, never lost.
 */
public final class PullServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PullServer.class);
  private static final int MAX_BODY = 64 * 1024;
  private static final int THREADS = 8;
  private static final String UNAUTHORIZED =
      "Send a valid API token: Authorization: Bearer whpt_... (see `token create`).";

  private final HttpServer server;
  private final ExecutorService executor;
  private final Database db;
  private final ObjectMapper json = new ObjectMapper();
  private final CorsPolicy cors;
  private final TokenRateLimits limits;
  private final DeviceSync devices;
  private final EventQueries events;
  private final SidecarMetrics metrics;

  private PullServer(String host, int port, Database db, CorsPolicy cors, int ratePerSecond,
      SidecarMetrics metrics) throws IOException {
    // Without it the JDK server answers keep-alive requests at about 23 per second.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    this.db = db;
    this.metrics = metrics;
    this.cors = cors;
    this.limits = new TokenRateLimits(ratePerSecond);
    this.devices = new DeviceSync(db, json);
    this.events = new EventQueries(db, json);
    this.server = HttpServer.create(new InetSocketAddress(host, port), 64);
    this.executor = Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "webhook-pull-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    log.info("Pull API on http://{}:{}/v1/ (rate limit {}/s per token)", host, port(), ratePerSecond);
  }

  /**
   * Starts the server of WEBHOOK_PULL_PORT, WEBHOOK_PULL_HOST, WEBHOOK_PULL_RATE_LIMIT and
   * WEBHOOK_PULL_CORS_ORIGINS on the sidecar's pool.
   *
   * @throws IOException when the port cannot be bound
   */
  public static PullServer start(SidecarConfig config, Database db, SidecarMetrics metrics) throws IOException {
    CorsPolicy cors = new CorsPolicy(config.text(Setting.PULL_CORS_ORIGINS));
    return new PullServer(config.text(Setting.PULL_HOST), config.integer(Setting.PULL_PORT), db, cors,
        config.integer(Setting.PULL_RATE_LIMIT), metrics);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) {
    Timer.Context timing = metrics.pullRequests.time();
    try {
      handleTimed(exchange);
    } finally {
      timing.stop();
    }
    switch (exchange.getResponseCode()) {
      case 401 -> metrics.pullUnauthorized.inc();
      case 429 -> metrics.pullRateLimited.inc();
      default -> {
        if (exchange.getResponseCode() >= 500) {
          metrics.pullFailed.inc();
        }
      }
    }
  }

  private void handleTimed(HttpExchange exchange) {
    try (exchange) {
      try {
        respond(exchange);
      } catch (ApiError e) {
        error(exchange, e.status, e.code, e.getMessage());
      } catch (SQLException e) {
        // The message may quote values; the path and SQL state are enough to find it.
        log.warn("Pull API {} {} failed in the database: SQLState {}: {}", exchange.getRequestMethod(),
            exchange.getRequestURI().getPath(), e.getSQLState(), e.getMessage());
        boolean down = e.getSQLState() != null && e.getSQLState().startsWith("08");
        if (down) {
          exchange.getResponseHeaders().set("Retry-After", "5");
        }
        error(exchange, down ? 503 : 500, down ? "database_unavailable" : "internal",
            down ? "The database is not reachable; retry shortly." : "Internal error; the sidecar's log says more.");
      }
    } catch (Throwable t) {
      log.error("Pull API {} {} failed: {}", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), t.toString(), t);
      try {
        error(exchange, 500, "internal", "Internal error; the sidecar's log says more.");
      } catch (IOException | RuntimeException ignored) {
        // the client is gone, or the answer had started
      }
    }
  }

  private void respond(HttpExchange exchange) throws IOException, SQLException {
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    boolean corsAllowed = cors.allows(origin);
    Headers out = exchange.getResponseHeaders();
    if (corsAllowed) {
      out.set("Access-Control-Allow-Origin", origin);
      out.set("Access-Control-Expose-Headers", "Retry-After");
      out.add("Vary", "Origin");
    }
    if (exchange.getRequestMethod().equals("OPTIONS")) {
      preflight(exchange, origin, corsAllowed);
      return;
    }
    ApiToken token = authenticate(exchange);
    if (token == null) {
      out.set("WWW-Authenticate", "Bearer realm=\"odoo-webhook-sidecar\"");
      error(exchange, 401, "unauthorized", UNAUTHORIZED);
      return;
    }
    if (!limits.tryAcquire(token.id())) {
      out.set("Retry-After", Long.toString(TokenRateLimits.PERIOD.toSeconds()));
      error(exchange, 429, "rate_limited", "More than " + limits.perSecond()
          + " requests per second with this token; retry after the Retry-After seconds.");
      return;
    }
    send(exchange, 200, route(exchange, token));
  }

  private void preflight(HttpExchange exchange, String origin, boolean allowed) throws IOException {
    if (origin == null || !allowed) {
      error(exchange, 403, "cors_origin_not_allowed",
          "This origin may not call the pull API; add it to WEBHOOK_PULL_CORS_ORIGINS.");
      return;
    }
    Headers out = exchange.getResponseHeaders();
    out.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    out.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
    out.set("Access-Control-Max-Age", "600");
    exchange.sendResponseHeaders(204, -1);
  }

  private ApiToken authenticate(HttpExchange exchange) throws SQLException {
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    try (Connection c = db.connection()) {
      Optional<ApiToken> token = ApiTokens.authenticate(c, header.substring(7).trim());
      return token.orElse(null);
    }
  }

  private ObjectNode route(HttpExchange exchange, ApiToken token) throws IOException, SQLException {
    String method = exchange.getRequestMethod();
    String[] parts = exchange.getRequestURI().getPath().split("/");
    // "/v1/devices/abc/pull" splits into "", "v1", "devices", "abc", "pull".
    if (parts.length < 3 || !parts[1].equals("v1")) {
      throw new ApiError(404, "not_found", "No such endpoint; see api/pull-api.openapi.yaml.");
    }
    Map<String, String> query = query(exchange);
    if (parts.length == 3 && parts[2].equals("events")) {
      allow(method, "GET");
      return events.list(token, filter(query));
    }
    if (parts.length == 3 && parts[2].equals("updates")) {
      allow(method, "GET");
      String since = query.get("since");
      if (since == null) {
        throw ApiError.badRequest("Give \"since\", a time such as 2026-11-22T10:00:00Z.");
      }
      return events.updates(token, time(since, "since"), query.get("profile"), csv(query.get("models")));
    }
    if (parts.length >= 4 && parts.length <= 5 && parts[2].equals("devices")) {
      String device = DeviceSync.checkDeviceId(URLDecoder.decode(parts[3], StandardCharsets.UTF_8));
      if (parts.length == 4) {
        allow(method, "GET");
        return devices.state(token, device);
      }
      allow(method, "POST");
      JsonNode body = body(exchange);
      switch (parts[4]) {
        case "pull":
          return devices.pull(token, device, text(body, "profile"), strings(body, "models"),
              limit(body.path("limit"), DeviceSync.DEFAULT_LIMIT, DeviceSync.MAX_LIMIT));
        case "ack":
          if (!body.path("cursor").canConvertToLong() || !body.path("cursor").isIntegralNumber()) {
            throw ApiError.badRequest("Give \"cursor\": the next_cursor of a pull, as a number.");
          }
          return devices.acknowledge(token, device, body.path("cursor").asLong());
        case "reset":
          return devices.reset(token, device, text(body, "profile"), strings(body, "models"));
        default:
          break;
      }
    }
    throw new ApiError(404, "not_found", "No such endpoint; see api/pull-api.openapi.yaml.");
  }

  private static void allow(String method, String allowed) {
    if (!method.equals(allowed)) {
      throw new ApiError(405, "method_not_allowed", "Use " + allowed + " here.");
    }
  }

  private static EventQueries.Filter filter(Map<String, String> q) {
    for (String name : q.keySet()) {
      if (!Set.of("model", "record_id", "event", "since", "after", "limit").contains(name)) {
        throw ApiError.badRequest("Unknown parameter \"" + name + "\"; filters: model, record_id, event, since, after, limit.");
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
    int limit = q.get("limit") == null ? EventQueries.DEFAULT_LIMIT
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
    throw ApiError.badRequest("\"" + name + "\" takes a whole number (0 or more), not \"" + text + "\".");
  }

  private static Instant time(String text, String name) {
    try {
      return OffsetDateTime.parse(text.trim()).toInstant();
    } catch (DateTimeParseException e) {
      throw ApiError.badRequest("\"" + name + "\" takes a time such as 2026-11-22T10:00:00Z, not \"" + text + "\".");
    }
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
      throw ApiError.badRequest("\"" + name + "\" is a list of strings, e.g. [\"res.partner\", \"product.*\"].");
    }
    List<String> list = new ArrayList<>();
    for (JsonNode item : n) {
      if (!item.isTextual()) {
        throw ApiError.badRequest("\"" + name + "\" is a list of strings, e.g. [\"res.partner\", \"product.*\"].");
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

  private JsonNode body(HttpExchange exchange) throws IOException {
    byte[] bytes;
    try (InputStream in = exchange.getRequestBody()) {
      bytes = in.readNBytes(MAX_BODY + 1);
    }
    if (bytes.length > MAX_BODY) {
      throw new ApiError(413, "body_too_large", "Request bodies are at most " + MAX_BODY + " bytes.");
    }
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

  private static Map<String, String> query(HttpExchange exchange) {
    Map<String, String> q = new HashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (q.put(name, value) != null) {
        throw ApiError.badRequest("Parameter \"" + name + "\" was given more than once.");
      }
    }
    return q;
  }

  private void error(HttpExchange exchange, int status, String code, String message) throws IOException {
    ObjectNode body = json.createObjectNode();
    body.put("error", code);
    body.put("message", message);
    send(exchange, status, body);
  }

  private void send(HttpExchange exchange, int status, ObjectNode body) throws IOException {
    byte[] bytes = json.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = exchange.getResponseBody()) {
      os.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
