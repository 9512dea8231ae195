// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import dev.odoowebhook.sidecar.support.SidecarProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/** What every scenario shares: the cluster, the receiver, the sidecar jar, the report. */
final class Bench {
  static final String TEMPLATE = "bench_template";

  /**
   * The WEBHOOK_ROUTE_MIN_INTERVAL of the "paced" variants (1b, S2): one routing pass per this much
   * time at most while writes keep coming, for hosts where Odoo and the sidecar share cores.
   */
  static final String PACED_INTERVAL = "20ms";

  static final Map<String, String> PACED = Map.of("WEBHOOK_ROUTE_MIN_INTERVAL", PACED_INTERVAL);

  final Mode mode;
  final TempCluster pg;
  final Endpoints receiver;
  final Path sidecarJar;
  final Path workDir;
  final Path outDir;

  /** Debezium Server, the closest peer (scenarios 2 and 8), or why it cannot run. */
  DebeziumServer.Setup peerServer;

  /** Raw results, written as JSON. */
  final Map<String, Object> results = new LinkedHashMap<>();

  /** Sections of the Markdown report, in order. */
  final StringBuilder report = new StringBuilder();

  /** Targets: description, figure, met. */
  final List<String[]> targets = new ArrayList<>();

  /** Profile findings (where time goes). */
  final StringBuilder findings = new StringBuilder();

  Bench(Mode mode, TempCluster pg, Endpoints receiver, Path sidecarJar, Path workDir, Path outDir) {
    this.mode = mode;
    this.pg = pg;
    this.receiver = receiver;
    this.sidecarJar = sidecarJar;
    this.workDir = workDir;
    this.outDir = outDir;
  }

  /** A template database: the Odoo-like table, the sidecar's schema (its migrate), tracking. */
  void prepareTemplate() throws Exception {
    pg.createDatabase(TEMPLATE, null);
    pg.exec(TEMPLATE, Schema.RES_PARTNER, Schema.fill(10_000), "VACUUM ANALYZE res_partner");
    Bench.sidecarCommand(sidecarJar, pg.url(TEMPLATE), 120, "migrate");
    pg.exec(TEMPLATE, "SELECT webhook_track('res.partner')");
  }

  /** A fresh copy of the template for one scenario. */
  String freshDatabase(String name) throws SQLException {
    pg.createDatabase(name, TEMPLATE);
    return name;
  }

  SidecarProcess startSidecar(
      String db, String instance, Map<String, String> env, List<String> jvmArgs)
      throws IOException {
    Map<String, String> all = new LinkedHashMap<>(env);
    all.putIfAbsent("WEBHOOK_BREAKER_DELAY", "1s");
    List<String> jvm = new ArrayList<>(jvmArgs);
    // For profiling by hand, e.g.
    // BENCH_SIDECAR_JVM_ARGS="-agentpath:.../libasyncProfiler.so=start,..."
    String extra = System.getenv("BENCH_SIDECAR_JVM_ARGS");
    if (extra != null && !extra.isBlank()) {
      jvm.addAll(List.of(extra.trim().split("\\s+")));
    }
    Map<String, String> vars = new LinkedHashMap<>();
    vars.put("WEBHOOK_DB_URL", pg.url(db));
    vars.put("WEBHOOK_DB_USER", "postgres");
    vars.put("WEBHOOK_HTTP_PORT", "0");
    vars.put("WEBHOOK_INSTANCE_ID", instance);
    vars.put("WEBHOOK_LOG_DELIVERIES", "false");
    vars.putAll(all);
    return SidecarProcess.launch()
        .jar(sidecarJar)
        .jvmOptions(jvm)
        .env(vars)
        .log(workDir.resolve("sidecar-" + instance + ".log"))
        .run();
  }

  /** Runs one sidecar CLI command (migrate, track, token create ...) to completion; its output. */
  static String sidecarCommand(Path jar, String dbUrl, int timeoutSeconds, String... args)
      throws IOException, InterruptedException {
    return SidecarProcess.launch()
        .jar(jar)
        .env(Map.of("WEBHOOK_DB_URL", dbUrl, "WEBHOOK_DB_USER", "postgres"))
        .command(Duration.ofSeconds(timeoutSeconds), args);
  }

  SidecarProcess startSidecar(String db, String instance) throws IOException {
    return startSidecar(db, instance, Map.of(), List.of());
  }

  /** Waits until cond holds, checking every 50 ms, at most timeoutMs; returns whether it held. */
  static boolean waitFor(long timeoutMs, Check cond) throws Exception {
    long end = System.nanoTime() + timeoutMs * 1_000_000;
    while (System.nanoTime() < end) {
      if (cond.holds()) {
        return true;
      }
      Thread.sleep(50);
    }
    return cond.holds();
  }

  interface Check {
    boolean holds() throws Exception;
  }

  static void sleepUntil(long nanoTime) {
    long wait;
    while ((wait = nanoTime - System.nanoTime()) > 0) {
      LockSupport.parkNanos(wait);
    }
  }

  /**
   * Inserts a partner and waits until its delivery reached the endpoint (the pipeline is warm),
   * inserting another every 2 s: a capture that starts asynchronously (Debezium creating its slot)
   * misses what committed before it was ready.
   */
  static boolean awaitFirstDelivery(Connection c, Endpoint e, long timeoutMs) throws Exception {
    java.util.Set<Long> ids = java.util.concurrent.ConcurrentHashMap.newKeySet();
    long end = System.nanoTime() + timeoutMs * 1_000_000;
    while (System.nanoTime() < end) {
      try (var st = c.createStatement();
          var rs =
              st.executeQuery(
                  "INSERT INTO res_partner (name, create_date, write_date)"
                      + " VALUES ('warm-up', now(), now()) RETURNING id")) {
        rs.next();
        ids.add(rs.getLong(1));
      }
      if (waitFor(2_000, () -> ids.stream().anyMatch(e.firstArrival::containsKey))) {
        return true;
      }
    }
    return false;
  }

  void target(String what, String figure, boolean met) {
    targets.add(new String[] {what, figure, met ? "met" : "**missed**"});
  }

  /** A target this run could not judge: never counted as met. */
  void notMeasured(String what, String why) {
    targets.add(new String[] {what, "not measured: " + why, "not measured"});
  }

  /** A peer's figure shown beside ours in the target table: a comparison, not a verdict. */
  void comparison(String what, String figure) {
    targets.add(new String[] {what, figure, "comparison"});
  }

  void section(String markdown) {
    report.append(markdown).append("\n\n");
  }

  Path write(String file, String content) throws IOException {
    Path p = outDir.resolve(file);
    Files.writeString(p, content);
    return p;
  }
}
