// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scenario 2: commit → arrival at a local no-op receiver, at a steady 200 inserts/s, for the
 * sidecar (the real jar, its own process), Debezium embedded at its default poll.interval.ms and at
 * 5 ms, and a poll-every-second dispatcher. Same writes, same receiver, same clock (System.nanoTime
 * of this JVM: the writer after COMMIT returns, the receiver on arrival); one system at a time, in
 * rounds, so they do not take CPU from one another.
 */
final class DeliveryLatency {
  static final String SIDECAR = "sidecar";
  static final String SIDECAR_PACED = "sidecar, WEBHOOK_ROUTE_MIN_INTERVAL=" + Bench.PACED_INTERVAL;
  static final String DBZ_DEFAULT = "Debezium embedded, default poll.interval.ms (500 ms)";
  static final String DBZ_5MS = "Debezium embedded, poll.interval.ms=5";
  static final String POLL = "poll every 1 s + POST";
  static final String DBZ_SERVER =
      "Debezium Server (HTTP sink, Standard Webhooks), poll.interval.ms=5";
  private final List<String> systems;
  private String warmupNote;
  private static final int RATE = 200;

  /** Rate of the unmeasured warm-up writes (Mode.latencyWarmupEvents of them). */
  private static final int WARMUP_RATE = 1_000;

  private final Bench b;

  DeliveryLatency(Bench b) {
    this.b = b;
    List<String> all =
        b.peerServer.available()
            ? List.of(SIDECAR, SIDECAR_PACED, DBZ_DEFAULT, DBZ_5MS, DBZ_SERVER, POLL)
            : List.of(SIDECAR, SIDECAR_PACED, DBZ_DEFAULT, DBZ_5MS, POLL);
    // For paired runs of one change by hand (bench/README.md): BENCH_S2_ONLY=target measures the
    // sidecar and Debezium embedded at 5 ms poll only, the two rows of the latency target.
    systems = "target".equals(System.getenv("BENCH_S2_ONLY")) ? List.of(SIDECAR, DBZ_5MS) : all;
  }

  void run() throws Exception {
    Endpoint sidecarEnd = b.receiver.endpoint("/s2/sidecar");
    Map<String, List<Double>> samples = new LinkedHashMap<>();
    Map<String, List<Double>> roundP50 = new LinkedHashMap<>();
    Map<String, Integer> missing = new LinkedHashMap<>();
    systems.forEach(
        s -> {
          samples.put(s, new ArrayList<>());
          roundP50.put(s, new ArrayList<>());
          missing.put(s, 0);
        });
    int slot = 0;
    for (int round = 1; round <= b.mode.latencyRounds(); round++) {
      for (String system : systems) {
        Progress.say(
            "S2 latency round %d/%d: %s, %d inserts/s for %d s",
            round, b.mode.latencyRounds(), system, RATE, b.mode.latencySeconds());
        Endpoint end = system.startsWith(SIDECAR) ? sidecarEnd : b.receiver.endpoint("/s2/peer");
        end.reset();
        // A fresh copy of the template per phase: no system inherits another's rows, dead tuples
        // or autovacuum work.
        String db = b.freshDatabase("s2_latency_" + (++slot));
        try (Connection c = b.pg.connect(db)) {
          Schema.addSubscriber(c, "latency", b.receiver.url("/s2/sidecar"), 10_000, 4);
          AutoCloseable running = start(system, db, slot);
          try {
            if (!Bench.awaitFirstDelivery(c, end, 90_000)) {
              throw new IllegalStateException(
                  system + " delivered nothing within 90 s: " + running);
            }
            try {
              warmUpByCount(c, end);
            } catch (IllegalStateException slow) {
              if (!system.equals(DBZ_SERVER)) {
                throw slow;
              }
              // The peer may not keep up with the warm-up rate: say so instead of failing the
              // scenario.
              Progress.say("S2   %s: %s; measured anyway", system, slow.getMessage());
              warmupNote =
                  system
                      + ": "
                      + slow.getMessage()
                      + " ("
                      + end.ok.get()
                      + " delivered); measured anyway.";
            }
            // A few seconds at the same rate first, not counted: pools and caches settle.
            new RateWriter().run(c, RATE, Math.max(2, b.mode.latencySeconds() / 3));
            Thread.sleep(1_000);
            end.reset();
            RateWriter w = new RateWriter();
            w.run(c, RATE, b.mode.latencySeconds());
            Bench.waitFor(
                5_000, () -> end.firstArrival.keySet().containsAll(w.committedAt.keySet()));
            List<Double> lat = new ArrayList<>();
            int miss = 0;
            for (Map.Entry<Long, Long> e : w.committedAt.entrySet()) {
              Long arrived = end.firstArrival.get(e.getKey());
              if (arrived == null) {
                miss++;
              } else {
                lat.add((arrived - e.getValue()) / 1e6);
              }
            }
            samples.get(system).addAll(lat);
            roundP50.get(system).add(Stats.median(lat));
            missing.merge(system, miss, Integer::sum);
            Progress.say(
                "S2   %s: p50 %.1f ms, p99 %.1f ms (%d samples, %d not arrived within 5 s)",
                system,
                Stats.percentile(Stats.toArray(lat), 50),
                Stats.percentile(Stats.toArray(lat), 99),
                lat.size(),
                miss);
          } finally {
            running.close();
          }
        }
      }
    }
    report(samples, roundP50, missing);
  }

