// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.config.Setting;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed command line: settings flags (--db-url ..., from the {@link Setting} table), the words
 * of the command, and the command's own options. Options are {@code --name value} or {@code
 * --name=value}; a switch (see {@link #SWITCHES}) takes no value; an option may repeat.
 */
final class Args {
  /** Options that take no value. */
  static final Set<String> SWITCHES =
      Set.of(
          "help",
          "dead",
          "cancelled",
          "failed",
          "dry-run",
          "yes",
          "keep-paused",
          BrokerCredentialOptions.CLEAR);

  final Map<Setting, String> settings = new EnumMap<>(Setting.class);
  final List<String> words = new ArrayList<>();
  final Map<String, List<String>> options = new LinkedHashMap<>();

  static Args parse(String[] argv) {
    Args a = new Args();
    for (int i = 0; i < argv.length; i++) {
      String arg = argv[i];
      if (arg.equals("-h")) {
        arg = "--help";
      }
      if (!arg.startsWith("--") || arg.equals("--")) {
        a.words.add(arg);
        continue;
      }
      String name = arg.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (value == null && !SWITCHES.contains(name)) {
        if (i + 1 >= argv.length) {
          throw new UsageException(
              "Option --" + name + " needs a value, e.g. --" + name + " VALUE.");
        }
        value = argv[++i];
      }
      Setting setting = settingForFlag("--" + name);
      if (setting != null) {
        a.settings.put(setting, value);
      } else {
        a.options.computeIfAbsent(name, k -> new ArrayList<>()).add(value == null ? "true" : value);
      }
    }
    return a;
  }

  private static Setting settingForFlag(String flag) {
    for (Setting s : Setting.values()) {
      if (s.flag().equals(flag)) {
        return s;
      }
    }
    return null;
  }

  boolean has(String option) {
    return options.containsKey(option);
  }

  /** The single value of an option, or null. */
  String get(String option) {
    List<String> values = options.get(option);
    if (values == null) {
      return null;
    }
    if (values.size() > 1) {
      throw new UsageException("Option --" + option + " was given more than once.");
    }
    return values.get(0);
  }

  List<String> all(String option) {
    return options.getOrDefault(option, List.of());
  }

  /** Rejects options the command does not know, naming the first one. */
  void allowOnly(String command, Set<String> known) {
    for (String o : options.keySet()) {
      if (!known.contains(o) && !o.equals("help")) {
        throw new UsageException(
            "Unknown option --" + o + " for `" + command + "`. See `" + command + " --help`.");
      }
    }
  }
}
