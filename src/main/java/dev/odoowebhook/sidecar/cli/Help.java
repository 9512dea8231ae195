package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.config.Setting;
import java.util.LinkedHashMap;
import java.util.Map;

/** The help texts: one per command, and the settings table generated from {@link Setting}. */
final class Help {
  static final Map<String, String> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put("migrate", "migrate\n  Creates or updates the webhook_* tables and functions (the SQL in sql/).");
    COMMANDS.put("track", "track MODEL... [--table TABLE] [--ignore COL,COL]\n"
        + "  Starts capturing changes of Odoo models, e.g. `track res.partner sale.order`.\n"
        + "  --table   the table, when it does not follow Odoo's naming (one model only)\n"
        + "  --ignore  columns whose change alone is no event (default write_date,write_uid)");
    COMMANDS.put("untrack", "untrack MODEL...\n"
        + "  Stops capturing changes of models; events already captured are still delivered.");
    COMMANDS.put("subscriber add", "subscriber add --name NAME --url URL [--secret whsec_...]\n"
        + "    [--models m1,m2] [--events create,write,unlink] [--fields f1,f2]\n"
        + "    [--timeout 10s] [--max-retries 5] [--backoff-base 60s] [--backoff-factor 2]\n"
        + "    [--rate-limit PER_SECOND] [--concurrency 4] [--header Name=Value]...\n"
        + "  Adds a receiver of webhooks. Without --secret a new one is generated and shown once.\n"
        + "  --models  models it wants (default: all tracked); --fields: writes only when one\n"
        + "  of these fields changed; retry n waits backoff-base * backoff-factor^(n-1).");
    COMMANDS.put("subscriber list", "subscriber list\n  Lists subscribers (secrets are not shown).");
    COMMANDS.put("token create", "token create --name NAME --models m1,m2\n"
        + "  Creates a bearer token for the pull API (an app or a device), allowed to read these\n"
        + "  models: names, prefixes such as product.*, or * for all. Shown once; stored hashed.");
    COMMANDS.put("token list", "token list\n  Lists API tokens: models, created, last used, revoked, devices (no tokens).");
    COMMANDS.put("token revoke", "token revoke NAME\n"
        + "  Revokes the active token of that name: its apps get 401 from the next request on.");
    COMMANDS.put("run", "run\n  Migrates, then captures and delivers until stopped (SIGTERM drains).");
    COMMANDS.put("status", "status\n  Deliveries per status, oldest pending age, events waiting, sidecars.");
    COMMANDS.put("cleanup", "cleanup\n"
        + "  Removes unsent deliveries and events of records that no longer exist, then\n"
        + "  history older than its retention (WEBHOOK_RETENTION_*). The sidecar also runs it\n"
        + "  every WEBHOOK_CLEANUP_INTERVAL; only one runs it at a time.");
    COMMANDS.put("replay", "replay (--id ID | --dead | --failed | --since TIME) [--dry-run]\n"
        + "  Sends deliveries again: one by id, all dead (or failed) ones, or all dead and\n"
        + "  failed ones updated since TIME (ISO 8601, e.g. 2026-11-22T10:00:00Z, or 2h for\n"
        + "  the last two hours). Attempts are reset; each gets a new webhook-id.");
  }

  private Help() {}

  static String usage() {
    StringBuilder b = new StringBuilder();
    b.append("odoo-webhook-sidecar: signed webhooks from Odoo's PostgreSQL.\n\n");
    b.append("Usage: java -jar odoo-webhook-sidecar.jar [SETTINGS] COMMAND [OPTIONS]\n\nCommands:\n");
    COMMANDS.values().forEach(t -> b.append("  ").append(t.replace("\n", "\n  ")).append("\n"));
    b.append("\nSettings (flag, or environment variable; flags win):\n");
    for (Setting s : Setting.values()) {
      b.append(String.format("  %-34s %s (default: %s)%n", s.flag() + " / " + s.env(),
          s.description(), s.defaultValue().isEmpty() ? "empty" : s.defaultValue()));
    }
    b.append("\n`COMMAND --help` shows one command.\n");
    return b.toString();
  }

  /** The settings as a Markdown table, for the README. */
  static String settingsMarkdown() {
    StringBuilder b = new StringBuilder("| Variable | Flag | Default | Meaning |\n|---|---|---|---|\n");
    for (Setting s : Setting.values()) {
      b.append("| `").append(s.env()).append("` | `").append(s.flag()).append("` | ")
          .append(s.defaultValue().isEmpty() ? "(empty)" : "`" + s.defaultValue() + "`")
          .append(" | ").append(s.description()).append(" |\n");
    }
    return b.toString();
  }
}