  /**
   * Unmeasured writes, faster than the measured rate, until each system's hot code is compiled. A
   * JVM compiles by invocation counts: at 200 events/s a just-started sidecar spent about half a
   * core in the JIT compiler for its first 30 s and settled after about 70 s (10,000-14,000
   * events); 20,000 events at 1,000/s do the same in 20 s. Every system gets the same warm-up, and
   * each must have delivered all of it before the measured writes start.
   */
  private void warmUpByCount(Connection c, Endpoint end) throws Exception {
    int events = b.mode.latencyWarmupEvents();
    if (events == 0) {
      return;
    }
    RateWriter w = new RateWriter();
    w.run(c, WARMUP_RATE, Math.max(1, events / WARMUP_RATE));
    if (!Bench.waitFor(
        120_000, () -> end.firstArrival.keySet().containsAll(w.committedAt.keySet()))) {
      throw new IllegalStateException("the warm-up writes were not all delivered within 120 s");
    }
  }

  private AutoCloseable start(String system, String db, int slot) throws Exception {
    String peerUrl = b.receiver.url("/s2/peer");
    return switch (system) {
      case SIDECAR -> b.startSidecar(db, "latency-" + slot);
      case SIDECAR_PACED -> b.startSidecar(db, "latency-" + slot, Bench.PACED, List.of());
      case DBZ_DEFAULT -> new DebeziumPeer(b.pg.port, db, "bench_slot_" + slot, null, peerUrl);
      case DBZ_5MS -> new DebeziumPeer(b.pg.port, db, "bench_slot_" + slot, 5, peerUrl);
      case DBZ_SERVER ->
          new DebeziumServer(
              b.peerServer,
              b.workDir,
              b.pg,
              db,
              "bench_srv_" + slot,
              peerUrl,
              Schema.newSecret(),
              5,
              3,
              1_000);
      default -> new PollingDispatcher(b.pg, db, peerUrl);
    };
  }

  private void report(
      Map<String, List<Double>> samples,
      Map<String, List<Double>> roundP50,
      Map<String, Integer> missing)
      throws Exception {
    Map<String, Object> raw = new LinkedHashMap<>();
    Map<String, Map<String, Double>> chart = new LinkedHashMap<>();
    chart.put("p50", new LinkedHashMap<>());
    chart.put("p99", new LinkedHashMap<>());
    StringBuilder md = new StringBuilder("## 2. Commit → delivery latency at 200 events/s\n\n");
    md.append("Each system alone in turn (")
        .append(b.mode.latencyRounds())
        .append(" round(s) of ")
        .append(b.mode.latencySeconds())
        .append(" s each, 200 single-row INSERT transactions/s on one connection," + " after ")
        .append(b.mode.latencyWarmupEvents())
        .append(" unmeasured writes at ")
        .append(WARMUP_RATE)
        .append(
            "/s, all delivered, then a few seconds at 200/s: a just-started JVM spends its first minute at"
                + " this rate compiling its hot code, half a core of 2),"
                + " a fresh copy of the same database per phase, same capture triggers installed, same no-op receiver. Latency = receiver arrival"
                + " − writer's clock right after COMMIT returned (one JVM clock). The sidecar runs as its own"
                + " process from the shaded jar, with default settings and, as a second row, with the minimum"
                + " interval between routing passes that 1b measures (the target is for the defaults); Debezium's callback POSTs to the receiver"
                + " (parity with the sidecar's HTTP hop). Debezium Server is the distribution from Maven Central as its own"
                + " process (Java 21+), its HTTP sink signing with Standard Webhooks, posting each change event to the same"
                + " receiver (scenario 8 has its set-up).\n\n");
    md.append(
        "| system | samples | p50 ms | p90 ms | p99 ms | max ms | p50 per round | not arrived | p50 ÷ sidecar | p99 ÷ sidecar |\n"
            + "|---|---|---|---|---|---|---|---|---|---|\n");
    double[] side = Stats.toArray(samples.get(SIDECAR));
    double sideP50 = Stats.percentile(side, 50);
    double sideP99 = Stats.percentile(side, 99);
    for (String s : systems) {
      double[] v = Stats.toArray(samples.get(s));
      double p50 = Stats.percentile(v, 50);
      double p90 = Stats.percentile(v, 90);
      double p99 = Stats.percentile(v, 99);
      double max = Stats.percentile(v, 100);
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("samples", v.length);
      r.put("p50_ms", p50);
      r.put("p90_ms", p90);
      r.put("p99_ms", p99);
      r.put("max_ms", max);
      r.put("p50_per_round_ms", roundP50.get(s));
      r.put("not_arrived", missing.get(s));
      raw.put(s, r);
      chart.get("p50").put(shortName(s), p50);
      chart.get("p99").put(shortName(s), p99);
      md.append("| ")
          .append(s)
          .append(" | ")
          .append(v.length)
          .append(" | ")
          .append(Stats.fmt(p50))
          .append(" | ")
          .append(Stats.fmt(p90))
          .append(" | ")
          .append(Stats.fmt(p99))
          .append(" | ")
          .append(Stats.fmt(max))
          .append(" | ")
          .append(
              roundP50.get(s).stream().map(Stats::fmt).reduce((x, y) -> x + ", " + y).orElse(""))
          .append(" | ")
          .append(missing.get(s))
          .append(" | ")
          .append(s.equals(SIDECAR) ? "1" : Stats.fmt(p50 / sideP50))
          .append(" | ")
          .append(s.equals(SIDECAR) ? "1" : Stats.fmt(p99 / sideP99))
          .append(" |\n");
    }
    if (!b.peerServer.available()) {
      md.append("| ")
          .append(DBZ_SERVER)
          .append(" | not measured ")
          .append(b.peerServer.missing())
          .append(" | | | | | | | | |\n");
    }
    if (warmupNote != null) {
      md.append("\n").append(warmupNote).append("\n");
    }
    md.append(
            "\nTarget (issue 22): the sidecar's p50 and p99 both below Debezium embedded at 5 ms poll in"
                + " this run. The earlier targets, p50 ≤ 5 ms and p99 ≤ 50 ms, are withdrawn and kept here"
                + " for comparison: the sidecar's p50 ")
        .append(sideP50 <= 5 ? "meets" : "misses")
        .append(" 5 ms, its p99 ")
        .append(sideP99 <= 50 ? "meets" : "misses")
        .append(" 50 ms.\n");
    md.append("\n![latency](s2_latency.png)\n");
    b.results.put("latency", raw);
    b.section(md.toString());
    latencyTargets(samples, sideP50, sideP99);
    Charts.groupedBars(
        "Commit → delivery latency at 200 events/s (log scale)",
        "system",
        "ms",
        chart,
        b.outDir.resolve("s2_latency.png"),
        true);
  }

