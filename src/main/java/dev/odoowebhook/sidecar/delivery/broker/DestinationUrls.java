// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import dev.odoowebhook.sidecar.delivery.PostWebhook;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * The check of a subscriber's URL, for every destination: {@code http(s)://} ({@link PostWebhook})
 * and {@code kafka://}, {@code nats://} ({@link BrokerUrl}). The CLI calls it before it writes a
 * URL; the sidecar's destinations check their own kind with the same two methods when they send. It
 * lives here, beside the brokers, because this package already depends on {@code delivery} and
 * {@code delivery} must not depend on it.
 */
public final class DestinationUrls {
  private DestinationUrls() {}

  /** Null if some destination can take the URL, else the problem, to end a sentence. */
  public static String problemWith(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "not a valid URL (" + e.getReason() + ")";
    }
    if (BrokerUrl.isBrokerScheme(uri.getScheme())) {
      return BrokerUrl.problemWith(url);
    }
    if (!PostWebhook.isHttpScheme(uri.getScheme())) {
      return "only http://, https://, kafka:// and nats:// URLs can receive webhooks";
    }
    return PostWebhook.problemWithHttpUrl(uri);
  }
}
