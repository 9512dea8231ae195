// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Model patterns of tokens, profiles and devices: a model name ({@code sale.order}), a prefix
 * ending in {@code .*} ({@code product.*}) or {@code *} (every model). The same rule as
 * webhook_valid_model_patterns() in sql/V5. Stateless.
 */
public final class ModelPatterns {
  private static final Pattern VALID = Pattern.compile("\\*|[a-z0-9_]+(\\.[a-z0-9_]+)*(\\.\\*)?");

  private ModelPatterns() {}

  /** What is wrong with a pattern, or null if it is valid. */
  public static String problemWith(String pattern) {
    return pattern != null && VALID.matcher(pattern).matches()
        ? null
        : "\""
            + pattern
            + "\" is not a model or model pattern; use e.g. res.partner, product.* or *";
  }

  /** Sorted and without duplicates, so two selections compare equal when they mean the same. */
  public static List<String> normalized(List<String> patterns) {
    return new ArrayList<>(new TreeSet<>(patterns));
  }

  /** Whether a token scope allows a requested model or pattern. */
  public static boolean covers(String scope, String requested) {
    if (scope.equals("*") || scope.equals(requested)) {
      return true;
    }
    return scope.endsWith(".*") && requested.startsWith(scope.substring(0, scope.length() - 1));
  }

  /** The requested patterns no scope covers; empty when the token may read them all. */
  public static List<String> notCovered(List<String> scopes, List<String> requested) {
    List<String> refused = new ArrayList<>();
    for (String r : requested) {
      if (scopes.stream().noneMatch(s -> covers(s, r))) {
        refused.add(r);
      }
    }
    return refused;
  }

  /** SQL LIKE patterns for {@code model LIKE ANY (?)}: _ and % in names are taken literally. */
  public static String[] toLike(List<String> patterns) {
    String[] like = new String[patterns.size()];
    for (int i = 0; i < like.length; i++) {
      String p = patterns.get(i);
      boolean prefix = p.endsWith("*");
      String literal = prefix ? p.substring(0, p.length() - 1) : p;
      String escaped = literal.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%");
      like[i] = prefix ? escaped + "%" : escaped;
    }
    return like;
  }
}
