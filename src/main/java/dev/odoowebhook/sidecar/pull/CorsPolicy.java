// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import dev.odoowebhook.sidecar.config.ConfigException;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which browser origins may call the pull API (WEBHOOK_PULL_CORS_ORIGINS): an allow-list of exact
 * origins, or {@code *}. Empty allows none, so browsers are refused by default. Immutable.
 */
public final class CorsPolicy {
  private static final Pattern ORIGIN = Pattern.compile("https?://[^/\\s]+");

  private final Set<String> origins = new LinkedHashSet<>();
  private final boolean any;

  /**
   * @throws ConfigException naming the setting when an entry is not an origin
   */
  public CorsPolicy(String commaSeparated) {
    boolean star = false;
    for (String raw : commaSeparated.split(",")) {
      String o = raw.trim();
      if (o.endsWith("/")) {
        o = o.substring(0, o.length() - 1);
      }
      if (o.isEmpty()) {
        continue;
      }
      if (o.equals("*")) {
        star = true;
      } else if (ORIGIN.matcher(o).matches()) {
        origins.add(o.toLowerCase(Locale.ROOT));
      } else {
        throw new ConfigException(
            "Invalid WEBHOOK_PULL_CORS_ORIGINS entry \""
                + o
                + "\": expected an origin such as https://app.example.com (scheme and host, no path), or *.");
      }
    }
    this.any = star;
  }

  /** Whether a request's Origin header may read the answer. */
  public boolean allows(String origin) {
    return origin != null && (any || origins.contains(origin.toLowerCase(Locale.ROOT)));
  }
}
