// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import dev.failsafe.RateLimiter;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One Failsafe rate limiter per API token (WEBHOOK_PULL_RATE_LIMIT requests per second, bursty: the
 * permits refill every second). Thread-safe.
 */
final class TokenRateLimits {
  /** How long a refused client should wait: the bursty limiter refills once per period. */
  static final Duration PERIOD = Duration.ofSeconds(1);

  private final int perSecond;
  private final ConcurrentMap<Long, RateLimiter<Object>> limiters = new ConcurrentHashMap<>();

  TokenRateLimits(int perSecond) {
    this.perSecond = perSecond;
  }

  int perSecond() {
    return perSecond;
  }

  /** Takes a permit for the token; false when it is over its limit. */
  boolean tryAcquire(long tokenId) {
    return limiters
        .computeIfAbsent(tokenId, id -> RateLimiter.burstyBuilder(perSecond, PERIOD).build())
        .tryAcquirePermit();
  }
}
