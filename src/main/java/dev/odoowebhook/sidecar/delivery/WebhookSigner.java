// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.StringJoiner;
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
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(keyOf(secret), "HmacSHA256"));
      mac.update((messageId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
    }
  }

  private static byte[] keyOf(String secret) {
    return Base64.getDecoder().decode(secret.substring(PREFIX.length()));
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
