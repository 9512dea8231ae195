// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * WEBHOOK_DB_URL taken apart once: the credentials it may carry ({@code user:pass@host} or {@code
 * ?user=..&password=..}) are moved out, so {@link #withoutCredentials()} is safe to log and print
 * anywhere, and the connection parameters (sslmode, sslrootcert, ...) are read for the LISTEN
 * connection, which speaks another driver. Immutable.
 */
public final class JdbcUrl {
  public static final String PREFIX = "jdbc:postgresql://";
  public static final String MASK = "<masked>";

  /** pgjdbc's sslmode values; pgjdbc-ng's ssl.mode takes the same words. */
  public static final List<String> SSL_MODES =
      List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

  // key=value pairs whose key ends in "password" (password, sslpassword), in URLs or messages.
  private static final Pattern PASSWORD_PARAMETER =
      Pattern.compile("(?i)(\\b[a-z.]*password=)[^&\\s;,)]*");
  // scheme://user:password@host
  private static final Pattern USERINFO_PASSWORD = Pattern.compile("(://[^/:@\\s]*:)[^@/\\s]*@");

  private final String given;
  private final String withoutCredentials;
  private final String user;
  private final String password;
  private final Map<String, String> parameters;

  private JdbcUrl(
      String given,
      String withoutCredentials,
      String user,
      String password,
      Map<String, String> parameters) {
    this.given = given;
    this.withoutCredentials = withoutCredentials;
    this.user = user;
    this.password = password;
    this.parameters = Collections.unmodifiableMap(parameters);
  }

  /** Takes apart a URL that starts with {@link #PREFIX}. */
  public static JdbcUrl parse(String url) {
    String rest = url.substring(PREFIX.length());
    int q = rest.indexOf('?');
    String location = q >= 0 ? rest.substring(0, q) : rest;
    String query = q >= 0 ? rest.substring(q + 1) : "";
    String user = null;
    String password = null;
    int slash = location.indexOf('/');
    int at = location.lastIndexOf('@', slash >= 0 ? slash : location.length());
    if (at >= 0) {
      String userInfo = location.substring(0, at);
      location = location.substring(at + 1);
      int colon = userInfo.indexOf(':');
      user = decode(colon >= 0 ? userInfo.substring(0, colon) : userInfo);
      password = colon >= 0 ? decode(userInfo.substring(colon + 1)) : null;
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    List<String> kept = new ArrayList<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = decode(eq >= 0 ? pair.substring(0, eq) : pair);
      String value = eq >= 0 ? decode(pair.substring(eq + 1)) : "";
      if (key.equals("user")) {
        user = value;
      } else if (key.equals("password")) {
        password = value;
      } else {
        parameters.put(key, value);
        kept.add(pair);
      }
    }
    String clean = PREFIX + location + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
    return new JdbcUrl(url, clean, user, password, parameters);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // pgjdbc takes a stray % as it is
    }
  }

  /** Any text with the passwords of JDBC URLs in it replaced by {@link #MASK}. */
  public static String mask(String text) {
    if (text == null) {
      return null;
    }
    String masked = PASSWORD_PARAMETER.matcher(text).replaceAll("$1" + MASK);
    return USERINFO_PASSWORD.matcher(masked).replaceAll("$1" + MASK + "@");
  }

  /** The URL to connect with: the given one without user and password. Safe to print. */
  public String withoutCredentials() {
    return withoutCredentials;
  }

  /** The URL as given with its passwords masked, for the effective configuration. */
  public String display() {
    return mask(given);
  }

  /** The user named in the URL, or null. */
  public String user() {
    return user;
  }

  /** The password given in the URL, or null. Never log it. */
  public String password() {
    return password;
  }

  /** The connection parameters after '?', decoded, without user and password. */
  public Map<String, String> parameters() {
    return parameters;
  }

  /** host[:port]/database, without the scheme and parameters. */
  public String location() {
    String rest = withoutCredentials.substring(PREFIX.length());
    int q = rest.indexOf('?');
    return q >= 0 ? rest.substring(0, q) : rest;
  }

  @Override
  public String toString() {
    return display();
  }
}
