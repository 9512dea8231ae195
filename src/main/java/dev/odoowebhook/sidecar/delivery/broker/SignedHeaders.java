// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import dev.odoowebhook.sidecar.delivery.PostWebhook;
import dev.odoowebhook.sidecar.delivery.Subscriber;
import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The headers of a broker message: the subscriber's custom headers, then the same Standard Webhooks
 * headers an HTTP request carries (webhook-id, webhook-timestamp, webhook-signature) and the
 * content type, so a consumer can verify a message with any Standard Webhooks library and
 * deduplicate on webhook-id.
 */
final class SignedHeaders {
  private SignedHeaders() {}

  static Map<String, String> of(Subscriber s, String messageId, byte[] body, Instant now) {
    Map<String, String> headers = new LinkedHashMap<>();
    s.headers()
        .forEach(
            (name, value) -> {
              if (PostWebhook.problemWithHeader(name) == null) {
                headers.put(name, value);
              }
            });
    long timestamp = now.getEpochSecond();
    headers.put("content-type", "application/json");
    headers.put("webhook-id", messageId);
    headers.put("webhook-timestamp", Long.toString(timestamp));
    headers.put(
        "webhook-signature",
        WebhookSigner.signatureHeader(s.signingSecrets(now), messageId, timestamp, body));
    return headers;
  }
}
