// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.capture;

import java.util.Locale;

/**
 * The state the router is in after one call of webhook_route_or_wait() (sql/R__webhook_route.sql),
 * and so what it does next. Most states are those of the wake-up handshake this package holds (the
 * waiting lock), hence it lives here rather than in route, which uses it.
 */
public enum RouterState {
  /** A full batch was routed: call again at once. */
  MORE,
  /** Nothing left, the waiting lock is held: sleep until a NOTIFY or the fallback poll. */
  WAITING,
  /** A writer that skipped its NOTIFY may still commit: call again shortly. */
  WRITER_OPEN,
  /** Another sidecar waits and will be notified, and so will this one: sleep. */
  ANOTHER_WAITS,
  /** Another sidecar's router holds the routing lock: call again shortly. */
  ANOTHER_ROUTES;

  public static RouterState fromSql(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }

  public String sqlName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
