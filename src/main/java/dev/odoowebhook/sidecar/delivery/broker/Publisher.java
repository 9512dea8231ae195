// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import dev.odoowebhook.sidecar.delivery.AttemptResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * One broker subscriber's client ({@link PublishToKafka}, {@link PublishToNats}): publishes one
 * delivery's message, addressed by its record, and waits for the broker's acknowledgement. Never
 * throws for a failure of the broker: it returns it ({@link Outcomes}). Thread-safe.
 */
interface Publisher extends AutoCloseable {
  AttemptResult publish(
      String model,
      long recordId,
      Map<String, String> headers,
      byte[] body,
      Duration timeout,
      Instant now);

  /** Closes the client; publishes still waiting for an acknowledgement are given up. */
  @Override
  void close();
}
