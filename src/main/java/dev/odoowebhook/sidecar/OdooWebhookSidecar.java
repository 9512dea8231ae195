// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar;

import dev.odoowebhook.sidecar.cli.Cli;

/** Entry point of {@code java -jar odoo-webhook-sidecar.jar}: see {@link Cli} for the commands. */
public final class OdooWebhookSidecar {
  private OdooWebhookSidecar() {}

  public static void main(String[] args) {
    String command = Cli.commandOf(args);
    if (!"run".equals(command)) {
      // One-shot commands print their own result; library chatter would only get in the way.
      System.setProperty(
          "WEBHOOK_LOG_LEVEL", System.getenv().getOrDefault("WEBHOOK_LOG_LEVEL", "WARN"));
    }
    System.exit(new Cli(System.getenv(), System.out, System.err).run(args));
  }
}
