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
import java.util.StringJoiner;

/**
 * The effective configuration: every {@link Setting}, from a command-line flag, else the
 * environment, else its default; validated when built, immutable after. Thread-safe.
 */
public final class SidecarConfig {
  private final Map<Setting, String> values;

  private SidecarConfig(Map<Setting, String> values) {
    this.values = Collections.unmodifiableMap(values);
  }

  /**
   * Builds the configuration. Flags win over environment variables.
   *
   * @throws ConfigException naming the first invalid setting and what a valid value looks like
   */
  public static SidecarConfig from(Map<Setting, String> flags, Map<String, String> env) {
    Map<Setting, String> values = new EnumMap<>(Setting.class);
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
      validate(s, value.trim(), source);
      values.put(s, value.trim());
    }
    return new SidecarConfig(values);
  }

  /** Configuration from the environment and defaults only (no flags). */
  public static SidecarConfig fromEnvironment(Map<String, String> env) {
    return from(Map.of(), env);
  }

  private static void validate(Setting s, String value, String source) {
    String problem = problemWith(s, value);
    if (problem != null) {
      String shown = s.isSecret() ? "<masked>" : "\"" + value + "\"";
      throw new ConfigException(
          "Invalid " + source + " = " + shown + ": " + problem + " (" + s.description() + ")");
    }
  }

  /** What is wrong with a value for a setting, or null if it is valid. */
  static String problemWith(Setting s, String value) {
    switch (s.kind()) {
      case JDBC_URL:
        return jdbcUrlProblem(value);
      case PORT:
        return isIntBetween(value, 0, 65535) ? null : "expected a port number from 0 to 65535";
      case DURATION:
        Duration d = Durations.parse(value);
        if (d == null) {
          return "expected a duration such as 500ms, 2s, 5m, 1h or 7d";
        }
        if (s == Setting.ROUTE_MIN_INTERVAL) {
          // 0 turns it off; more than a second would hold every event back for that long.
          return d.compareTo(Duration.ofSeconds(1)) > 0 ? "expected 0ms to 1s, e.g. 20ms" : null;
        }
        return d.isZero() ? "must be more than zero" : null;
      case POSITIVE_INT:
        return isIntBetween(value, 1, 100_000) ? null : "expected a whole number from 1 to 100000";
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

  private static String jdbcUrlProblem(String value) {
    String prefix = "jdbc:postgresql://";
    if (!value.startsWith(prefix)) {
      return "expected a URL starting with " + prefix + ", e.g. jdbc:postgresql://127.0.0.1:5432/odoo";
    }
    try {
      URI uri = new URI("postgresql://" + value.substring(prefix.length()));
      if (uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
        return "expected host and database, e.g. jdbc:postgresql://127.0.0.1:5432/odoo";
      }
    } catch (java.net.URISyntaxException e) {
      return "not a valid URL (" + e.getReason() + ")";
    }
    return null;
  }

  private static boolean isIntBetween(String value, int min, int max) {
    try {
      int n = Integer.parseInt(value);
      return n >= min && n <= max;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  public String text(Setting s) {
    return values.get(s);
  }

  public int integer(Setting s) {
    return Integer.parseInt(values.get(s));
  }

  public Duration duration(Setting s) {
    return Durations.parse(values.get(s));
  }

  public boolean bool(Setting s) {
    return Boolean.parseBoolean(values.get(s).toLowerCase(Locale.ROOT));
  }

  public String dbUrl() {
    return text(Setting.DB_URL);
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

  /** One line per setting, secrets masked: logged once at start-up. */
  public String describe() {
    StringJoiner lines = new StringJoiner(System.lineSeparator());
    for (Setting s : Setting.values()) {
      String v = values.get(s);
      lines.add("  " + s.env() + "=" + (s.isSecret() && !v.isEmpty() ? "<masked>" : v));
    }
    return lines.toString();
  }
}
