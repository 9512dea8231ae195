// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odoowebhook.sidecar.config.Durations;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.delivery.PostWebhook;
import dev.odoowebhook.sidecar.delivery.TargetPolicy;
import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.delivery.broker.DestinationUrls;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The validated options of {@code subscriber add} (every column, defaults filled in) or {@code
 * subscriber update} (only the options given), as webhook_subscriber columns. The same rules apply
 * to both; the database's check constraints are the last guard, not the first.
 */
final class SubscriberSpec {
  /**
   * The options both commands take, with the broker credentials ({@link BrokerCredentialOptions});
   * update also takes --rename instead of --name, and --no-broker-credentials.
   */
  static final Set<String> OPTIONS =
      union(
          BrokerCredentialOptions.OPTIONS,
          "name",
          "url",
          "secret",
          "models",
          "events",
          "fields",
          "timeout",
          "max-retries",
          "backoff-base",
          "backoff-factor",
          "max-backoff",
          "rate-limit",
          "concurrency",
          "header",
          "payload",
          "record-fields",
          "domain");

  private static Set<String> union(Set<String> some, String... more) {
    Set<String> all = new java.util.HashSet<>(some);
    all.addAll(List.of(more));
    return Set.copyOf(all);
  }

  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");
  private static final Set<String> EVENTS = Set.of("create", "write", "unlink");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The longest wait between two attempts: 30 days (webhook_subscriber_max_backoff_check). */
  private static final long MAX_BACKOFF_MS = 30L * 86_400_000;

  /** Column to value, in order; a List is a text[], a {@link Json} a jsonb, null is SQL NULL. */
  final Map<String, Object> columns = new LinkedHashMap<>();

  /** The secret when it was generated here (to show once), else null. */
  String generatedSecret;

  record Json(String text) {}

  private SubscriberSpec() {}

  /** `subscriber add`: --name and --url are required; everything else has its default. */
  static SubscriberSpec forAdd(Args args) {
    SubscriberSpec s = new SubscriberSpec();
    s.columns.put("name", name(required(args, "name"), "--name"));
    s.columns.put("url", url(required(args, "url")));
    String secret = args.get("secret");
    if (secret == null) {
      secret = WebhookSigner.newSecret();
      s.generatedSecret = secret;
    }
    s.columns.put("secret", secret(secret));
    s.columns.put("models", args.get("models") == null ? null : models(args.get("models")));
    s.columns.put(
        "events", events(args.get("events") == null ? "create,write,unlink" : args.get("events")));
    s.columns.put(
        "changed_fields_filter",
        args.get("fields") == null ? null : Options.csv(args.get("fields")));
    s.columns.put("timeout_ms", (int) durationMs(args, "timeout", "10s", 100, 300_000));
    s.columns.put("max_retries", (int) number(args, "max-retries", "5", 0, 100));
    s.columns.put("backoff_base_ms", durationMs(args, "backoff-base", "60s", 10, 86_400_000));
    s.columns.put("backoff_factor", number(args, "backoff-factor", "2", 1, 10));
    s.columns.put("max_backoff_ms", durationMs(args, "max-backoff", "1d", 10, MAX_BACKOFF_MS));
    s.columns.put("rate_limit_per_second", rateLimit(args));
    s.columns.put("max_concurrency", (int) number(args, "concurrency", "4", 1, 256));
    s.columns.put("headers", headers(args));
    s.columns.put("payload", payload(args.get("payload") == null ? "ids" : args.get("payload")));
    s.columns.put("record_fields", recordFields(args.get("record-fields")));
    s.columns.put("domain", args.get("domain"));
    return s;
  }

  /**
   * A payload mode. The domain and the record fields are checked by the database when the
   * subscriber is saved (sql/R__webhook_content.sql), the same way for the CLI, psql and the addon.
   */
  private static String payload(String mode) {
    String m = mode.trim().toLowerCase(java.util.Locale.ROOT);
    if (!Set.of("ids", "changes", "record").contains(m)) {
      throw new UsageException("--payload takes ids, changes or record; got \"" + mode + "\".");
    }
    return m;
  }

