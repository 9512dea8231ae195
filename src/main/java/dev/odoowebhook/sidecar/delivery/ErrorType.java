// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.util.Locale;

/**
 * Why an attempt failed, as stored in webhook_attempt.error_type and
 * webhook_delivery.last_error_type (a CHECK constraint lists the same values; a test ties them).
 */
public enum ErrorType {
  /** No complete answer within the subscriber's timeout, or the connect timed out. */
  TIMEOUT,
  /** The connection could not be made or broke (refused, reset, DNS). */
  CONNECTION,
  /** An answer outside 2xx. */
  HTTP_ERROR,
  /** 429 Too Many Requests. */
  RATE_LIMITED,
  /** 410 Gone: the receiver will never take it; dead at once. */
  GONE,
  /** The subscriber's URL or a custom header cannot be sent; dead at once. */
  INVALID_URL,
  /** The URL resolves to an internal address while WEBHOOK_BLOCK_PRIVATE_TARGETS is on. */
  BLOCKED_TARGET,
  /** The body would be larger than the sidecar sends (Payload.MAX_BYTES); dead at once. */
  PAYLOAD_TOO_LARGE,
  /** The record could not be read for a payload of mode record (e.g. a field was dropped). */
  RECORD_UNREADABLE,
  /** A failure inside the sidecar. */
  INTERNAL,
  /** The sidecar stopped during the request: the delivery is given back, no attempt recorded. */
  INTERRUPTED,
  /** Set by lease recovery: the sidecar that held the delivery stopped before recording it. */
  LEASE_EXPIRED,
  // Broker destinations (issue 23, delivery.broker; V18 adds them to the CHECK constraints):
  /** No JetStream stream covers the subject (or the Kafka topic does not exist); retried. */
  NO_STREAM,
  /** The broker refused the message (credentials, rights, a JetStream error); retried. */
  BROKER_ERROR;

  /** The value stored in the database, e.g. "http_error". */
  public String sqlName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
