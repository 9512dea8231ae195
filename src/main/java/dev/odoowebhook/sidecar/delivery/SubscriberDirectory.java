// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.failsafe.Bulkhead;
import dev.failsafe.CircuitBreaker;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import dev.failsafe.Policy;
import dev.failsafe.RateLimiter;
import dev.odoowebhook.sidecar.persistence.Database;
import java.io.IOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subscribers, re-read from the database at most every few seconds (so the addon's edits take
 * effect without a restart), each with its Failsafe policies: a circuit breaker so an endpoint that
 * keeps failing is left alone for a while, a bulkhead bounding its concurrent requests, and an
 * optional rate limiter. Policies survive a re-read unless their settings changed, so a breaker
 * keeps its state. It also says how many more requests each subscriber may take ({@link
 * #freeSlots}): never more than its fair share of the workers. Thread-safe.
 */
public final class SubscriberDirectory {
  private static final Logger log = LoggerFactory.getLogger(SubscriberDirectory.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration MAX_AGE = Duration.ofSeconds(2);

  /** A call waits this long at most for a bulkhead or rate-limit permit before giving back. */
  private static final Duration PERMIT_WAIT = Duration.ofMillis(500);

  /** A subscriber with the policies that guard calls to it. */
  public record Entry(
      Subscriber subscriber,
      CircuitBreaker<AttemptResult> breaker,
      FailsafeExecutor<AttemptResult> executor) {}

  private final Database db;
  private final int breakerFailures;
  private final Duration breakerDelay;
  private volatile Map<Long, Entry> entries = Map.of();
  private volatile Instant loadedAt = Instant.EPOCH;

  public SubscriberDirectory(Database db, int breakerFailures, Duration breakerDelay) {
    this.db = db;
    this.breakerFailures = breakerFailures;
    this.breakerDelay = breakerDelay;
  }

  /** The subscriber, or null if it was deleted. */
  public Entry get(long id) throws SQLException {
    Entry e = fresh().get(id);
    if (e == null) {
      e = reload().get(id);
    }
    return e;
  }

  /**
   * How many more requests each subscriber may take now: the smaller of its max_concurrency and its
   * fair share of the workers ({@link #fairShare}), less what this sidecar has in flight for it.
   * Inactive and paused subscribers, and those whose breaker is open and still waiting out its
   * delay, take none. (Once the delay is over they must be offered work again: Failsafe moves an
   * open breaker to half-open only when a call asks it for a permit.)
   *
   * @param workers the sidecar's workers, all subscribers together
   */
  public Map<Long, Integer> freeSlots(Map<Long, Integer> inFlight, int workers)
      throws SQLException {
    Map<Long, Entry> now = fresh();
    int share =
        fairShare(
            workers, (int) now.values().stream().filter(e -> e.subscriber().active()).count());
    Map<Long, Integer> free = new HashMap<>();
    for (Entry e : now.values()) {
      Subscriber s = e.subscriber();
      CircuitBreaker<AttemptResult> b = e.breaker();
      if (!s.active() || s.paused() || (b.isOpen() && !b.getRemainingDelay().isZero())) {
        continue;
      }
      int slots = Math.min(s.maxConcurrency(), share) - inFlight.getOrDefault(s.id(), 0);
      if (slots > 0) {
        free.put(s.id(), slots);
      }
    }
    return free;
  }

  /**
   * The most requests one subscriber may have in flight from this sidecar: the workers divided by
   * the active subscribers (paused ones included: they may resume at any time), at least one.
   * Whatever the others do, each subscriber then finds its share of the workers free, so a
   * subscriber whose endpoint hangs until its longest timeout holds at most its share, and the
   * others' deliveries keep flowing. With the defaults (32 workers, max_concurrency 4) the share
   * limits nobody up to 8 active subscribers; with more, raise WEBHOOK_WORKERS for throughput.
   */
  static int fairShare(int workers, int activeSubscribers) {
    return Math.max(1, workers / Math.max(1, activeSubscribers));
  }

  /** Per subscriber name, whether its circuit breaker is open or half-open: for metrics. */
  public Map<String, Boolean> openBreakers() {
    Map<String, Boolean> open = new HashMap<>();
    entries
        .values()
        .forEach(
            e ->
                open.put(
                    e.subscriber().name(), e.breaker().getState() != CircuitBreaker.State.CLOSED));
    return open;
  }

  /**
   * Per subscriber id, its circuit breaker's state as stored in webhook_subscriber_breaker (closed,
   * open, half_open), for the addon to say why deliveries wait.
   */
  public Map<Long, String> breakerStates() {
    Map<Long, String> states = new HashMap<>();
    entries
        .values()
        .forEach(
            e ->
                states.put(
                    e.subscriber().id(),
                    e.breaker().getState().name().toLowerCase(java.util.Locale.ROOT)));
    return states;
  }

  private Map<Long, Entry> fresh() throws SQLException {
    if (Duration.between(loadedAt, Instant.now()).compareTo(MAX_AGE) > 0) {
      return reload();
    }
    return entries;
  }

  private synchronized Map<Long, Entry> reload() throws SQLException {
    Map<Long, Entry> previous = entries;
    Map<Long, Entry> next = new HashMap<>();
    try (Connection c = db.connection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM webhook_subscriber")) {
      while (rs.next()) {
        Subscriber s = read(rs);
        Entry old = previous.get(s.id());
        next.put(
            s.id(),
            s.samePolicySettings(old == null ? null : old.subscriber())
                ? new Entry(s, old.breaker(), old.executor())
                : withPolicies(s));
      }
    }
    entries = Map.copyOf(next);
    loadedAt = Instant.now();
    return entries;
  }

  private Entry withPolicies(Subscriber s) {
    CircuitBreaker<AttemptResult> breaker =
        CircuitBreaker.<AttemptResult>builder()
            .handleResultIf(r -> !r.success())
            .withFailureThreshold(breakerFailures)
            .withDelay(breakerDelay)
            .withSuccessThreshold(1)
            .onOpen(
                e ->
                    log.warn(
                        "Circuit breaker of subscriber {} ({}) opened: it failed {} times in a row; trying again in {}.",
                        s.id(),
                        s.name(),
                        breakerFailures,
                        breakerDelay))
            .onClose(
                e ->
                    log.info(
                        "Circuit breaker of subscriber {} ({}) closed: it answers again.",
                        s.id(),
                        s.name()))
            .build();
    // Outermost first. The breaker is innermost so that only real HTTP outcomes count as its
    // failures, never a refusal of the bulkhead or the rate limiter (a busy subscriber is not a
    // failing one). The claim already respects max_concurrency; the bulkhead is the guard.
    List<Policy<AttemptResult>> policies = new ArrayList<>();
    policies.add(
        Bulkhead.<AttemptResult>builder(s.maxConcurrency()).withMaxWaitTime(PERMIT_WAIT).build());
    if (s.rateLimitPerSecond() != null) {
      long nanosPerCall = (long) (1_000_000_000L / s.rateLimitPerSecond());
      policies.add(
          RateLimiter.<AttemptResult>smoothBuilder(Duration.ofNanos(Math.max(1, nanosPerCall)))
              .withMaxWaitTime(PERMIT_WAIT)
              .build());
    }
    policies.add(breaker);
    return new Entry(s, breaker, Failsafe.with(policies));
  }

  private static Subscriber read(ResultSet rs) throws SQLException {
    Timestamp expires = rs.getTimestamp("previous_secret_expires_at");
    double rate = rs.getDouble("rate_limit_per_second");
    Double rateLimit = rs.wasNull() ? null : rate;
    Map<String, String> headers;
    try {
      headers =
          JSON.readValue(rs.getString("headers"), new TypeReference<Map<String, String>>() {});
    } catch (IOException e) {
      log.warn(
          "Subscriber {}: custom headers are not a JSON object of strings; sending none.",
          rs.getLong("id"));
      headers = Map.of();
    }
    return new Subscriber(
        rs.getLong("id"),
        rs.getString("name"),
        parseUrl(rs.getLong("id"), rs.getString("url")),
        rs.getString("secret"),
        rs.getString("previous_secret"),
        expires == null ? null : expires.toInstant(),
        rs.getBoolean("active"),
        Duration.ofMillis(rs.getInt("timeout_ms")),
        rateLimit,
        rs.getInt("max_concurrency"),
        headers,
        rs.getTimestamp("updated_at").toInstant(),
        rs.getBoolean("paused"),
        PayloadMode.fromSql(rs.getString("payload")),
        textList(rs.getArray("record_fields")));
  }

  private static List<String> textList(java.sql.Array a) throws SQLException {
    return a == null ? null : List.of((String[]) a.getArray());
  }

  /** Null for a URL that cannot be parsed: its deliveries then fail as invalid_url, visibly. */
  private static URI parseUrl(long subscriberId, String url) {
    try {
      return new URI(url.trim());
    } catch (java.net.URISyntaxException e) {
      log.error(
          "Subscriber {}: its URL is not valid ({}); its deliveries will fail until it is fixed.",
          subscriberId,
          e.getReason());
      return null;
    }
  }
}
