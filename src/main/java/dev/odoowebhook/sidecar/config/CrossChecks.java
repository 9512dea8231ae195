// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.config;

import java.util.Map;

/**
 * The rules between settings, checked once when the configuration is built, after each value was
 * checked alone. Each failure names both settings and what to change. Stateless.
 */
final class CrossChecks {
  private CrossChecks() {}

  static void check(Map<Setting, Object> typed, Map<Setting, String> sources) {
    // No check of WEBHOOK_SHUTDOWN_GRACE against WEBHOOK_LEASE: the dispatcher renews the leases
    // of its in-flight deliveries while they run, through the drain too (DispatchDeliveries).
    int admin = (Integer) typed.get(Setting.HTTP_PORT);
    int pull = (Integer) typed.get(Setting.PULL_PORT);
    if (admin != 0 && admin == pull) {
      throw new ConfigException(
          sources.get(Setting.HTTP_PORT)
              + " and "
              + sources.get(Setting.PULL_PORT)
              + " are both "
              + admin
              + ": give the pull API another port, or 0 to turn it off.");
    }
  }
}
