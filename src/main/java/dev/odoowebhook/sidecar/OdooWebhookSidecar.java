package dev.odoowebhook.sidecar;

import dev.odoowebhook.sidecar.cli.Cli;

/**
 * Entry point of {@code java -jar odoo-webhook-sidecar.jar}: see {@link Cli} for the commands.
 */
public final class OdooWebhookSidecar {
  private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private OdooWebhookSidecar() {}

  public static void main(String[] args) {
    // On a 2-core machine the common pool gets a parallelism of 1, and CompletableFuture then
    // starts a new thread for every async step; java.net.http's sendAsync takes one such step
    // per request. Profiled draining a backlog: about 8% of the sidecar's CPU went to starting
    // those threads. Set before anything touches the common pool; an explicit setting wins.
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM, "2");
    }
    String command = Cli.commandOf(args);
    if (!"run".equals(command)) {
      // One-shot commands print their own result; library chatter would only get in the way.
      System.setProperty("WEBHOOK_LOG_LEVEL", System.getenv().getOrDefault("WEBHOOK_LOG_LEVEL", "WARN"));
    }
    System.exit(new Cli(System.getenv(), System.out, System.err).run(args));
  }
}