  /** Record fields, or null (the model's captured fields) for none or "". */
  private static List<String> recordFields(String text) {
    if (text == null) {
      return null;
    }
    List<String> fields = Options.csv(text);
    return fields.isEmpty() ? null : fields;
  }

  /**
   * `subscriber update`: only the options given; nothing given (no column, and not {@code
   * otherChanges} such as broker credentials) is a usage error.
   */
  static SubscriberSpec forUpdate(Args args, boolean otherChanges) {
    SubscriberSpec s = new SubscriberSpec();
    if (args.has("rename")) {
      s.columns.put("name", name(args.get("rename"), "--rename"));
    }
    if (args.has("url")) {
      s.columns.put("url", url(args.get("url")));
    }
    if (args.has("secret")) {
      s.columns.put("secret", secret(args.get("secret")));
    }
    if (args.has("models")) {
      s.columns.put("models", models(args.get("models")));
    }
    if (args.has("events")) {
      s.columns.put("events", events(args.get("events")));
    }
    if (args.has("fields")) {
      List<String> fields = Options.csv(args.get("fields"));
      s.columns.put(
          "changed_fields_filter", fields.isEmpty() ? null : fields); // "" clears the filter
    }
    if (args.has("timeout")) {
      s.columns.put("timeout_ms", (int) durationMs(args, "timeout", null, 100, 300_000));
    }
    if (args.has("max-retries")) {
      s.columns.put("max_retries", (int) number(args, "max-retries", null, 0, 100));
    }
    if (args.has("backoff-base")) {
      s.columns.put("backoff_base_ms", durationMs(args, "backoff-base", null, 10, 86_400_000));
    }
    if (args.has("backoff-factor")) {
      s.columns.put("backoff_factor", number(args, "backoff-factor", null, 1, 10));
    }
    if (args.has("max-backoff")) {
      s.columns.put("max_backoff_ms", durationMs(args, "max-backoff", null, 10, MAX_BACKOFF_MS));
    }
    if (args.has("rate-limit")) {
      s.columns.put("rate_limit_per_second", rateLimit(args));
    }
    if (args.has("concurrency")) {
      s.columns.put("max_concurrency", (int) number(args, "concurrency", null, 1, 256));
    }
    if (args.has("header")) {
      s.columns.put("headers", headers(args));
    }
    if (args.has("payload")) {
      s.columns.put("payload", payload(args.get("payload")));
    }
    if (args.has("record-fields")) {
      s.columns.put("record_fields", recordFields(args.get("record-fields")));
    }
    if (args.has("domain")) {
      String domain = args.get("domain").trim();
      s.columns.put("domain", domain.isEmpty() ? null : domain); // "" drops the condition
    }
    if (s.columns.isEmpty() && !otherChanges) {
      throw new UsageException(
          "Say what to change, e.g. `subscriber update crm --url https://crm.example.com/hooks`."
              + " See `subscriber update --help`.");
    }
    return s;
  }

  String name() {
    return (String) columns.get("name");
  }

  String url() {
    return (String) columns.get("url");
  }

  /** The models given, or null (none given, or every tracked model). */
  @SuppressWarnings("unchecked")
  List<String> models() {
    return (List<String>) columns.get("models");
  }

  /** Refuses a URL that the sidecar's target policy would block (private networks, allowlist). */
  void checkTarget(SidecarConfig config) {
    if (url() == null) {
      return;
    }
    String blocked =
        new TargetPolicy(
                config.bool(Setting.BLOCK_PRIVATE_TARGETS), config.text(Setting.TARGET_ALLOWLIST))
            .problemWith(URI.create(url()));
    if (blocked != null) {
      throw new CommandException(blocked);
    }
  }

  /** The SQL for one column's value: "?" (bound by {@link #bind}), "?::jsonb" or NULL. */
  String placeholder(String column) {
    Object v = columns.get(column);
    return v == null ? "NULL" : v instanceof Json ? "?::jsonb" : "?";
  }

  /** Binds the non-null values in column order from {@code index}; returns the next index. */
  int bind(Connection c, PreparedStatement ps, int index) throws SQLException {
    for (Object v : columns.values()) {
      if (v == null) {
        continue;
      }
      if (v instanceof List<?> list) {
        ps.setArray(index++, c.createArrayOf("text", list.toArray()));
      } else if (v instanceof Json json) {
        ps.setString(index++, json.text());
      } else {
        ps.setObject(index++, v);
      }
    }
    return index;
  }

