package dev.odoowebhook.sidecar;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import dev.odoowebhook.sidecar.admin.AdminServer;
import dev.odoowebhook.sidecar.admin.SidecarMetrics;
import dev.odoowebhook.sidecar.capture.EventListener;
import dev.odoowebhook.sidecar.capture.Wakeup;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.delivery.DispatchDeliveries;
import dev.odoowebhook.sidecar.delivery.PostWebhook;
import dev.odoowebhook.sidecar.delivery.SubscriberDirectory;
import dev.odoowebhook.sidecar.delivery.TargetPolicy;
import dev.odoowebhook.sidecar.jobs.CleanupJob;
import dev.odoowebhook.sidecar.jobs.Heartbeat;
import dev.odoowebhook.sidecar.jobs.PeriodicJob;
import dev.odoowebhook.sidecar.jobs.RecoverLeases;
import dev.odoowebhook.sidecar.jobs.RefreshStatistics;
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
 * One running sidecar: wires the pipeline (listener, router, dispatcher, scheduled jobs) and
 * stops it in order. Start with {@link #start}; {@link #stop} drains in-flight deliveries.
 */
public final class Sidecar {
  private static final Logger log = LoggerFactory.getLogger(Sidecar.class);

  private final SidecarConfig config;
  private final Database db;
  private final SidecarMetrics metrics;
  private final EventListener listener;
  private final RouteEvents router;
  private final DispatchDeliveries dispatcher;
  private final Heartbeat heartbeat;
  private final ScheduledExecutorService scheduler;
  private final Thread routerThread;
  private final Thread dispatcherThread;

  private final SubscriberDirectory subscribers;
  private AdminServer admin;
  private PullServer pull;

  private Sidecar(SidecarConfig config, Database db, SidecarMetrics metrics) {
    this.config = config;
    this.db = db;
    this.metrics = metrics;
    String id = config.instanceId();
    Wakeup eventWakeup = new Wakeup();
    Wakeup dispatchWakeup = new Wakeup();
    Duration poll = config.duration(Setting.POLL_INTERVAL);
    this.listener = new EventListener(config, eventWakeup);
    this.router =
        new RouteEvents(db, listener, eventWakeup, dispatchWakeup, metrics,
            config.integer(Setting.ROUTE_BATCH), poll, config.duration(Setting.ROUTE_MIN_INTERVAL));
    this.subscribers =
        new SubscriberDirectory(db, config.integer(Setting.BREAKER_FAILURES),
            config.duration(Setting.BREAKER_DELAY));
    this.dispatcher =
        new DispatchDeliveries(db, new PostWebhook(config.duration(Setting.CONNECT_TIMEOUT), version(),
                new TargetPolicy(config.bool(Setting.BLOCK_PRIVATE_TARGETS),
                    config.text(Setting.TARGET_ALLOWLIST)), config.integer(Setting.WORKERS)),
            subscribers, dispatchWakeup, metrics, id, config.integer(Setting.WORKERS),
            config.duration(Setting.LEASE), poll, config.bool(Setting.LOG_DELIVERIES));
    this.heartbeat = new Heartbeat(db, id);
    // Several threads: a long cleanup must not hold up the heartbeat or lease recovery.
    this.scheduler = Executors.newScheduledThreadPool(3, r -> daemon(r, "webhook-jobs"));
    this.routerThread = daemon(router, "webhook-router");
    this.dispatcherThread = daemon(dispatcher, "webhook-dispatcher");
  }

  /**
   * Waits for the database (up to WEBHOOK_STARTUP_WAIT), migrates the schema, and starts the
   * pipeline.
   *
   * @throws SQLException if the database stayed unreachable or the schema cannot be applied
   */
  public static Sidecar start(SidecarConfig config) throws SQLException {
    log.info("Starting odoo-webhook-sidecar {} as {} with:{}{}", version(), config.instanceId(),
        System.lineSeparator(), config.describe());
    SidecarMetrics metrics = new SidecarMetrics();
    Database db = Database.open(config, config.integer(Setting.POOL_SIZE), "webhook-pool",
        metrics.poolRegistry());
    try {
      waitForDatabase(db, config);
      log.info("Schema at version {}.", SchemaMigrator.migrate(db.dataSource()));
      SchemaMigrator.refreshCapture(db.dataSource());
      Sidecar sidecar = new Sidecar(config, db, metrics);
      sidecar.startThreads();
      return sidecar;
    } catch (IOException e) {
      db.close();
      throw new SQLException("Cannot open the admin HTTP port " + config.text(Setting.HTTP_HOST)
          + ":" + config.text(Setting.HTTP_PORT) + " (" + e.getMessage()
          + "). Choose another WEBHOOK_HTTP_PORT, or 0 to turn it off.", "58000", e);
    } catch (SQLException | RuntimeException e) {
      db.close();
      throw e;
    }
  }

  private static void waitForDatabase(Database db, SidecarConfig config) throws SQLException {
    Duration max = config.duration(Setting.STARTUP_WAIT);
    RetryPolicy<Object> untilUp =
        RetryPolicy.builder()
            .handle(SQLException.class)
            .withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(15))
            .withMaxDuration(max)
            .withMaxRetries(-1)
            .onFailedAttempt(e -> log.warn("Waiting for the database: {}",
                DatabaseErrors.explain((SQLException) e.getLastException(), config)))
            .build();
    try {
      Failsafe.with(untilUp).run(db::checkReachable);
    } catch (dev.failsafe.FailsafeException e) {
      if (e.getCause() instanceof SQLException) {
        throw (SQLException) e.getCause();
      }
      throw e;
    }
  }

  private void startThreads() throws SQLException, IOException {
    int port = config.integer(Setting.HTTP_PORT);
    if (port > 0) {
      admin = new AdminServer(config.text(Setting.HTTP_HOST), port, db, listener, metrics,
          subscribers, config.instanceId(), version());
    }
    if (config.integer(Setting.PULL_PORT) > 0) {
      try {
        pull = PullServer.start(config, db, metrics);
      } catch (IOException | RuntimeException e) {
        if (admin != null) {
          admin.close();
        }
        if (e instanceof RuntimeException) {
          throw (RuntimeException) e; // e.g. an invalid WEBHOOK_PULL_CORS_ORIGINS
        }
        throw new SQLException("Cannot open the pull API port " + config.text(Setting.PULL_HOST) + ":"
            + config.text(Setting.PULL_PORT) + " (" + e.getMessage()
            + "). Choose another WEBHOOK_PULL_PORT, or 0 to turn it off.", "58000", e);
      }
    }
    heartbeat.started(SidecarConfig.host(), version());
    if (!listener.ensureConnected()) {
      listener.reconnectInBackground();
    }
    routerThread.start();
    dispatcherThread.start();
    PeriodicJob.schedule(scheduler, "heartbeat", config.duration(Setting.HEARTBEAT_INTERVAL),
        metrics.loopErrors, heartbeat::beat);
    RecoverLeases recover = new RecoverLeases(db, metrics);
    PeriodicJob.schedule(scheduler, "lease recovery",
        config.duration(Setting.LEASE_RECOVERY_INTERVAL), metrics.loopErrors, recover::run);
    RefreshStatistics statistics = new RefreshStatistics(db);
    PeriodicJob.schedule(scheduler, "statistics", Duration.ofSeconds(1), metrics.loopErrors, statistics::run);
    CleanupJob cleanup = new CleanupJob(db, config);
    PeriodicJob.schedule(scheduler, "cleanup", config.duration(Setting.CLEANUP_INTERVAL),
        metrics.loopErrors, () -> {
          if (cleanup.run() != null) {
            metrics.cleanupRuns.inc();
          }
        });
    log.info("Sidecar {} running.", config.instanceId());
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
   * Stops claiming, lets in-flight deliveries finish within WEBHOOK_SHUTDOWN_GRACE, gives back
   * the rest, and closes everything. Idempotent enough for a shutdown hook.
   */
  public synchronized void stop() {
    log.info("Stopping: no new deliveries are claimed; {} in flight.", dispatcher.inFlight());
    if (pull != null) {
      pull.close();
    }
    router.stop();
    dispatcher.stopClaiming();
    join(routerThread);
    join(dispatcherThread);
    dispatcher.drain(config.duration(Setting.SHUTDOWN_GRACE));
    scheduler.shutdownNow();
    try {
      heartbeat.stopped();
    } catch (SQLException e) {
      log.warn("Could not record the stop in webhook_sidecar_instance: {}", e.getMessage());
    }
    if (admin != null) {
      admin.close();
    }
    listener.close();
    db.close();
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