  /**
   * Issue 22, target 3: our p50 and p99 both below Debezium embedded at 5 ms poll, measured in this
   * run (else not measured, never met); Debezium Server's beside them as a comparison. The earlier
   * targets (p50 ≤ 5 ms, p99 ≤ 50 ms) are withdrawn; the scenario table keeps the figures.
   */
  private void latencyTargets(Map<String, List<Double>> samples, double sideP50, double sideP99) {
    double[] dbz = Stats.toArray(samples.getOrDefault(DBZ_5MS, List.of()));
    if (samples.get(SIDECAR).isEmpty()) {
      b.notMeasured(
          "S2 latency p50 and p99 below Debezium embedded at 5 ms poll", "no sidecar sample");
    } else if (dbz.length == 0) {
      b.notMeasured(
          "S2 latency p50 and p99 below Debezium embedded at 5 ms poll",
          "no Debezium embedded sample in this run");
    } else {
      double dbzP50 = Stats.percentile(dbz, 50);
      double dbzP99 = Stats.percentile(dbz, 99);
      b.target(
          "S2 latency p50 below Debezium embedded at 5 ms poll (200 events/s)",
          "ours " + Stats.fmt(sideP50) + " ms, Debezium " + Stats.fmt(dbzP50) + " ms",
          sideP50 < dbzP50);
      b.target(
          "S2 latency p99 below Debezium embedded at 5 ms poll (200 events/s)",
          "ours " + Stats.fmt(sideP99) + " ms, Debezium " + Stats.fmt(dbzP99) + " ms",
          sideP99 < dbzP99);
    }
    double[] server = Stats.toArray(samples.getOrDefault(DBZ_SERVER, List.of()));
    if (server.length > 0) {
      b.comparison(
          "S2 the closest peer, Debezium Server, latency p50 / p99 at 200 events/s",
          "Debezium Server "
              + Stats.fmt(Stats.percentile(server, 50))
              + " / "
              + Stats.fmt(Stats.percentile(server, 99))
              + " ms; ours "
              + Stats.fmt(sideP50)
              + " / "
              + Stats.fmt(sideP99)
              + " ms");
    } else {
      b.comparison(
          "S2 the closest peer, Debezium Server, latency p50 / p99 at 200 events/s",
          b.peerServer.available()
              ? "not measured: no sample arrived"
              : "not measured " + b.peerServer.missing());
    }
  }

  private static String shortName(String s) {
    return switch (s) {
      case SIDECAR -> "sidecar";
      case SIDECAR_PACED -> "sidecar " + Bench.PACED_INTERVAL;
      case DBZ_DEFAULT -> "Debezium default";
      case DBZ_5MS -> "Debezium 5 ms";
      case DBZ_SERVER -> "Debezium Server";
      default -> "poll 1 s";
    };
  }
}
