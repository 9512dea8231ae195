// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

/** {@code subscriber resume NAME}: a paused subscriber's waiting deliveries are sent again. */
final class SubscriberResumeCommand extends SubscriberPausing {
  SubscriberResumeCommand() {
    super(false);
  }

  @Override
  public String name() {
    return "subscriber resume";
  }

  @Override
  public String help() {
    return "subscriber resume NAME\n  Sends to a paused subscriber again, starting with what waited.";
  }

  @Override
  String said(String name, boolean changed, long waiting) {
    return changed
        ? "Subscriber \""
            + name
            + "\" resumed: its "
            + waiting
            + " waiting deliveries will be sent"
            + " shortly."
        : "Subscriber \"" + name + "\" was not paused; " + waiting + " deliveries wait for it.";
  }
}
