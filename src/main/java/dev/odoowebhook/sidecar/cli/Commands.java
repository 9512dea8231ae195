package dev.odoowebhook.sidecar.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odoowebhook.sidecar.config.Durations;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.delivery.DeliveryStatus;
import dev.odoowebhook.sidecar.delivery.PostWebhook;
import dev.odoowebhook.sidecar.delivery.TargetPolicy;
import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.jobs.CleanupJob;
import dev.odoowebhook.sidecar.persistence.Database;
import dev.odoowebhook.sidecar.persistence.SchemaMigrator;
import java.io.PrintStream;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The commands that work on the database and end: everything but {@code run}. */
final class Commands {
  private static final Pattern MODEL = Pattern.compile("[a-z0-9_]+(\\.[a-z0-9_]+)*");
  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");
  private static final Set<String> EVENTS = Set.of("create", "write", "unlink");

  private final Database db;
  private final SidecarConfig config;
  private final PrintStream out;

  Commands(Database db, SidecarConfig config, PrintStream out) {
    this.db = db;
    this.config = config;
    this.out = out;
  }

  int migrate(Args args) throws SQLException {
    args.allowOnly("migrate", Set.of());
    db.checkReachable();
    String version = SchemaMigrator.migrate(db.dataSource());
    SchemaMigrator.refreshCapture(db.dataSource());
    out.println("Schema is up to date at version " + version + " in " + config.dbUrl() + ".");
    return Cli.OK;
  }

