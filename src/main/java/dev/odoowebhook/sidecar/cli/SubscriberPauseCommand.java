// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

/**
 * {@code subscriber pause NAME}: events are still routed to it and wait as pending deliveries; no
 * sidecar sends any until {@code subscriber resume}. Deliveries in flight finish.
 */
final class SubscriberPauseCommand extends SubscriberPausing {
  SubscriberPauseCommand() {
    super(true);
  }

  @Override
  public String name() {
    return "subscriber pause";
  }

  @Override
  public String help() {
    return "subscriber pause NAME\n"
        + "  Stops sending to a subscriber (e.g. while its receiver is down for maintenance):\n"
        + "  its events still become deliveries and wait; `subscriber resume NAME` sends them.";
  }

  @Override
  String said(String name, boolean changed, long waiting) {
    return "Subscriber \""
        + name
        + "\" "
        + (changed ? "paused" : "was paused already")
        + ": its events wait as deliveries and nothing is sent until `subscriber resume "
        + name
        + "`.";
  }
}
