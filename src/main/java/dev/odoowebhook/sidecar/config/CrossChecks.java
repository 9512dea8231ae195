package dev.odoowebhook.sidecar.config;

import java.time.Duration;
import java.util.Map;

/**
 * The rules between settings, checked once when the configuration is built, after each value
 * was checked alone. Each failure names both settings and what to change. Stateless.
 */
final class CrossChecks {
  private CrossChecks() {}

  static void check(Map<Setting, Object> typed, Map<Setting, String> sources) {
    // A delivery still running when its lease ends may be claimed and sent by another sidecar.
    Duration grace = (Duration) typed.get(Setting.SHUTDOWN_GRACE);
    Duration lease = (Duration) typed.get(Setting.LEASE);
    if (grace.compareTo(lease) > 0) {
      throw new ConfigException(sources.get(Setting.SHUTDOWN_GRACE) + " = "
          + Durations.format(grace) + " is longer than " + sources.get(Setting.LEASE) + " = " + Durations.format(lease)
          + ": a delivery still draining after its lease ended could be sent again by another"
          + " sidecar. Make the grace shorter or the lease longer.");
    }
    int admin = (Integer) typed.get(Setting.HTTP_PORT);
    int pull = (Integer) typed.get(Setting.PULL_PORT);
    if (admin != 0 && admin == pull) {
      throw new ConfigException(sources.get(Setting.HTTP_PORT) + " and "
          + sources.get(Setting.PULL_PORT) + " are both " + admin + ": give the pull API another port, or 0 to turn it off.");
    }
  }
}