  int track(Args args) throws SQLException {
    args.allowOnly("track", Set.of("table", "ignore"));
    List<String> models = modelsOf(args, "track");
    String table = args.get("table");
    if (table != null && models.size() > 1) {
      throw new UsageException("--table names the table of one model; track the others separately.");
    }
    String ignore = args.get("ignore");
    try (Connection c = db.connection()) {
      for (String model : models) {
        try (PreparedStatement ps = c.prepareStatement(
            ignore == null ? "SELECT webhook_track(?, ?)" : "SELECT webhook_track(?, ?, ?)")) {
          ps.setString(1, model);
          ps.setString(2, table);
          if (ignore != null) {
            ps.setArray(3, c.createArrayOf("text", csv(ignore).toArray()));
          }
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            out.println("Tracking " + model + " (table " + rs.getString(1) + ").");
          }
        }
      }
    }
    return Cli.OK;
  }

  int untrack(Args args) throws SQLException {
    args.allowOnly("untrack", Set.of());
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT webhook_untrack(?)")) {
      for (String model : modelsOf(args, "untrack")) {
        ps.setString(1, model);
        ps.executeQuery().close();
        out.println("No longer tracking " + model + "; events already captured will still be delivered.");
      }
    }
    return Cli.OK;
  }

  private static List<String> modelsOf(Args args, String command) {
    List<String> models = args.words.subList(1, args.words.size());
    if (models.isEmpty()) {
      throw new UsageException("Name at least one model, e.g. `" + command + " res.partner`.");
    }
    for (String m : models) {
      if (!MODEL.matcher(m).matches()) {
        throw new UsageException("\"" + m + "\" is not an Odoo model name; use the technical name, e.g. res.partner.");
      }
    }
    return models;
  }

  int addSubscriber(Args args) throws SQLException {
    args.allowOnly("subscriber add", Set.of("name", "url", "secret", "models", "events", "fields",
        "timeout", "max-retries", "backoff-base", "backoff-factor", "rate-limit", "concurrency", "header"));
    SubscriberSpec spec = SubscriberSpec.from(args);
    String blocked = new TargetPolicy(config.bool(Setting.BLOCK_PRIVATE_TARGETS),
        config.text(Setting.TARGET_ALLOWLIST)).problemWith(java.net.URI.create(spec.url));
    if (blocked != null) {
      throw new CommandException(blocked);
    }
    try (Connection c = db.connection()) {
      for (String model : spec.models == null ? List.<String>of() : spec.models) {
        checkModelKnown(c, model);
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO webhook_subscriber (name, url, secret, models, events, changed_fields_filter,"
              + " timeout_ms, max_retries, backoff_base_ms, backoff_factor, rate_limit_per_second,"
              + " max_concurrency, headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)"
              + " RETURNING id")) {
        ps.setString(1, spec.name);
        ps.setString(2, spec.url);
        ps.setString(3, spec.secret);
        ps.setArray(4, spec.models == null ? null : c.createArrayOf("text", spec.models.toArray()));
        ps.setArray(5, c.createArrayOf("text", spec.events.toArray()));
        ps.setArray(6, spec.fields == null ? null : c.createArrayOf("text", spec.fields.toArray()));
        ps.setInt(7, spec.timeoutMs);
        ps.setInt(8, spec.maxRetries);
        ps.setLong(9, spec.backoffBaseMs);
        ps.setDouble(10, spec.backoffFactor);
        ps.setObject(11, spec.rateLimit);
        ps.setInt(12, spec.concurrency);
        ps.setString(13, new ObjectMapper().writeValueAsString(spec.headers));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          out.println("Subscriber " + rs.getLong(1) + " \"" + spec.name + "\" added: POST " + spec.url
              + " on " + String.join(", ", spec.events) + " of "
              + (spec.models == null ? "every tracked model" : String.join(", ", spec.models)) + ".");
        }
      } catch (SQLException e) {
        if ("23505".equals(e.getSQLState())) {
          throw new CommandException("A subscriber named \"" + spec.name + "\" exists already; choose another --name.");
        }
        throw e;
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    if (spec.secretGenerated) {
      out.println("Signing secret (shown only now; give it to the receiver): " + spec.secret);
    }
    return Cli.OK;
  }

  /** A model must be tracked, or at least known to Odoo (ir_model), to be subscribed to. */
  private void checkModelKnown(Connection c, String model) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT EXISTS (SELECT 1 FROM webhook_tracked_model WHERE model = ?),"
            + " to_regclass('ir_model') IS NOT NULL")) {
      ps.setString(1, model);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getBoolean(1)) {
          return;
        }
        if (!rs.getBoolean(2)) {
          throw new CommandException("Model " + model + " is not tracked. Track it first: `track " + model + "`.");
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM ir_model WHERE model = ?)")) {
      ps.setString(1, model);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          throw new CommandException("Model " + model + " does not exist in this Odoo database (not in ir_model). Check the name or install its module.");
        }
      }
    }
    System.err.println("Note: model " + model + " is not tracked yet; nothing will be sent until `track " + model + "`.");
  }

  int listSubscribers(Args args) throws SQLException {
    args.allowOnly("subscriber list", Set.of());
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT s.id, s.name, s.active, s.url, s.models, s.events,"
                + " count(*) FILTER (WHERE d.status IN ('pending', 'processing', 'failed')) AS open,"
                + " count(*) FILTER (WHERE d.status = 'dead') AS dead"
                + " FROM webhook_subscriber s LEFT JOIN webhook_delivery d ON d.subscriber_id = s.id"
                + " GROUP BY s.id ORDER BY s.id");
        ResultSet rs = ps.executeQuery()) {
      out.printf("%-5s %-20s %-7s %-40s %-25s %-20s %6s %6s%n", "ID", "NAME", "ACTIVE", "URL", "MODELS",
          "EVENTS", "OPEN", "DEAD");
      while (rs.next()) {
        out.printf("%-5d %-20s %-7s %-40s %-25s %-20s %6d %6d%n", rs.getLong(1), rs.getString(2),
            rs.getBoolean(3) ? "yes" : "no", rs.getString(4), joined(rs.getArray(5), "(all)"),
            joined(rs.getArray(6), ""), rs.getLong(7), rs.getLong(8));
      }
    }
    return Cli.OK;
  }

  int status(Args args) throws SQLException {
    args.allowOnly("status", Set.of());
    try (Connection c = db.connection()) {
      Map<String, Long> counts = new LinkedHashMap<>();
      for (DeliveryStatus s : DeliveryStatus.values()) {
        counts.put(s.sqlName(), 0L);
      }
      try (ResultSet rs = c.createStatement().executeQuery(
          "SELECT status, count(*) FROM webhook_delivery GROUP BY status")) {
        while (rs.next()) {
          counts.put(rs.getString(1), rs.getLong(2));
        }
      }
      StringBuilder line = new StringBuilder("Deliveries:");
      counts.forEach((k, v) -> line.append(' ').append(k).append(' ').append(v).append(','));
      out.println(line.substring(0, line.length() - 1));
      try (ResultSet rs = c.createStatement().executeQuery(
          "SELECT extract(epoch FROM now() - min(created_at)),"
              + " count(*) FILTER (WHERE next_attempt_at <= now())"
              + " FROM webhook_delivery WHERE status IN ('pending', 'failed')")) {
        rs.next();
        double age = rs.getDouble(1);
        out.println("Oldest waiting delivery: " + (rs.wasNull() ? "none" : String.format("%.1f s", age))
            + "; due now: " + rs.getLong(2));
      }
      try (ResultSet rs = c.createStatement().executeQuery(
          "SELECT count(*), extract(epoch FROM now() - min(captured_at))"
              + " FROM webhook_event WHERE routed_at IS NULL")) {
        rs.next();
        out.println("Events waiting to be routed: " + rs.getLong(1)
            + (rs.getLong(1) > 0 ? String.format(" (oldest %.1f s)", rs.getDouble(2)) : ""));
      }
      try (ResultSet rs = c.createStatement().executeQuery(
          "SELECT model, active, webhook_capture_installed(model) FROM webhook_tracked_model ORDER BY model")) {
        List<String> models = new ArrayList<>();
        while (rs.next()) {
          models.add(rs.getString(1) + (rs.getBoolean(2)
              ? (rs.getBoolean(3) ? "" : " (TRIGGERS MISSING: run `track " + rs.getString(1) + "`)")
              : " (untracked)"));
        }
        out.println("Tracked models: " + (models.isEmpty() ? "none (run `track res.partner`)" : String.join(", ", models)));
      }
      try (ResultSet rs = c.createStatement().executeQuery(
          "SELECT instance_id, version, extract(epoch FROM now() - last_seen_at) FROM webhook_sidecar_instance"
              + " WHERE stopped_at IS NULL AND last_seen_at > now() - interval '1 day' ORDER BY instance_id")) {
        List<String> alive = new ArrayList<>();
        while (rs.next()) {
          alive.add(String.format("%s %s (seen %.0f s ago)", rs.getString(1), rs.getString(2), rs.getDouble(3)));
        }
        out.println("Sidecars: " + (alive.isEmpty() ? "none running" : String.join(", ", alive)));
      }
    }
    return Cli.OK;
  }

  int replay(Args args) throws SQLException {
    args.allowOnly("replay", Set.of("id", "dead", "failed", "since", "dry-run"));
    int chosen = (args.has("id") ? 1 : 0) + (args.has("dead") ? 1 : 0) + (args.has("failed") ? 1 : 0)
        + (args.has("since") ? 1 : 0);
    if (chosen != 1) {
      throw new UsageException("Say which deliveries to replay: --id ID, --dead, --failed or --since TIME (one of them).");
    }
    try (Connection c = db.connection()) {
      List<Long> ids = new ArrayList<>();
      if (args.has("id")) {
        ids.add(parseLong(args.get("id"), "--id"));
      } else {
        String where = args.has("dead") ? "status = 'dead'" : args.has("failed") ? "status = 'failed'"
            : "status IN ('dead', 'failed') AND updated_at >= ?";
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT id FROM webhook_delivery WHERE " + where + " ORDER BY id")) {
          if (args.has("since")) {
            ps.setTimestamp(1, Timestamp.from(since(args.get("since"))));
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getLong(1));
            }
          }
        }
      }
      if (args.has("dry-run")) {
        out.println(ids.size() + " deliveries would be replayed" + (ids.isEmpty() ? "." : ": " + ids));
        return Cli.OK;
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT webhook_replay_delivery(?)")) {
        for (long id : ids) {
          ps.setLong(1, id);
          ps.executeQuery().close();
        }
      }
      out.println(ids.size() == 1 && args.has("id")
          ? "Delivery " + ids.get(0) + " is pending again and will be sent shortly."
          : ids.size() + " deliveries are pending again and will be sent shortly.");
    }
    return Cli.OK;
  }

  int cleanup(Args args) throws SQLException {
    args.allowOnly("cleanup", Set.of());
    var result = new CleanupJob(db, config).run();
    if (result == null) {
      throw new CommandException("Another sidecar is running the cleanup right now; try again later.");
    }
    out.println("Cleanup done. Removed: " + result);
    return Cli.OK;
  }

  private static Instant since(String text) {
    Duration ago = Durations.parse(text);
    if (ago != null) {
      return Instant.now().minus(ago);
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new UsageException("--since takes a time such as 2026-11-22T10:00:00Z or a duration such as 2h, not \"" + text + "\".");
    }
  }

  static long parseLong(String text, String option) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(option + " takes a whole number, not \"" + text + "\".");
    }
  }

  static List<String> csv(String text) {
    List<String> items = new ArrayList<>();
    for (String s : text.split(",")) {
      if (!s.isBlank()) {
        items.add(s.trim());
      }
    }
    return items;
  }

  private static String joined(Array a, String ifNull) throws SQLException {
    return a == null ? ifNull : String.join(",", Arrays.asList((String[]) a.getArray()));
  }

  /** A validated `subscriber add` command line. */
  static final class SubscriberSpec {
    String name;
    String url;
    String secret;
    boolean secretGenerated;
    List<String> models;
    List<String> events;
    List<String> fields;
    int timeoutMs;
    int maxRetries;
    long backoffBaseMs;
    double backoffFactor;
    Double rateLimit;
    int concurrency;
    Map<String, String> headers = new LinkedHashMap<>();

    static SubscriberSpec from(Args args) {
      SubscriberSpec s = new SubscriberSpec();
      s.name = required(args, "name").trim();
      if (s.name.isEmpty() || s.name.length() > 200) {
        throw new UsageException("--name must be 1 to 200 characters.");
      }
      s.url = required(args, "url").trim();
      String urlProblem = PostWebhook.problemWithUrl(s.url);
      if (urlProblem != null) {
        throw new UsageException("--url \"" + s.url + "\": " + urlProblem + ", e.g. https://example.com/hooks/odoo.");
      }
      s.secret = args.get("secret");
      if (s.secret == null) {
        s.secret = WebhookSigner.newSecret();
        s.secretGenerated = true;
      } else {
        String problem = WebhookSigner.problemWith(s.secret.trim());
        if (problem != null) {
          throw new UsageException("--secret: " + problem + ". Leave --secret out to have one generated.");
        }
        s.secret = s.secret.trim();
      }
      if (args.get("models") != null) {
        s.models = csv(args.get("models"));
        for (String m : s.models) {
          if (!MODEL.matcher(m).matches()) {
            throw new UsageException("--models: \"" + m + "\" is not an Odoo model name, e.g. res.partner.");
          }
        }
      }
      s.events = args.get("events") == null ? List.of("create", "write", "unlink") : csv(args.get("events"));
      if (s.events.isEmpty() || !EVENTS.containsAll(s.events)) {
        throw new UsageException("--events takes a comma list of create, write, unlink; got \"" + args.get("events") + "\".");
      }
      s.fields = args.get("fields") == null ? null : csv(args.get("fields"));
      s.timeoutMs = (int) durationMs(args, "timeout", "10s", 100, 300_000);
      s.maxRetries = (int) number(args, "max-retries", "5", 0, 100);
      s.backoffBaseMs = durationMs(args, "backoff-base", "60s", 10, 86_400_000);
      s.backoffFactor = number(args, "backoff-factor", "2", 1, 10);
      s.rateLimit = args.get("rate-limit") == null ? null : number(args, "rate-limit", null, 0.001, 100_000);
      s.concurrency = (int) number(args, "concurrency", "4", 1, 256);
      for (String h : args.all("header")) {
        int eq = h.indexOf('=');
        String name = eq > 0 ? h.substring(0, eq).trim() : "";
        if (!HEADER_NAME.matcher(name).matches()) {
          throw new UsageException("--header takes Name=Value, e.g. --header Authorization=Bearer abc; got \"" + h + "\".");
        }
        String headerProblem = PostWebhook.problemWithHeader(name);
        if (headerProblem != null) {
          throw new UsageException("--header " + name + " " + headerProblem + ".");
        }
        s.headers.put(name, h.substring(eq + 1).trim());
      }
      return s;
    }

    private static String required(Args args, String option) {
      String v = args.get(option);
      if (v == null) {
        throw new UsageException("`subscriber add` needs --" + option + ". See `subscriber add --help`.");
      }
      return v;
    }

    private static long durationMs(Args args, String option, String dflt, long min, long max) {
      String text = args.get(option) == null ? dflt : args.get(option);
      Duration d = Durations.parse(text);
      if (d == null || d.toMillis() < min || d.toMillis() > max) {
        throw new UsageException("--" + option + " takes a duration from " + Durations.format(Duration.ofMillis(min))
            + " to " + Durations.format(Duration.ofMillis(max)) + " such as 500ms, 10s or 2m; got \"" + text + "\".");
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
      throw new UsageException("--" + option + " takes a number from " + fmt(min) + " to " + fmt(max) + "; got \"" + text + "\".");
    }

    private static String fmt(double v) {
      return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
  }
}
