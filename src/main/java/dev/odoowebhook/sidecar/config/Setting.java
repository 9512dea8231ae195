// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.config;

import java.util.Locale;

/**
 * Every setting of the sidecar, listed once: environment variable, command-line flag, default, kind
 * (which validates and parses the value) and description. The same table drives parsing,
 * validation, {@code --help} and the settings table of the README.
 */
public enum Setting {
  DB_URL(
      "WEBHOOK_DB_URL",
      "jdbc:postgresql://127.0.0.1:5432/odoo",
      Kind.JDBC_URL,
      "JDBC URL of Odoo's PostgreSQL database, jdbc:postgresql://host:port/database."),
  DB_USER("WEBHOOK_DB_USER", "odoo", Kind.TEXT, "Database user of the sidecar."),
  DB_PASSWORD(
      "WEBHOOK_DB_PASSWORD", "", Kind.SECRET, "Password of the database user (never logged)."),
  HTTP_PORT(
      "WEBHOOK_HTTP_PORT",
      "8075",
      Kind.PORT,
      "Port of the admin HTTP server (/health, /metrics); 0 turns it off."),
  HTTP_HOST(
      "WEBHOOK_HTTP_HOST",
      "127.0.0.1",
      Kind.TEXT,
      "Address the admin HTTP server binds to; 0.0.0.0 for all interfaces."),
  POLL_INTERVAL(
      "WEBHOOK_POLL_INTERVAL",
      "2s",
      Kind.DURATION,
      "10ms",
      "1h",
      "Fallback poll of the event table, for missed notifications and other sidecars' work."),
  WORKERS(
      "WEBHOOK_WORKERS",
      "32",
      Kind.POSITIVE_INT,
      "1",
      "1000",
      "Deliveries sent at once by this sidecar, all subscribers together."),
  ROUTE_BATCH(
      "WEBHOOK_ROUTE_BATCH",
      "500",
      Kind.POSITIVE_INT,
      "1",
      "100000",
      "Events routed per database transaction."),
  ROUTE_MIN_INTERVAL(
      "WEBHOOK_ROUTE_MIN_INTERVAL",
      "0ms",
      Kind.DURATION,
      "0ms",
      "1s",
      "Least time between two routing passes after the router waited (0ms to 1s). While writes"
          + " keep coming, one pass then takes the events of many commits: less CPU per event"
          + " where Odoo and the sidecar share cores, up to this much more latency. An event"
          + " after a quiet spell is routed at once; a backlog is routed without pause."),
  LEASE(
      "WEBHOOK_LEASE",
      "5m",
      Kind.DURATION,
      "1s",
      "1d",
      "How long a claimed delivery stays reserved; after that another sidecar may resend it."),
  CONNECT_TIMEOUT(
      "WEBHOOK_CONNECT_TIMEOUT",
      "5s",
      Kind.DURATION,
      "10ms",
      "5m",
      "TCP/TLS connect timeout of webhook requests (each subscriber also has a request timeout)."),
  POOL_SIZE(
      "WEBHOOK_POOL_SIZE",
      "8",
      Kind.POSITIVE_INT,
      "1",
      "200",
      "Database connections in the sidecar's pool."),
  STARTUP_WAIT(
      "WEBHOOK_STARTUP_WAIT",
      "5m",
      Kind.DURATION,
      "1s",
      "7d",
      "How long `run` waits for the database at start-up before giving up."),
  SHUTDOWN_GRACE(
      "WEBHOOK_SHUTDOWN_GRACE",
      "20s",
      Kind.DURATION,
      "100ms",
      "1h",
      "On SIGTERM, how long in-flight deliveries may finish before their leases are released."),
  BREAKER_FAILURES(
      "WEBHOOK_BREAKER_FAILURES",
      "5",
      Kind.POSITIVE_INT,
      "1",
      "10000",
      "Consecutive failures of a subscriber that open its circuit breaker (it is then left alone)."),
  BREAKER_DELAY(
      "WEBHOOK_BREAKER_DELAY",
      "30s",
      Kind.DURATION,
      "100ms",
      "1d",
      "How long an open circuit breaker waits before one trial request."),
  LEASE_RECOVERY_INTERVAL(
      "WEBHOOK_LEASE_RECOVERY_INTERVAL",
      "15s",
      Kind.DURATION,
      "100ms",
      "1h",
      "How often deliveries left in processing by a dead sidecar are put back in the queue."),
  HEARTBEAT_INTERVAL(
      "WEBHOOK_HEARTBEAT_INTERVAL",
      "10s",
      Kind.DURATION,
      "100ms",
      "1h",
      "How often the sidecar records that it is alive (webhook_sidecar_instance)."),
  BLOCK_PRIVATE_TARGETS(
      "WEBHOOK_BLOCK_PRIVATE_TARGETS",
      "false",
      Kind.BOOLEAN,
      "Refuse subscriber URLs that resolve to loopback, private, link-local or other internal"
          + " addresses (SSRF protection), unless allow-listed."),
  TARGET_ALLOWLIST(
      "WEBHOOK_TARGET_ALLOWLIST",
      "",
      Kind.TEXT,
      "Comma-separated host names or IP addresses allowed despite WEBHOOK_BLOCK_PRIVATE_TARGETS."),
  CLEANUP_INTERVAL(
      "WEBHOOK_CLEANUP_INTERVAL",
      "1h",
      Kind.DURATION,
      "1s",
      "30d",
      "How often the orphan cleanup and retention purge run (one sidecar at a time)."),
  CLEANUP_FIRST_DELAY(
      "WEBHOOK_CLEANUP_FIRST_DELAY",
      "1m",
      Kind.DURATION,
      "1s",
      "30d",
      "How long after start the first cleanup runs (then every WEBHOOK_CLEANUP_INTERVAL); the"
          + " addon's Run now asks for one at once."),
  CLEANUP_BATCH(
      "WEBHOOK_CLEANUP_BATCH",
      "1000",
      Kind.POSITIVE_INT,
      "1",
      "100000",
      "Rows removed per transaction by the cleanup, so it never holds locks for long."),
  RETENTION_SENT(
      "WEBHOOK_RETENTION_SENT",
      "7d",
      Kind.DURATION,
      "1s",
      "3650d",
      "Sent deliveries, their attempts and fully delivered events (acknowledged by every active"
          + " pull device) are kept this long."),
  RETENTION_DEAD(
      "WEBHOOK_RETENTION_DEAD",
      "30d",
      Kind.DURATION,
      "1s",
      "3650d",
      "Dead deliveries are kept this long for a human to replay (cancelled ones this long after"
          + " their cancellation); also job runs and old heartbeats."),
  RETENTION_UNROUTED(
      "WEBHOOK_RETENTION_UNROUTED",
      "7d",
      Kind.DURATION,
      "1s",
      "3650d",
      "Events no subscriber wanted are kept this long (a replay can still use them)."),
  RETENTION_DEVICES(
      "WEBHOOK_RETENTION_DEVICES",
      "30d",
      Kind.DURATION,
      "1s",
      "3650d",
      "Events an active pull device has not acknowledged are kept this long at most; a device"
          + " silent longer holds nothing back, and one that missed archived events must resync."),
  RETENTION_ARCHIVE(
      "WEBHOOK_RETENTION_ARCHIVE",
      "90d",
      Kind.DURATION,
      "1s",
      "3650d",
      "Events moved out by retention wait in webhook_event_archive until this long after routing."),
  INSTANCE_ID(
      "WEBHOOK_INSTANCE_ID",
      "",
      Kind.TEXT,
      "Name of this sidecar in leases and heartbeats; empty means host-pid."),
  LOG_DELIVERIES(
      "WEBHOOK_LOG_DELIVERIES", "true", Kind.BOOLEAN, "Log one INFO line per delivery outcome."),
  PULL_PORT(
      "WEBHOOK_PULL_PORT",
      "0",
      Kind.PORT,
      "Port of the pull API for apps (/v1/..., api/pull-api.openapi.yaml); 0 turns it off."),
  PULL_HOST(
      "WEBHOOK_PULL_HOST",
      "127.0.0.1",
      Kind.TEXT,
      "Address the pull API binds to; 0.0.0.0 for all interfaces (put TLS in front of it)."),
  PULL_RATE_LIMIT(
      "WEBHOOK_PULL_RATE_LIMIT",
      "20",
      Kind.POSITIVE_INT,
      "1",
      "100000",
      "Requests per second per API token on the pull API; more get 429 with Retry-After."),
  PULL_CORS_ORIGINS(
      "WEBHOOK_PULL_CORS_ORIGINS",
      "",
      Kind.TEXT,
      "Comma-separated origins (https://app.example.com) browsers may call the pull API from;"
          + " * for any; empty for none.");

