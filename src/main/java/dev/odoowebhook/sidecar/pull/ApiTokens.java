// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import dev.odoowebhook.sidecar.delivery.PayloadMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Bearer tokens of the pull API (table webhook_api_token). A token is {@code whpt_} and 256 random
 * bits; only its SHA-256 is stored. A fast hash suffices because the input is random, not a
 * password: there is no dictionary to try, and a slow hash would only cost every request. Shown
 * once at creation, revocable by name. Thread-safe.
 */
public final class ApiTokens {
  public static final String PREFIX = "whpt_";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Characters of a token: the prefix and 32 bytes in unpadded base64url. */
  private static final int LENGTH = PREFIX.length() + 43;

  private ApiTokens() {}

  /** A new random token. */
  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Hex SHA-256 of a token, as stored in webhook_api_token.token_hash. */
  public static String hash(String token) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("This JVM has no SHA-256", e);
    }
  }

  /**
   * Creates a token for a name and model patterns and returns it (the only time it is seen).
   *
   * @throws SQLException 23505 when an active token has that name
   */
  public static String create(Connection c, String name, List<String> models) throws SQLException {
    return create(c, name, models, PayloadMode.IDS);
  }

  /** The same, with what the token's answers carry (ids, changes, record). */
  public static String create(Connection c, String name, List<String> models, PayloadMode content)
      throws SQLException {
    String token = newToken();
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO webhook_api_token (name, token_hash, models, content) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, name);
      ps.setString(2, hash(token));
      ps.setArray(3, c.createArrayOf("text", models.toArray()));
      ps.setString(4, content.sqlName());
      ps.executeUpdate();
    }
    return token;
  }

  /** Revokes the active token of a name; false if there is none. */
  public static boolean revoke(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE webhook_api_token SET revoked_at = now() WHERE name = ? AND revoked_at IS NULL")) {
      ps.setString(1, name);
      return ps.executeUpdate() > 0;
    }
  }

  /**
   * The active token a request presents, or empty: unknown, revoked and malformed are not told
   * apart. Refreshes last_used_at at most once a minute.
   */
  public static Optional<ApiToken> authenticate(Connection c, String token) throws SQLException {
    if (token == null || token.length() != LENGTH || !token.startsWith(PREFIX)) {
      return Optional.empty();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "WITH t AS (SELECT id, name, models, content, last_used_at FROM webhook_api_token"
                + "          WHERE token_hash = ? AND revoked_at IS NULL),"
                + " touched AS (UPDATE webhook_api_token u SET last_used_at = now() FROM t"
                + "              WHERE u.id = t.id AND (t.last_used_at IS NULL"
                + "                                     OR t.last_used_at < now() - interval '1 minute'))"
                + " SELECT id, name, models, content FROM t")) {
      ps.setString(1, hash(token));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new ApiToken(
                rs.getLong(1),
                rs.getString(2),
                strings(rs.getArray(3)),
                PayloadMode.fromSql(rs.getString(4))));
      }
    }
  }

  static List<String> strings(Array a) throws SQLException {
    return a == null ? null : Arrays.asList((String[]) a.getArray());
  }
}
