// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.config.Setting;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The help texts: one per command (from {@link CommandTable}), and the settings table from {@link
 * Setting}.
 */
final class Help {
  /** Command name to its help text, in the order of {@link CommandTable}. */
  static final Map<String, String> COMMANDS = new LinkedHashMap<>();

  static {
    CommandTable.ALL.forEach(c -> COMMANDS.put(c.name(), c.help()));
  }

  private Help() {}

  static String usage() {
    StringBuilder b = new StringBuilder();
    b.append("odoo-webhook-sidecar: signed webhooks from Odoo's PostgreSQL.\n\n");
    b.append(
        "Usage: java -jar odoo-webhook-sidecar.jar [SETTINGS] COMMAND [OPTIONS]\n\nCommands:\n");
    COMMANDS.values().forEach(t -> b.append("  ").append(t.replace("\n", "\n  ")).append("\n"));
    b.append("\nSettings (flag, or environment variable; flags win):\n");
    for (Setting s : Setting.values()) {
      b.append(
          String.format(
              "  %-34s %s (default: %s%s)%n",
              s.flag() + " / " + s.env(),
              s.description(),
              s.defaultValue().isEmpty() ? "empty" : s.defaultValue(),
              s.range().isEmpty() ? "" : "; " + s.range()));
    }
    b.append("\n`COMMAND --help` shows one command.\n");
    return b.toString();
  }

  /** The settings as a Markdown table, for the README. */
  static String settingsMarkdown() {
    StringBuilder b =
        new StringBuilder(
            "| Variable | Flag | Default | Accepted | Meaning |\n|---|---|---|---|---|\n");
    for (Setting s : Setting.values()) {
      b.append("| `")
          .append(s.env())
          .append("` | `")
          .append(s.flag())
          .append("` | ")
          .append(s.defaultValue().isEmpty() ? "(empty)" : "`" + s.defaultValue() + "`")
          .append(" | ")
          .append(s.range().isEmpty() ? "" : s.range())
          .append(" | ")
          .append(s.description())
          .append(" |\n");
    }
    return b.toString();
  }
}