  /**
   * A subscriber name: 1 to 200 characters, no control characters (it is shown in tables and logs).
   */
  static String name(String text, String option) {
    String name = text.trim();
    if (name.isEmpty() || name.length() > 200) {
      throw new UsageException(option + " must be 1 to 200 characters.");
    }
    if (name.chars().anyMatch(Character::isISOControl)) {
      throw new UsageException(
          option + " must not contain control characters such as line breaks or tabs.");
    }
    return name;
  }

  private static String url(String text) {
    String url = text.trim();
    String problem = DestinationUrls.problemWith(url);
    if (problem != null) {
      throw new UsageException(
          "--url \""
              + Urls.withoutUserInfo(url)
              + "\": "
              + problem
              + ", e.g. https://example.com/hooks/odoo.");
    }
    return url;
  }

  private static String secret(String text) {
    String problem = WebhookSigner.problemWith(text.trim());
    if (problem != null) {
      throw new UsageException(
          "--secret: " + problem + ". Leave --secret out to have one generated.");
    }
    return text.trim();
  }

  /** A comma list of model names; "*" means every tracked model (null). */
  private static List<String> models(String text) {
    if (text.trim().equals("*")) {
      return null;
    }
    List<String> models = Options.csv(text);
    for (String m : models) {
      if (!ModelNames.MODEL.matcher(m).matches()) {
        throw new UsageException(
            "--models: \"" + m + "\" is not an Odoo model name, e.g. res.partner.");
      }
    }
    return models;
  }

  private static List<String> events(String text) {
    List<String> events = Options.csv(text);
    if (events.isEmpty() || !EVENTS.containsAll(events)) {
      throw new UsageException(
          "--events takes a comma list of create, write, unlink; got \"" + text + "\".");
    }
    return events;
  }

  /** Requests per second at most, or null for no limit ("none", or the option left out). */
  private static Double rateLimit(Args args) {
    String text = args.get("rate-limit");
    return text == null || text.trim().equals("none")
        ? null
        : number(args, "rate-limit", null, 0.001, 100_000);
  }

  private static Json headers(Args args) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h : args.all("header")) {
      int eq = h.indexOf('=');
      String name = eq > 0 ? h.substring(0, eq).trim() : "";
      if (!HEADER_NAME.matcher(name).matches()) {
        throw new UsageException(
            "--header takes Name=Value, e.g. --header Authorization=Bearer abc; got \""
                + h
                + "\".");
      }
      String headerProblem = PostWebhook.problemWithHeader(name);
      if (headerProblem != null) {
        throw new UsageException("--header " + name + " " + headerProblem + ".");
      }
      headers.put(name, h.substring(eq + 1).trim());
    }
    try {
      return new Json(JSON.writeValueAsString(headers));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a map of strings always serializes
    }
  }

  private static String required(Args args, String option) {
    String v = args.get(option);
    if (v == null) {
      throw new UsageException(
          "`subscriber add` needs --" + option + ". See `subscriber add --help`.");
    }
    return v;
  }

  private static long durationMs(Args args, String option, String dflt, long min, long max) {
    String text = args.get(option) == null ? dflt : args.get(option);
    Duration d = Durations.parse(text);
    if (d == null || d.toMillis() < min || d.toMillis() > max) {
      throw new UsageException(
          "--"
              + option
              + " takes a duration from "
              + Durations.format(Duration.ofMillis(min))
              + " to "
              + Durations.format(Duration.ofMillis(max))
              + " such as 500ms, 10s or 2m; got \""
              + text
              + "\".");
    }
    return d.toMillis();
  }

  private static double number(Args args, String option, String dflt, double min, double max) {
    String text = args.get(option) == null ? dflt : args.get(option);
    try {
      double v = Double.parseDouble(text.trim());
      if (v >= min && v <= max && !Double.isNaN(v)) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(
        "--"
            + option
            + " takes a number from "
            + fmt(min)
            + " to "
            + fmt(max)
            + "; got \""
            + text
            + "\".");
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }
}
