// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.demo;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The `demo` command's work: an embedded PostgreSQL with an Odoo-like database, the sidecar in this
 * process, a receiver that verifies every signature, and a stream of changes; then it runs until
 * SIGTERM or SIGINT, when {@link #stop} ends everything in reverse order and removes the data
 * folder. Start and stop may run on different threads (stop from a shutdown hook).
 */
public final class Demo {
  /** The admin port of the sidecar, as in production; another is taken when it is busy. */
  private static final int DEFAULT_ADMIN_PORT = 8075;

  private final PrintStream out;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private DemoPostgres postgres;
  private VerifyingReceiver receiver;
  private Sidecar sidecar;
  private Connection odoo;
  private volatile boolean stopping;

  public Demo(PrintStream out) {
    this.out = out;
  }

  /**
   * Starts everything and makes the changes; returns when they are delivered (the demo then keeps
   * running until {@link #stop}).
   *
   * @param settings the command line's settings; the database ones are the demo's own
   */
  public void start(SidecarConfig settings) throws IOException, SQLException, InterruptedException {
    out.println(
        "odoo-webhook-sidecar demo: an embedded PostgreSQL with an Odoo-like database, the"
            + " sidecar, and a receiver that verifies every signature. Ctrl-C stops it all.");
    postgres = DemoPostgres.start();
    out.println(
        "PostgreSQL "
            + postgres.version()
            + " at "
            + postgres.url()
            + " (user "
            + DemoPostgres.USER
            + ", no password), data in "
            + postgres.dataFolder());
    odoo = DriverManager.getConnection(postgres.url(), DemoPostgres.USER, "");
    OdooLikeDatabase.createOdooTables(odoo);
    String secret = OdooLikeDatabase.newSecret();
    receiver = new VerifyingReceiver(secret, out);

    SidecarConfig config = configFor(settings);
    sidecar = Sidecar.start(config);
    // Sidecar.start migrated the schema; the demo tracks and subscribes as `track` and
    // `subscriber add` would.
    OdooLikeDatabase.installSidecar(sidecar.database().dataSource(), odoo);
    OdooLikeDatabase.addSubscribers(odoo, receiver.url(), secret);
    out.println(
        "Tracking res.partner ("
            + String.join(", ", OdooLikeDatabase.PARTNER_FIELDS)
            + ") and sale.order ("
            + String.join(", ", OdooLikeDatabase.ORDER_FIELDS)
            + ").");
    out.println(
        "Subscribers: \""
            + OdooLikeDatabase.ALL_CHANGES
            + "\" (both models, payload"
            + " changes) and \""
            + OdooLikeDatabase.CONFIRMED_ORDERS
            + "\" (sale.order, domain "
            + OdooLikeDatabase.CONFIRMED_DOMAIN
            + ", fields state), both at "
            + receiver.url());
    String admin = "http://" + config.text(Setting.HTTP_HOST) + ":" + sidecar.adminPort();
    out.println(
        sidecar.adminPort() == 0
            ? "Sidecar running (no /health nor /metrics: WEBHOOK_HTTP_PORT=0)"
            : "Sidecar running: health " + admin + "/health, metrics " + admin + "/metrics");

    new ChangeStream(odoo, receiver, out).run();
    out.println();
    out.println(
        "Done: "
            + receiver.verified()
            + " deliveries verified, "
            + receiver.refused()
            + " refused once and retried, "
            + receiver.invalid()
            + " with a bad signature. Still"
            + " running: psql -h 127.0.0.1 -p "
            + postgres.port()
            + " -U "
            + DemoPostgres.USER
            + " "
            + DemoPostgres.DATABASE
            + " to make changes of your own; Ctrl-C stops everything and"
            + " removes the data.");
  }

  /** The command line's settings, pointed at the demo's database and a free admin port. */
  private SidecarConfig configFor(SidecarConfig settings) throws IOException {
    Map<Setting, String> values = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      values.put(s, settings.text(s));
    }
    values.put(Setting.DB_URL, postgres.url());
    values.put(Setting.DB_USER, DemoPostgres.USER);
    values.put(Setting.DB_PASSWORD, "");
    values.put(Setting.INSTANCE_ID, "demo");
    values.put(Setting.SHUTDOWN_GRACE, "2s");
    values.put(Setting.STARTUP_WAIT, "10s");
    int port = settings.integer(Setting.HTTP_PORT);
    if (port == DEFAULT_ADMIN_PORT && !isFree(port)) {
      values.put(Setting.HTTP_PORT, Integer.toString(freePort()));
    }
    return SidecarConfig.from(values, Map.of());
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return s.isBound();
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Whether {@link #stop} has begun: errors of the change stream are then expected. */
  public boolean stopping() {
    return stopping;
  }

  /** Blocks until {@link #stop} has finished. */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  /**
   * Stops the sidecar (draining in-flight deliveries), the receiver and PostgreSQL, and removes the
   * data folder, whatever start got to. Only the first call does anything.
   */
  public synchronized void stop() {
    if (stopping) {
      return;
    }
    stopping = true;
    try {
      if (sidecar != null) {
        sidecar.stop();
      }
      if (odoo != null) {
        try {
          odoo.close();
        } catch (SQLException e) {
          // The server may be gone already; nothing to release then.
        }
      }
      if (receiver != null) {
        receiver.close();
      }
      if (postgres != null) {
        try {
          postgres.close();
          out.println("Stopped: PostgreSQL stopped, " + postgres.dataFolder() + " removed.");
        } catch (IOException e) {
          out.println(
              "Stopped, but " + postgres.dataFolder() + " could not be removed: " + e.getMessage());
        }
      }
    } finally {
      stopped.countDown();
    }
  }
}
