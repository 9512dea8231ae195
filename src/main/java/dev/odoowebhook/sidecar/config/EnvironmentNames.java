// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The WEBHOOK_* names the sidecar knows: its settings (from {@link Setting}) and, listed once here,
 * the few variables that are not settings. Any other WEBHOOK_* variable is a mistake, most often a
 * misspelt setting that would otherwise be silently ignored (a misspelt
 * WEBHOOK_BLOCK_PRIVATE_TARGETS would leave SSRF protection off): {@link SidecarConfig} refuses to
 * build and names the closest known name. Thread-safe (stateless).
 */
public final class EnvironmentNames {
  /** Variables read by something else than the settings table. */
  public static final Set<String> NOT_SETTINGS =
      Set.of(
          "WEBHOOK_LOG_LEVEL", // logback.xml's root level, set before the settings are read
          "WEBHOOK_SECRET"); // the example receivers' signing secret (examples/,

  // docker-compose.yml)

  /** Prefixes of variables that are not settings: the tests' own (WEBHOOK_TEST_DB_URL, ...). */
  public static final List<String> NOT_SETTING_PREFIXES = List.of("WEBHOOK_TEST_");

  private static final String PREFIX = "WEBHOOK_";

  private EnvironmentNames() {}

  /** The WEBHOOK_* names of {@code env} that are neither a setting nor a known other variable. */
  public static Set<String> unknown(Map<String, String> env) {
    Set<String> unknown = new TreeSet<>();
    for (String name : env.keySet()) {
      if (name.startsWith(PREFIX) && !isKnown(name)) {
        unknown.add(name);
      }
    }
    return unknown;
  }

  private static boolean isKnown(String name) {
    if (NOT_SETTINGS.contains(name) || NOT_SETTING_PREFIXES.stream().anyMatch(name::startsWith)) {
      return true;
    }
    for (Setting s : Setting.values()) {
      if (s.env().equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** One clear line for unknown variables, each with the closest known name. */
  public static String problemWith(Set<String> unknown) {
    List<String> settingNames = new ArrayList<>();
    for (Setting s : Setting.values()) {
      settingNames.add(s.env());
    }
    List<String> parts = new ArrayList<>();
    for (String name : unknown) {
      parts.add(name + " (did you mean " + closest(name, settingNames) + "?)");
    }
    return "Unknown environment variable"
        + (unknown.size() > 1 ? "s " : " ")
        + String.join(", ", parts)
        + ". A misspelt setting would be ignored, so the sidecar does"
        + " not start: correct or remove it (see --help for every setting).";
  }

  /** The candidate nearest to {@code name} by edit distance (first of equals). */
  public static String closest(String name, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(name, c);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] t = previous;
      previous = current;
      current = t;
    }
    return previous[b.length()];
  }
}
