// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.config;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The effective configuration: every {@link Setting}, from a command-line flag, else the
 * environment, else its default. Built once: each value is checked against its setting's kind and
 * bounds and parsed to its type (a Duration, an int, a boolean), then the settings are checked
 * together; unknown WEBHOOK_* variables are refused. Readers get the typed values, never a string
 * to parse. WEBHOOK_DB_URL's credentials are moved out of the URL, so {@link #dbUrl()} is safe to
 * print. Immutable and thread-safe.
 */
public final class SidecarConfig {
  private final Map<Setting, String> given;
  private final Map<Setting, Object> typed;
  private final JdbcUrl dbUrl;

  private SidecarConfig(Map<Setting, String> given, Map<Setting, Object> typed, JdbcUrl dbUrl) {
    this.given = Collections.unmodifiableMap(given);
    this.typed = Collections.unmodifiableMap(typed);
    this.dbUrl = dbUrl;
  }

  /**
   * Builds the configuration. Flags win over environment variables.
   *
   * @throws ConfigException naming the first invalid setting and what a valid value looks like, or
   *     the unknown WEBHOOK_* variables with the closest known names
   */
  public static SidecarConfig from(Map<Setting, String> flags, Map<String, String> env) {
    Set<String> unknown = EnvironmentNames.unknown(env);
    if (!unknown.isEmpty()) {
      throw new ConfigException(EnvironmentNames.problemWith(unknown));
    }
    Map<Setting, String> given = new EnumMap<>(Setting.class);
    Map<Setting, Object> typed = new EnumMap<>(Setting.class);
    Map<Setting, String> sources = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      String value = flags.get(s);
      String source = s.flag();
      if (value == null) {
        value = env.get(s.env());
        source = s.env();
      }
      if (value == null) {
        value = s.defaultValue();
        source = "the default of " + s.env();
      }
      value = value.trim();
      given.put(s, value);
      sources.put(s, source);
      typed.put(s, parse(s, value, source));
    }
    JdbcUrl url = JdbcUrl.parse(given.get(Setting.DB_URL));
    takeCredentialsFromUrl(url, typed, sources);
    CrossChecks.check(typed, sources);
    return new SidecarConfig(given, typed, url);
  }

  /** Configuration from the environment and defaults only (no flags). */
  public static SidecarConfig fromEnvironment(Map<String, String> env) {
    return from(Map.of(), env);
  }

  /** A user or password inside WEBHOOK_DB_URL is the one used, as pgjdbc would. */
  private static void takeCredentialsFromUrl(
      JdbcUrl url, Map<Setting, Object> typed, Map<Setting, String> sources) {
    if (url.user() != null && !url.user().isEmpty()) {
      typed.put(Setting.DB_USER, url.user());
    }
    if (url.password() != null) {
      String separate = (String) typed.get(Setting.DB_PASSWORD);
      if (!separate.isEmpty() && !separate.equals(url.password())) {
        throw new ConfigException(
            "WEBHOOK_DB_URL carries a password and "
                + sources.get(Setting.DB_PASSWORD)
                + " another one: give it once, preferably in WEBHOOK_DB_PASSWORD (values <masked>).");
      }
      typed.put(Setting.DB_PASSWORD, url.password());
    }
  }

  /** Checks and parses one value. */
  private static Object parse(Setting s, String value, String source) {
    String problem = problemWith(s, value);
    if (problem != null) {
      String shown = s.isSecret() ? JdbcUrl.MASK : "\"" + JdbcUrl.mask(value) + "\"";
      throw new ConfigException(
          "Invalid " + source + " = " + shown + ": " + problem + " (" + s.description() + ")");
    }
    switch (s.kind()) {
      case PORT:
      case POSITIVE_INT:
        return Integer.parseInt(value);
      case DURATION:
        return Durations.parse(value);
      case BOOLEAN:
        return Boolean.parseBoolean(value.toLowerCase(Locale.ROOT));
      default:
        return value;
    }
  }

  /** What is wrong with a value for a setting, or null if it is valid. */
  static String problemWith(Setting s, String value) {
    switch (s.kind()) {
      case JDBC_URL:
        return jdbcUrlProblem(value);
      case PORT:
        return isIntBetween(value, s) ? null : "expected a port number from " + s.range();
      case DURATION:
        return durationProblem(s, value);
      case POSITIVE_INT:
        return isIntBetween(value, s) ? null : "expected a whole number from " + s.range();
      case BOOLEAN:
        return value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")
            ? null
            : "expected true or false";
      case TEXT:
        return s == Setting.DB_USER && value.isEmpty() ? "must not be empty" : null;
      default:
        return null;
    }
  }

  private static String durationProblem(Setting s, String value) {
    String expected = "expected " + s.range() + ", a duration such as 500ms, 2s, 5m, 1h or 7d";
    Duration d = Durations.parse(value);
    if (d == null) {
      return expected;
    }
    Duration min = Durations.parse(s.min());
    if (d.isZero() && !min.isZero()) {
      return "must be more than zero; " + expected;
    }
    return d.compareTo(min) < 0 || d.compareTo(Durations.parse(s.max())) > 0 ? expected : null;
  }

  private static String jdbcUrlProblem(String value) {
    String prefix = JdbcUrl.PREFIX;
    if (!value.startsWith(prefix)) {
      return "expected a URL starting with "
          + prefix
          + ", e.g. jdbc:postgresql://127.0.0.1:5432/odoo";
    }
    String sslmode = JdbcUrl.parse(value).parameters().get("sslmode");
    if (sslmode != null && !JdbcUrl.SSL_MODES.contains(sslmode)) {
      return "sslmode=" + sslmode + " is not one of " + String.join(", ", JdbcUrl.SSL_MODES);
    }
    try {
      URI uri = new URI("postgresql://" + JdbcUrl.parse(value).location());
      if (uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
        return "expected host and database, e.g. jdbc:postgresql://127.0.0.1:5432/odoo";
      }
    } catch (java.net.URISyntaxException e) {
      return "not a valid URL (" + JdbcUrl.mask(e.getReason()) + ")";
    }
    return null;
  }

  private static boolean isIntBetween(String value, Setting s) {
    try {
      int n = Integer.parseInt(value);
      return n >= Integer.parseInt(s.min()) && n <= Integer.parseInt(s.max());
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * The value as text: the effective user and password for DB_USER and DB_PASSWORD (taken from the
   * URL if it names them), the URL without credentials for DB_URL, else the value as given.
   */
  public String text(Setting s) {
    if (s == Setting.DB_URL) {
      return dbUrl();
    }
    Object v = typed.get(s);
    return v instanceof String ? (String) v : given.get(s);
  }

  public int integer(Setting s) {
    return (Integer) typedAs(s, Setting.Kind.PORT, Setting.Kind.POSITIVE_INT);
  }

  public Duration duration(Setting s) {
    return (Duration) typedAs(s, Setting.Kind.DURATION);
  }

  public boolean bool(Setting s) {
    return (Boolean) typedAs(s, Setting.Kind.BOOLEAN);
  }

  private Object typedAs(Setting s, Setting.Kind... kinds) {
    for (Setting.Kind k : kinds) {
      if (s.kind() == k) {
        return typed.get(s);
      }
    }
    throw new IllegalArgumentException(s.env() + " is a " + s.kind() + " setting");
  }

  /**
   * The database URL to connect with, without the user and password it may have carried: safe to
   * log and print (the pool and the listener get the credentials separately).
   */
  public String dbUrl() {
    return dbUrl.withoutCredentials();
  }

  /** WEBHOOK_DB_URL taken apart: its parameters (sslmode, ...) and its display form. */
  public JdbcUrl jdbcUrl() {
    return dbUrl;
  }

  /** This sidecar's name in leases, attempts and heartbeats. */
  public String instanceId() {
    String id = text(Setting.INSTANCE_ID);
    if (!id.isEmpty()) {
      return id;
    }
    return host() + "-" + ManagementFactory.getRuntimeMXBean().getPid();
  }

  public static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown-host";
    }
  }

  /**
   * One line per setting, effective values (the user named in the URL), secrets and URL passwords
   * masked: logged once at start-up.
   */
  public String describe() {
    StringJoiner lines = new StringJoiner(System.lineSeparator());
    for (Setting s : Setting.values()) {
      String v = text(s);
      String shown =
          s.isSecret() && !v.isEmpty()
              ? JdbcUrl.MASK
              : s.kind() == Setting.Kind.JDBC_URL ? dbUrl.display() : v;
      lines.add("  " + s.env() + "=" + shown);
    }
    return lines.toString();
  }
}
