// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar;

import dev.odoowebhook.sidecar.admin.AdminServer;
import dev.odoowebhook.sidecar.capture.EventListener;
import dev.odoowebhook.sidecar.capture.Wakeup;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.delivery.DeliveryStore;
import dev.odoowebhook.sidecar.delivery.DispatchDeliveries;
import dev.odoowebhook.sidecar.delivery.PostWebhook;
import dev.odoowebhook.sidecar.delivery.RecordSent;
import dev.odoowebhook.sidecar.delivery.SendDelivery;
import dev.odoowebhook.sidecar.delivery.SubscriberDirectory;
import dev.odoowebhook.sidecar.delivery.TargetPolicy;
import dev.odoowebhook.sidecar.delivery.broker.BrokerDestinations;
import dev.odoowebhook.sidecar.identity.Installation;
import dev.odoowebhook.sidecar.jobs.CleanupJob;
import dev.odoowebhook.sidecar.jobs.Heartbeat;
import dev.odoowebhook.sidecar.jobs.PeriodicJob;
import dev.odoowebhook.sidecar.jobs.RecordBreakerStates;
import dev.odoowebhook.sidecar.jobs.RecoverLeases;
import dev.odoowebhook.sidecar.jobs.RefreshStatistics;
import dev.odoowebhook.sidecar.jobs.RunRequestedJobs;
import dev.odoowebhook.sidecar.metrics.LoopLiveness;
import dev.odoowebhook.sidecar.metrics.SidecarMetrics;
import dev.odoowebhook.sidecar.persistence.Database;
import dev.odoowebhook.sidecar.persistence.DatabaseErrors;
import dev.odoowebhook.sidecar.persistence.SchemaMigrator;
import dev.odoowebhook.sidecar.pull.PullServer;
import dev.odoowebhook.sidecar.route.RouteEvents;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running sidecar. This class only wires: {@link #start} builds the parts from the
 * configuration and runs the start-up steps in order (the database pool, wait for the database,
 * migrate, the installation identity check that holds deliveries on a copy of the database, the
 * admin and pull servers, the heartbeat, the listener, the recorder and the dispatcher, the router,
 * the scheduled jobs); {@link #stop} undoes them in reverse, draining in-flight deliveries on the
 * way. A start that fails half-way undoes what it started (ports released, threads stopped). Each
 * part's own work lives in its package.
 */
public final class Sidecar {
  private static final Logger log = LoggerFactory.getLogger(Sidecar.class);

  /** How often a sidecar looks for jobs an admin asked for now ("Run now" in the addon). */
  private static final Duration REQUESTED_JOBS_POLL = Duration.ofSeconds(5);

  /** How long one start-up try may take: a firewalled host must not hide the other tries. */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

  private static final Duration MAX_PAUSE = Duration.ofSeconds(15);

  private final SidecarConfig config;
  private final Lifecycle lifecycle = new Lifecycle();
  private final SidecarMetrics metrics = new SidecarMetrics();
  private Database db;
  private EventListener listener;
  private AdminServer admin;
  private PullServer pull;
  private DispatchDeliveries dispatcher;

  private Sidecar(SidecarConfig config) {
    this.config = config;
  }

  /**
   * Starts a sidecar: waits for the database (up to WEBHOOK_STARTUP_WAIT), migrates the schema and
   * starts the pipeline.
   *
   * @throws SQLException if the database stayed unreachable, the schema cannot be applied, or a
   *     port cannot be opened (its message says which setting to change)
   */
  public static Sidecar start(SidecarConfig config) throws SQLException {
    log.info(
        "Starting odoo-webhook-sidecar {} as {} with:{}{}",
        version(),
        config.instanceId(),
        System.lineSeparator(),
        config.describe());
    Sidecar sidecar = new Sidecar(config);
    try {
      sidecar.runStartupSteps();
    } catch (SQLException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("Start-up failed: " + e.getMessage(), e);
    }
    log.info("Sidecar {} running.", config.instanceId());
    return sidecar;
  }

  private void runStartupSteps() throws Exception {
    String id = config.instanceId();
    Duration poll = config.duration(Setting.POLL_INTERVAL);
    Wakeup eventWakeup = new Wakeup();
    Wakeup dispatchWakeup = new Wakeup();

    lifecycle.step(
        "database pool",
        () -> {
          db =
              Database.open(
                  config,
                  config.integer(Setting.POOL_SIZE),
                  "webhook-pool",
                  metrics.poolRegistry());
          return db::close;
        });
    lifecycle.step(
        "wait for the database",
        () -> {
          waitForDatabase();
          return null;
        });
    lifecycle.step(
        "migrate",
        () -> {
          log.info("Schema at version {}.", SchemaMigrator.migrate(db.dataSource()));
          SchemaMigrator.refreshCapture(db.dataSource());
          return null;
        });
    lifecycle.step(
        "installation identity",
        () -> {
          Installation.checkAtStart(db.dataSource()); // on a copy: holds deliveries, logs it
          return null;
        });

    SubscriberDirectory subscribers =
        new SubscriberDirectory(
            db, config.integer(Setting.BREAKER_FAILURES), config.duration(Setting.BREAKER_DELAY));
    listener = new EventListener(config, eventWakeup);

    lifecycle.step(
        "admin HTTP server",
        () -> {
          int port = config.integer(Setting.HTTP_PORT);
          if (port == 0) {
            return null;
          }
          admin =
              openPort(
                  "admin HTTP",
                  Setting.HTTP_HOST,
                  Setting.HTTP_PORT,
                  () ->
                      new AdminServer(
                          config.text(Setting.HTTP_HOST),
                          port,
                          db,
                          listener,
                          metrics,
                          subscribers::openBreakers,
                          id,
                          version()));
          return admin::close;
        });
    lifecycle.step(
        "pull API server",
        () -> {
          if (config.integer(Setting.PULL_PORT) == 0) {
            return null;
          }
          pull =
              openPort(
                  "pull API",
                  Setting.PULL_HOST,
                  Setting.PULL_PORT,
                  () -> PullServer.start(config, db, metrics));
          return pull::close;
        });
    Heartbeat heartbeat = new Heartbeat(db, id);
    lifecycle.step(
        "heartbeat",
        () -> {
          heartbeat.started(SidecarConfig.host(), version());
          return heartbeat::stopped;
        });
    lifecycle.step(
        "listener",
        () -> {
          if (!listener.ensureConnected()) {
            listener.reconnectInBackground(); // the router polls meanwhile
          }
          return listener::close;
        });

    DeliveryStore store = new DeliveryStore(db);
    RecordSent recordSent = new RecordSent(store, id);
    lifecycle.step(
        "recorder of sent deliveries",
        () -> {
          metrics.loops.watch("recorder of sent deliveries", recordSent, LoopLiveness.MIN_BOUND);
          recordSent.start();
          return recordSent::close;
        });
    PostWebhook http =
        new PostWebhook(
            config.duration(Setting.CONNECT_TIMEOUT),
            version(),
            new TargetPolicy(
                config.bool(Setting.BLOCK_PRIVATE_TARGETS), config.text(Setting.TARGET_ALLOWLIST)),
            config.integer(Setting.WORKERS));
    // Issue 23 hook: kafka:// and nats:// subscribers; closed after the dispatcher has drained.
    BrokerDestinations brokers = new BrokerDestinations(db, id);
    lifecycle.step("broker destinations", () -> brokers::close);
    SendDelivery sender =
        new SendDelivery(
            subscribers,
            store,
            recordSent,
            http,
            brokers,
            metrics,
            id,
            config.bool(Setting.LOG_DELIVERIES));
    dispatcher =
        new DispatchDeliveries(
            store,
            sender,
            http,
            subscribers,
            dispatchWakeup,
            metrics,
            new DispatchDeliveries.Settings(
                id, config.integer(Setting.WORKERS), config.duration(Setting.LEASE), poll));
    lifecycle.step(
        "dispatcher",
        () -> {
          metrics.loops.watch("dispatcher", dispatcher, LoopLiveness.boundFor(poll));
          Thread thread = daemon(dispatcher, "webhook-dispatcher");
          thread.start();
          return () -> {
            log.info(
                "Stopping: no new deliveries are claimed; {} in flight.", dispatcher.inFlight());
            dispatcher.stopClaiming();
            join(thread);
            dispatcher.drain(config.duration(Setting.SHUTDOWN_GRACE));
          };
        });

    RouteEvents router =
        new RouteEvents(
            db,
            listener,
            eventWakeup,
            dispatchWakeup,
            metrics,
            config.integer(Setting.ROUTE_BATCH),
            poll,
            config.duration(Setting.ROUTE_MIN_INTERVAL));
    lifecycle.step(
        "router",
        () -> {
          metrics.loops.watch("router", router, LoopLiveness.boundFor(poll));
          Thread thread = daemon(router, "webhook-router");
          thread.start();
          return () -> {
            router.stop();
            join(thread);
          };
        });
    lifecycle.step(
        "scheduled jobs",
        () -> {
          ScheduledExecutorService jobs = scheduleJobs(heartbeat, subscribers);
          return jobs::shutdownNow;
        });
  }

  /**
   * The heartbeat, lease recovery, statistics refresh and cleanup, on a scheduler of their own.
   * Several threads: a long cleanup must not hold up the heartbeat or lease recovery.
   */
  private ScheduledExecutorService scheduleJobs(
      Heartbeat heartbeat, SubscriberDirectory subscribers) {
    ScheduledExecutorService scheduler =
        Executors.newScheduledThreadPool(3, r -> daemon(r, "webhook-jobs"));
    PeriodicJob.schedule(
        scheduler,
        "heartbeat",
        config.duration(Setting.HEARTBEAT_INTERVAL),
        metrics.loopErrors,
        heartbeat::beat);
    RecordBreakerStates breakers =
        new RecordBreakerStates(db, config.instanceId(), subscribers::breakerStates);
    PeriodicJob.schedule(
        scheduler,
        "breaker states",
        config.duration(Setting.HEARTBEAT_INTERVAL),
        metrics.loopErrors,
        breakers::run);
    RecoverLeases recover = new RecoverLeases(db, metrics);
    PeriodicJob.schedule(
        scheduler,
        "lease recovery",
        config.duration(Setting.LEASE_RECOVERY_INTERVAL),
        metrics.loopErrors,
        recover::run);
    RefreshStatistics statistics = new RefreshStatistics(db);
    PeriodicJob.schedule(
        scheduler, "statistics", Duration.ofSeconds(1), metrics.loopErrors, statistics::run);
    CleanupJob cleanup = new CleanupJob(db, config);
    // The first run soon after start, not one interval (an hour) later.
    PeriodicJob.schedule(
        scheduler,
        "cleanup",
        config.duration(Setting.CLEANUP_FIRST_DELAY),
        config.duration(Setting.CLEANUP_INTERVAL),
        metrics.loopErrors,
        () -> {
          if (cleanup.run() != null) {
            metrics.cleanupRuns.inc();
          }
        });
    RunRequestedJobs requested = new RunRequestedJobs(db, config.instanceId(), cleanup);
    PeriodicJob.schedule(
        scheduler, "requested jobs", REQUESTED_JOBS_POLL, metrics.loopErrors, requested::run);
    return scheduler;
  }

  /**
   * Tries one connection outside the pool until PostgreSQL answers. A server that answers with a
   * definitive error (password, missing database or role) fails the start at once; only an
   * unreachable or not-yet-ready server is waited for, up to WEBHOOK_STARTUP_WAIT, one log line per
   * try.
   */
  private void waitForDatabase() throws SQLException {
    long deadline = System.nanoTime() + config.duration(Setting.STARTUP_WAIT).toNanos();
    Duration pause = Duration.ofSeconds(1);
    for (int attempt = 1; ; attempt++) {
      try {
        db.probe(PROBE_TIMEOUT);
        if (attempt > 1) {
          log.info("PostgreSQL at {} answered (try {}).", config.dbUrl(), attempt);
        }
        return;
      } catch (SQLException e) {
        long left = deadline - System.nanoTime();
        if (!DatabaseErrors.isUnreachable(e) || left <= 0) {
          throw e;
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(left);
        log.warn(
            "Waiting for the database (try {}, giving up in {}: WEBHOOK_STARTUP_WAIT): {}{}",
            attempt,
            seconds >= 60 ? seconds / 60 + " min " + seconds % 60 + " s" : seconds + " s",
            DatabaseErrors.describe(e, config),
            attempt == 1 ? " " + DatabaseErrors.DEMO_HINT + "." : "");
        sleep(Math.min(pause.toNanos(), left));
        pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
      }
    }
  }

  private static void sleep(long nanos) throws SQLException {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("Interrupted while waiting for the database.", "57014", e);
    }
  }

  /** A server that opens a port. */
  @FunctionalInterface
  private interface PortOpener<T> {
    T open() throws IOException;
  }

  /** Opens a server's port, or says in one line which setting to change. */
  private <T> T openPort(String what, Setting host, Setting port, PortOpener<T> opener)
      throws SQLException {
    try {
      return opener.open();
    } catch (IOException e) {
      throw new SQLException(
          "Cannot open the "
              + what
              + " port "
              + config.text(host)
              + ":"
              + config.text(port)
              + " ("
              + e.getMessage()
              + "). Choose another "
              + port.env()
              + ", or 0 to turn it off.",
          "58000",
          e);
    }
  }

  public SidecarMetrics metrics() {
    return metrics;
  }

  public Database database() {
    return db;
  }

  /** The admin HTTP port actually bound, or 0 when it is off. */
  public int adminPort() {
    return admin == null ? 0 : admin.port();
  }

  /** The pull API port actually bound, or 0 when it is off. */
  public int pullPort() {
    return pull == null ? 0 : pull.port();
  }

  public EventListener listener() {
    return listener;
  }

  /**
   * Stops claiming, lets in-flight deliveries finish within WEBHOOK_SHUTDOWN_GRACE, gives back the
   * rest, and closes everything, in the reverse order of start-up. Idempotent enough for a shutdown
   * hook.
   */
  public synchronized void stop() {
    lifecycle.close();
    log.info("Stopped.");
  }

  private static void join(Thread t) {
    try {
      t.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** The version in the jar's manifest, or "dev" when run from classes. */
  public static String version() {
    String v = Sidecar.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
