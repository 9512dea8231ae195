// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import dev.odoowebhook.sidecar.support.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs every benchmark scenario against a PostgreSQL cluster of its own and writes the Markdown
 * report, PNG charts and raw JSON. Usage (from the repository root, after {@code mvn -q -DskipTests
 * install}):
 *
 * <pre>
 * mvn -q -f bench/pom.xml exec:java -Dexec.args="--mode short|full [--only 1,3] [--pg-port 5499] [--out DIR]
 *     [--odoo-src DIR]"</pre>
 *
 * Exits non-zero only when the harness itself fails (a scenario could not run), never because a
 * target was missed: missed targets are written in the report.
 */
public final class RunBenchmarks {
  private RunBenchmarks() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    Mode mode = Mode.of(opts.getOrDefault("mode", "short"));
    Path benchDir = Path.of(System.getProperty("bench.dir", "bench")).toAbsolutePath();
    Path root = benchDir.getParent();
    Path jar =
        Path.of(
            opts.getOrDefault(
                "sidecar-jar", root.resolve("target/odoo-webhook-sidecar.jar").toString()));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "The sidecar jar "
              + jar
              + " is missing: run `mvn -q -DskipTests install`"
              + " at the repository root first.");
    }
    Path out =
        Path.of(
            opts.getOrDefault(
                "out",
                benchDir
                    .resolve(mode.name().equals("full") ? "results" : "results/short")
                    .toString()));
    Files.createDirectories(out);
    List<String> only =
        new ArrayList<>(
            opts.containsKey("only")
                ? List.of(opts.get("only").split(","))
                : List.of("1", "2", "3", "4", "5", "6", "7", "8"));
    if (only.contains("1")) { // scenario 1 has two halves: pgbench (1a) and Odoo's ORM (1b)
      only.addAll(List.of("1a", "1b"));
    }
    String odooSrc = opts.getOrDefault("odoo-src", System.getenv("ODOO_SRC"));
    String odooPython = opts.getOrDefault("odoo-python", System.getenv("ODOO_PYTHON"));
    Path work = Files.createTempDirectory("odoo-webhook-bench");
    work.toFile().setExecutable(true, false);
    work.toFile().setReadable(true, false);

    Progress.say(
        "mode %s; results in %s; starting PostgreSQL 15 of its own",
        mode.name(),
        out.toAbsolutePath().startsWith(root) ? root.relativize(out.toAbsolutePath()) : out);
    String started = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
    String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
    List<String> failures = new ArrayList<>();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  SidecarProcess.stopAll();
                  DebeziumServer.stopAll();
                }));
    long t0 = System.nanoTime();
    TempCluster pg =
        TempCluster.start(Integer.parseInt(opts.getOrDefault("pg-port", "5499")), work);
    Thread stopCluster =
        new Thread(
            () -> {
              SidecarProcess.stopAll();
              DebeziumServer.stopAll();
              pg.close();
            });
    Runtime.getRuntime().addShutdownHook(stopCluster);
    try (Endpoints receiver = new Endpoints()) {
      Progress.say(
          "PostgreSQL on 127.0.0.1:%d; receiver on 127.0.0.1:%d", pg.port, receiver.port());
      Bench b = new Bench(mode, pg, receiver, jar, work, out);
      // Debezium Server starts in about half a minute and its scenario takes two more: full mode
      // only, unless asked for (--peer-server yes) to prove it runs.
      boolean peerWanted =
          (only.contains("2") || only.contains("8"))
              && (mode.name().equals("full") || "yes".equals(opts.get("peer-server")));
      b.peerServer =
          !peerWanted && opts.get("debezium-server") == null
              ? DebeziumServer.Setup.notMeasured(
                  mode.name().equals("full")
                      ? "scenarios 2 and 8 not selected"
                      : "in short mode (full mode with `mvn -Pdebezium-server` runs it; `--peer-server yes` forces it)")
              : DebeziumServer.Setup.find(
                  benchDir,
                  opts.get("debezium-server"),
                  "fetch".equals(System.getProperty("bench.debezium.server")),
                  opts.getOrDefault("peer-java", System.getenv("PEER_JAVA")),
                  System.getProperty("debezium.version", "3.6.3.Final"));
      Progress.say(
          "Debezium Server (scenarios 2 and 8): %s",
          b.peerServer.available()
              ? "set up, on " + b.peerServer.java()
              : "not measured " + b.peerServer.missing());
      b.prepareTemplate();
      Throughput throughput = new Throughput(b);
      Drains drains = new Drains(b);
      runScenario(only, "1a", failures, () -> new CaptureOverhead(b).run());
      runScenario(
          only,
          "1b",
          failures,
          () -> new OdooOrm(b, benchDir.resolve("odoo/orm_writes.py"), odooSrc, odooPython).run());
      runScenario(only, "2", failures, () -> new DeliveryLatency(b).run());
      runScenario(only, "3", failures, throughput::run);
      runScenario(only, "4", failures, () -> new Coalescing(b).run());
      runScenario(only, "5", failures, drains::isolation);
      runScenario(only, "6", failures, drains::scaling);
      runScenario(only, "7", failures, () -> new PullPath(b).run());
      runScenario(only, "8", failures, () -> new ClosestPeer(b).run());
      String loadAfter = Files.readString(Path.of("/proc/loadavg")).trim();
      double minutes = (System.nanoTime() - t0) / 60e9;
      Report.write(b, root, started, loadBefore, loadAfter, minutes, failures, throughput, drains);
      Progress.say("report written: %s", out.resolve("report.md"));
    } finally {
      SidecarProcess.stopAll();
      DebeziumServer.stopAll();
      if (System.getenv("BENCH_AUTO_EXPLAIN_MS") != null) {
        // The plans auto_explain logged (see Throughput), kept outside the repository.
        Files.copy(
            pg.dir.resolve("server.log"),
            Path.of(System.getProperty("java.io.tmpdir"), "bench-postgresql.log"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      pg.close();
      Runtime.getRuntime().removeShutdownHook(stopCluster);
      TempCluster.deleteTree(work);
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException(
          "The harness failed in " + failures.size() + " scenario(s): " + failures);
    }
    Progress.say("done");
  }

  interface Scenario {
    void run() throws Exception;
  }

  private static void runScenario(List<String> only, String id, List<String> failures, Scenario s) {
    if (!only.contains(id)) {
      return;
    }
    try {
      s.run();
    } catch (Exception | Error e) {
      e.printStackTrace();
      failures.add("scenario " + id + ": " + e);
      SidecarProcess.stopAll();
      DebeziumServer.stopAll();
    }
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "Usage: --mode short|full [--only 1,1a,1b,2,3,4,5,6,7,8] [--pg-port 5499]"
                + " [--out DIR] [--sidecar-jar JAR] [--odoo-src DIR] [--odoo-python PYTHON] [--debezium-server DIR] [--peer-java JAVA] [--peer-server yes]; got "
                + String.join(" ", args));
      }
      opts.put(args[i].substring(2), args[++i]);
    }
    return opts;
  }
}
