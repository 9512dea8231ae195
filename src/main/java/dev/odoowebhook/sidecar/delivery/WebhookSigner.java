// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures: {@code v1,<base64 HMAC-SHA256 of "id.timestamp.body">} with the key
 * from a {@code whsec_<base64>} secret; several signatures, space-separated, while a secret
 * rotates. Written here rather than taken from a library because it is a dozen lines of JDK crypto,
 * and the tests check it against a third-party verifier. Thread-safe.
 */
public final class WebhookSigner {
  public static final String PREFIX = "whsec_";

  /** Standard Webhooks secrets are 24 to 64 random bytes. */
  public static final int MIN_SECRET_BYTES = 24;

  public static final int MAX_SECRET_BYTES = 64;

  private WebhookSigner() {}

  /** The webhook-signature header value for a message. */
  public static String signatureHeader(
      List<String> secrets, String messageId, long timestampSeconds, byte[] body) {
    StringJoiner header = new StringJoiner(" ");
    for (String secret : secrets) {
      header.add("v1," + sign(secret, messageId, timestampSeconds, body));
    }
    return header.toString();
  }

  static String sign(String secret, String messageId, long timestampSeconds, byte[] body) {
    try {
      Mac mac = MAC.get();
      mac.init(keyOf(secret));
      mac.update((messageId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
    }
  }

  /**
   * One Mac per thread: looking the algorithm up in the security providers cost as much as the
   * signature itself, once per delivery (profiled while draining a backlog).
   */
  private static final ThreadLocal<Mac> MAC =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Mac.getInstance("HmacSHA256");
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
            }
          });

  /** Keys by secret, decoded once; a handful of secrets, so cleared rather than evicted. */
  private static final Map<String, SecretKeySpec> KEYS = new ConcurrentHashMap<>();

  private static final int MAX_KEYS = 1024;

  private static SecretKeySpec keyOf(String secret) {
    SecretKeySpec key = KEYS.get(secret);
    if (key == null) {
      key =
          new SecretKeySpec(
              Base64.getDecoder().decode(secret.substring(PREFIX.length())), "HmacSHA256");
      if (KEYS.size() >= MAX_KEYS) {
        KEYS.clear(); // secrets rotated many times over: start again
      }
      KEYS.put(secret, key);
    }
    return key;
  }

  /** What is wrong with a secret, or null if it is a valid Standard Webhooks secret. */
  public static String problemWith(String secret) {
    if (secret == null || !secret.startsWith(PREFIX)) {
      return "a secret must start with " + PREFIX + " followed by base64";
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      return "the part after " + PREFIX + " is not valid base64";
    }
    if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
      return "the key must be "
          + MIN_SECRET_BYTES
          + " to "
          + MAX_SECRET_BYTES
          + " bytes, this one has "
          + key.length;
    }
    return null;
  }

  /** A new random secret of 32 bytes. */
  public static String newSecret() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }
}
