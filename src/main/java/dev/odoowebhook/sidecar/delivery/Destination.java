// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/**
 * Where a signed message goes, chosen by the subscriber's URL scheme: {@link PostWebhook} for
 * {@code http(s)://}, {@code delivery.broker.BrokerDestinations} for {@code kafka://} and {@code
 * nats://}. Either way the delivery passes through the same Failsafe policies and retry schedule in
 * {@link SendDelivery}. Implementations never throw for a failure of the receiver (they return it)
 * and are thread-safe.
 */
public interface Destination {
  /** Whether this destination sends to URLs of this one's scheme. */
  boolean handles(URI url);

  /**
   * Sends one delivery's message (its {@link Delivery#messageId()}, its rendered body); a result
   * whose error type is null means the receiver has it.
   */
  AttemptResult send(Subscriber s, Delivery d, byte[] body, Duration timeout, Instant now);
}