  /** How a value is validated and parsed; the bounds of a setting that names none. */
  public enum Kind {
    TEXT(null, null),
    SECRET(null, null),
    JDBC_URL(null, null),
    PORT("0", "65535"),
    DURATION("1ms", "1d"),
    POSITIVE_INT("1", "100000"),
    BOOLEAN(null, null);

    private final String min;
    private final String max;

    Kind(String min, String max) {
      this.min = min;
      this.max = max;
    }

    /** Whether values of this kind have a least and a greatest accepted value. */
    public boolean isBounded() {
      return min != null;
    }
  }

  private final String env;
  private final String defaultValue;
  private final Kind kind;
  private final String min;
  private final String max;
  private final String description;

  /** A setting whose bounds, if its kind has any, are the kind's. */
  Setting(String env, String defaultValue, Kind kind, String description) {
    this(env, defaultValue, kind, kind.min, kind.max, description);
  }

  /**
   * A setting with its least and greatest accepted values, written as values are (2s, 100): no
   * accepted value may overflow where it is used.
   */
  Setting(String env, String defaultValue, Kind kind, String min, String max, String description) {
    this.env = env;
    this.defaultValue = defaultValue;
    this.kind = kind;
    this.min = min;
    this.max = max;
    this.description = description;
  }

  public String env() {
    return env;
  }

  /** The command-line flag: WEBHOOK_DB_URL becomes --db-url. */
  public String flag() {
    return "--" + env.substring("WEBHOOK_".length()).toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public String defaultValue() {
    return defaultValue;
  }

  public Kind kind() {
    return kind;
  }

  /** The least accepted value as written (e.g. 10ms), or null for a kind without bounds. */
  public String min() {
    return min;
  }

  /** The greatest accepted value as written (e.g. 1h), or null for a kind without bounds. */
  public String max() {
    return max;
  }

  /** "10ms to 1h" for --help and the README, or "" for a setting without bounds. */
  public String range() {
    return min == null ? "" : min + " to " + max;
  }

  public String description() {
    return description;
  }

  public boolean isSecret() {
    return kind == Kind.SECRET;
  }
}
