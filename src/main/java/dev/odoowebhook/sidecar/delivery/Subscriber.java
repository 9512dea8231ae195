// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A webhook_subscriber row as the dispatcher needs it. Immutable; secrets are never printed. A
 * paused subscriber is routed to but gets no deliveries claimed until it is resumed.
 */
public record Subscriber(
    long id,
    String name,
    URI url,
    String secret,
    String previousSecret,
    Instant previousSecretExpiresAt,
    boolean active,
    Duration timeout,
    Double rateLimitPerSecond,
    int maxConcurrency,
    Map<String, String> headers,
    Instant updatedAt,
    boolean paused,
    PayloadMode payload,
    /** For payload record: the fields to read; null means the model's captured fields. */
    List<String> recordFields) {

  /** An active-or-not subscriber that is not paused and sends ids (the defaults of its table). */
  public Subscriber(
      long id,
      String name,
      URI url,
      String secret,
      String previousSecret,
      Instant previousSecretExpiresAt,
      boolean active,
      Duration timeout,
      Double rateLimitPerSecond,
      int maxConcurrency,
      Map<String, String> headers,
      Instant updatedAt) {
    this(
        id,
        name,
        url,
        secret,
        previousSecret,
        previousSecretExpiresAt,
        active,
        timeout,
        rateLimitPerSecond,
        maxConcurrency,
        headers,
        updatedAt,
        false,
        PayloadMode.IDS,
        null);
  }

  /** The secrets that sign a message now: the current one, and the previous during a rotation. */
  public java.util.List<String> signingSecrets(Instant now) {
    if (previousSecret != null
        && (previousSecretExpiresAt == null || previousSecretExpiresAt.isAfter(now))) {
      return java.util.List.of(secret, previousSecret);
    }
    return java.util.List.of(secret);
  }

  /**
   * Whether the Failsafe policies built for {@code other} still fit this one. A new URL is a new
   * endpoint: its circuit breaker starts closed instead of inheriting the old URL's failures.
   */
  boolean samePolicySettings(Subscriber other) {
    return other != null
        && java.util.Objects.equals(url, other.url)
        && maxConcurrency == other.maxConcurrency
        && java.util.Objects.equals(rateLimitPerSecond, other.rateLimitPerSecond);
  }

  @Override
  public String toString() {
    return "Subscriber[id=" + id + ", name=" + name + ", url=" + url + "]";
  }
}
