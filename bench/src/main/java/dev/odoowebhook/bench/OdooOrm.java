// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import dev.odoowebhook.sidecar.support.SidecarProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 1b, the capture's cost through Odoo 18's own ORM: an Odoo database (base, contacts,
 * sale; no demo data) on the harness's cluster, and Odoo processes that each loop {@code write()}
 * of one res.partner field + {@code env.cr.commit()} (bench/odoo/orm_writes.py). Variants: no
 * trigger; our capture (the sidecar's migrate, then webhook_track) with no sidecar running; our
 * capture with a sidecar running (routing every event, NOTIFY path live), with default settings and
 * with a minimum interval between routing passes (Bench.PACED); the naive row trigger of scenario
 * 1. Interleaved (order rotated each repetition), medians, in 1 and 4 processes. Needs an Odoo 18
 * source tree (--odoo-src or ODOO_SRC); without one the report says it was not measured and nothing
 * fails, so CI (which has no Odoo) still passes.
 */
final class OdooOrm {
  static final String NONE = CaptureOverhead.NONE;
  static final String OURS = "our capture, no sidecar running";
  static final String OURS_SIDECAR = "our capture, sidecar running";
  static final String OURS_PACED =
      "our capture, sidecar running, WEBHOOK_ROUTE_MIN_INTERVAL=" + Bench.PACED_INTERVAL;
  static final String OURS_FIELDS = "our capture, 5 captured fields, no sidecar running";
  static final String NAIVE = CaptureOverhead.NAIVE;
  static final List<String> VARIANTS =
      List.of(NONE, OURS, OURS_FIELDS, OURS_SIDECAR, OURS_PACED, NAIVE);

  /**
   * BENCH_S1B_ONLY=sidecar4 (bench/README.md): only no capture, our capture alone and with a warm
   * sidecar, at 4 processes, no batched runs, figures on the console. For paired runs of two builds
   * of the sidecar (one harness run each, alternated): what the sidecar costs Odoo's writers.
   */
  private static final boolean SIDECAR4_ONLY = "sidecar4".equals(System.getenv("BENCH_S1B_ONLY"));

  private final List<String> variants =
      SIDECAR4_ONLY ? List.of(NONE, OURS, OURS_SIDECAR) : VARIANTS;

  /** The role Odoo connects as (not postgres, which Odoo 19 refuses). */
  private static final String ODOO_ROLE = "odoo_bench";

  static final String TARGET = "S1 through Odoo 18's ORM: writes/s with capture ≥ 0.97× no trigger";
  static final String FIELDS_TARGET =
      "S1 through Odoo 18's ORM: writes/s with 5 captured fields of res.partner ≥ 0.95× without";
  static final String BATCH_TARGET =
      "S1 batched through Odoo 18's ORM, warm sidecar on the same cores: operations/s ≥ 0.95× no capture";

  /** Batched operations (bench/odoo/orm_writes.py `batch K S`): K and what it does. */
  static final Map<String, String> BATCHES =
      orderedMap(
          "create500", "`create()` of 500 partners in one call",
          "write500", "`write()` of one value on 500 partners",
          "confirm50", "confirming a sale order with 50 lines (`action_confirm()`)",
          "load1000", "importing 1,000 partners with `load()`");

  /** Batched runs compare no capture with our capture and a warm sidecar (issue 22, target 5). */
  static final List<String> BATCH_VARIANTS = List.of(NONE, OURS_SIDECAR);

  /** Models captured in our variants: the batched confirm writes sale orders and their lines. */
  private static final List<String> TRACKED =
      List.of("res.partner", "sale.order", "sale.order.line");

  private static final String DB = "s1_odoo";

  /** How often PostgreSQL has synced its WAL to disk, all processes together (PostgreSQL 14+). */
  private static final String WAL_FLUSHES = "SELECT wal_sync FROM pg_stat_wal";

  private static final String MODULES = "base,contacts,sale";
  private static final int PARTNERS = 200;
  private static final int SETTLE_SECONDS = 3;

  /**
   * A just-started sidecar spends about half a core compiling its hot code until it has routed some
   * 10,000-15,000 commits (profiled with async-profiler; at 200 commits/s that is its first
   * minute); a deployed one has long finished. The JIT counts calls, not seconds: at Odoo's 50-150
   * writes/s on 2 cores, 30 s of Odoo writes were far from enough. So the sidecar first routes this
   * many single-row UPDATE commits, one by one (mode: captureSidecarWarmupSeconds).
   */
  private static final int SIDECAR_WARMUP_COMMITS_PER_SECOND = 500;

  private final Bench b;
  private final Path script;
  private final String odooSrc;
  private final String odooPython;
  private String odooVersion = "?";
  private double noTriggerOneProcess = Double.NaN;

  /** script: bench/odoo/orm_writes.py; odooSrc and odooPython may be null (not given). */
  OdooOrm(Bench b, Path script, String odooSrc, String odooPython) {
    this.b = b;
    this.script = script;
    this.odooSrc = odooSrc == null || odooSrc.isBlank() ? null : odooSrc;
    this.odooPython = odooPython == null || odooPython.isBlank() ? null : odooPython;
  }

  void run() throws Exception {
    if (odooSrc == null) {
      notMeasured("set ODOO_SRC (or --odoo-src) to an Odoo 18 or 19 source tree");
      return;
    }
    Path src = Path.of(odooSrc).toAbsolutePath();
    if (!Files.isRegularFile(src.resolve("odoo-bin"))) {
      throw new IllegalStateException(
          "ODOO_SRC has no odoo-bin: point it at an Odoo 18 or 19 source tree");
    }
    String python = python();
    if (python == null) {
      notMeasured(
          "no Python with Odoo's dependencies (psycopg2, lxml, werkzeug, babel) was found: set ODOO_PYTHON");
      return;
    }
    boolean full = b.mode.name().equals("full");
    List<Integer> processCounts = SIDECAR4_ONLY ? List.of(4) : full ? List.of(1, 4) : List.of(1);
    int reps = full ? 3 : 1;
    int seconds = full ? 20 : 3;

    List<String> odooArgs = odooArgs(src);
    Progress.say("S1b Odoo ORM: installing %s into a new database (no demo data)", MODULES);
    b.pg.createDatabase(DB, null);
    // Odoo 19 refuses to run as the role postgres ("security risk"): Odoo connects as a
    // superuser role of its own, on either series.
    b.pg.exec(
        "postgres",
        "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '"
            + ODOO_ROLE
            + "') THEN CREATE ROLE "
            + ODOO_ROLE
            + " LOGIN SUPERUSER; END IF; END$$");
    List<String> install = new ArrayList<>(List.of(python, src.resolve("odoo-bin").toString()));
    install.addAll(odooArgs);
    install.addAll(List.of("-i", MODULES, "--without-demo=all", "--stop-after-init", "--no-http"));
    runLogged(install, b.workDir.resolve("odoo-install.log"), 900);
    Bench.sidecarCommand(b.sidecarJar, b.pg.url(DB), 120, "migrate");

    Map<String, Object> raw = new LinkedHashMap<>();
    List<String[]> rows = new ArrayList<>();
    boolean seeded = false;
    try (Connection c = b.pg.connect(DB)) {
      try (Statement st = c.createStatement()) {
        st.execute("SET lock_timeout = '30s'"); // DDL must never wait forever on an Odoo process
      }
      for (int n : processCounts) {
        Map<String, List<Run>> runs = new LinkedHashMap<>();
        variants.forEach(v -> runs.put(v, new ArrayList<>()));
        List<Writer> writers = new ArrayList<>();
        try {
          for (int i = 0; i < n; i++) {
            writers.add(new Writer(python, src, i, n, odooArgs));
          }
          for (Writer w : writers) {
            odooVersion = w.expect("READY", 180).substring("READY".length()).trim();
          }
          if (!seeded) {
            writers.get(0).send("seed " + PARTNERS);
            writers.get(0).expect("SEEDED", 120);
            seeded = true;
          }
          // Unmeasured: Odoo's caches and PostgreSQL's buffers warm up.
          runOnce(c, writers, NONE, full ? 5 : 2);
          for (int rep = 0; rep < reps; rep++) {
            for (int k = 0; k < variants.size(); k++) {
              String variant = variants.get((k + rep) % variants.size()); // rotate: interleaved
              Run r = runOnce(c, writers, variant, seconds);
              runs.get(variant).add(r);
              Progress.say(
                  "S1b Odoo ORM, %d process(es), run %d/%d: %-32s %6.1f writes/s, %.2f events per write",
                  n,
                  rep + 1,
                  reps,
                  variant,
                  r.writesPerSecond,
                  r.writes == 0 ? 0 : (double) r.events / r.writes);
            }
          }
        } finally {
          writers.forEach(Writer::close);
        }
        raw.put(n + "_processes", summarize(n, runs, rows));
      }
      if (SIDECAR4_ONLY) {
        for (String[] r : rows) {
          Progress.say(
              "S1b Odoo ORM, 4 processes: %-32s median %s writes/s (%s), %s× no trigger,"
                  + " PostgreSQL %s ms per write, %s WAL flushes per write, sidecar %s of a core",
              r[1], r[2], r[3], r[4], r[6], r[7], r[8]);
        }
        return;
      }
      raw.put("batched", batched(c, python, src, odooArgs, reps, seconds));
    }
    raw.put("odoo_version", odooVersion);
    raw.put("modules", MODULES);
    raw.put("partners", PARTNERS);
    raw.put("seconds_per_run", seconds);
    raw.put("runs_per_variant", reps);
    raw.put("measured", true);
    b.results.put("capture_overhead_odoo_orm", raw);
    report(rows, reps, seconds);
  }

  /** The batched table's rows, for the report. */
  private final List<String[]> batchRows = new ArrayList<>();

  /**
   * Issue 22, target 5: each batched operation in one Odoo process, no capture against our capture
   * with a warm sidecar, interleaved (order alternating each repetition); median operations/s.
   */
  private Map<String, Object> batched(
      Connection c, String python, Path src, List<String> odooArgs, int reps, int seconds)
      throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    try (Writer w = new Writer(python, src, 0, 1, odooArgs)) {
      w.expect("READY", 180);
      List<Writer> writers = List.of(w);
      for (Map.Entry<String, String> batch : BATCHES.entrySet()) {
        String command = "batch " + batch.getKey();
        runOnce(c, writers, NONE, 2, command); // unmeasured: caches, buffers, the write500 rows
        Map<String, List<Run>> runs = new LinkedHashMap<>();
        BATCH_VARIANTS.forEach(v -> runs.put(v, new ArrayList<>()));
        for (int rep = 0; rep < reps; rep++) {
          for (int k = 0; k < BATCH_VARIANTS.size(); k++) {
            String variant = BATCH_VARIANTS.get((k + rep) % BATCH_VARIANTS.size());
            Run r = runOnce(c, writers, variant, seconds, command);
            runs.get(variant).add(r);
            Progress.say(
                "S1b Odoo ORM batched %s, run %d/%d: %-32s %6.2f operations/s",
                batch.getKey(), rep + 1, reps, variant, r.writesPerSecond);
          }
        }
        List<Double> none = perRun(runs.get(NONE), r -> r.writesPerSecond);
        List<Double> ours = perRun(runs.get(OURS_SIDECAR), r -> r.writesPerSecond);
        double ratio = Stats.median(ours) / Stats.median(none);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("operation", batch.getValue());
        r.put("no_capture_per_s_runs", none);
        r.put("ours_warm_sidecar_per_s_runs", ours);
        r.put("ratio_to_no_capture", ratio);
        out.put(batch.getKey(), r);
        b.target(
            BATCH_TARGET + ", " + batch.getValue(), String.format("%.2f×", ratio), ratio >= 0.95);
        batchRows.add(
            new String[] {
              batch.getValue(),
              Stats.fmt(Stats.median(none)),
              Stats.fmt(Stats.min(none)) + "–" + Stats.fmt(Stats.max(none)),
              Stats.fmt(Stats.median(ours)),
              Stats.fmt(Stats.min(ours)) + "–" + Stats.fmt(Stats.max(ours)),
              String.format("%.2f", ratio),
              ratio >= 0.95 ? "met" : "**missed**"
            });
      }
    }
    return out;
  }

  private static Map<String, String> orderedMap(String... keysAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  /**
   * One measured run: writes/s of all processes together, writes, events captured meanwhile, and
   * the CPU seconds the sidecar (NaN when none runs) and PostgreSQL (all backends, Odoo's too) used
   * meanwhile.
   */
  private record Run(
      double writesPerSecond,
      long writes,
      long events,
      double sidecarCpu,
      double postgresCpu,
      long walFlushes,
      int seconds) {}

  /**
   * Puts the database in the variant's state and lets the writers run for the given seconds, all
   * started by one command each at the same moment.
   */
  private Run runOnce(Connection c, List<Writer> writers, String variant, int seconds)
      throws Exception {
    return runOnce(c, writers, variant, seconds, "run");
  }

  /** The same, each writer obeying {@code command + " " + seconds} (run, or batch K). */
  private Run runOnce(
      Connection c, List<Writer> writers, String variant, int seconds, String command)
      throws Exception {
    try (Statement st = c.createStatement()) {
      st.execute("SELECT webhook_untrack(model) FROM webhook_tracked_model WHERE active");
      st.execute("DROP TRIGGER IF EXISTS naive_capture ON res_partner");
      st.execute("DROP FUNCTION IF EXISTS naive_capture()");
      st.execute("DROP TABLE IF EXISTS naive_event");
      st.execute("TRUNCATE webhook_event");
      if (variant.equals(OURS)
          || variant.equals(OURS_FIELDS)
          || variant.equals(OURS_SIDECAR)
          || variant.equals(OURS_PACED)) {
        for (String model : TRACKED) {
          st.execute("SELECT webhook_track('" + model + "')");
        }
        // Each write changes phone, one of the five: every event carries old and new values.
        st.execute(
            "SELECT webhook_set_captured_fields('res.partner', "
                + (variant.equals(OURS_FIELDS)
                    ? "ARRAY['" + String.join("', '", CaptureOverhead.FIVE_FIELDS) + "']"
                    : "NULL")
                + ")");
      } else if (variant.equals(NAIVE)) {
        st.execute(Schema.NAIVE_TRIGGER);
      }
      // Same starting point for every run, as in scenario 1.
      st.execute("VACUUM ANALYZE res_partner");
      st.execute("CHECKPOINT");
    }
    SidecarProcess sidecar = null;
    try {
      if (variant.equals(OURS_SIDECAR) || variant.equals(OURS_PACED)) {
        sidecar =
            b.startSidecar(
                DB, "orm", variant.equals(OURS_PACED) ? Bench.PACED : Map.of(), List.of());
        SidecarProcess s = sidecar;
        if (!Bench.waitFor(
            60_000,
            () -> {
              s.checkAlive();
              return Files.readString(s.logFile()).contains("Sidecar orm running.");
            })) {
          throw new IllegalStateException("the sidecar did not start within 60 s: " + s.tail(15));
        }
      }
      String events =
          switch (variant) {
            case NONE -> "SELECT 0";
            case NAIVE -> "SELECT count(*) FROM naive_event";
            default -> "SELECT count(*) FROM webhook_event";
          };
      if (sidecar != null) {
        warmUp(c);
      }
      // Unmeasured seconds first, in every variant.
      write(writers, command, SETTLE_SECONDS);
      long before = b.pg.queryLong(DB, events);
      double sidecarCpu = sidecar == null ? Double.NaN : CpuTime.ofPid(sidecar.pid());
      double postgresCpu = CpuTime.ofPostgres(b.pg.postmasterPid());
      long walFlushes = b.pg.queryLong(DB, WAL_FLUSHES);
      double[] r = write(writers, command, seconds);
      if (sidecar != null) {
        sidecar.checkAlive();
        sidecarCpu = CpuTime.ofPid(sidecar.pid()) - sidecarCpu;
      }
      postgresCpu = CpuTime.ofPostgres(b.pg.postmasterPid()) - postgresCpu;
      walFlushes = b.pg.queryLong(DB, WAL_FLUSHES) - walFlushes;
      return new Run(
          r[0],
          (long) r[1],
          b.pg.queryLong(DB, events) - before,
          sidecarCpu,
          postgresCpu,
          walFlushes,
          seconds);
    } finally {
      if (sidecar != null) {
        sidecar.close();
      }
    }
  }

  /**
   * Single-row UPDATE commits of the seeded partners at SIDECAR_WARMUP_COMMITS_PER_SECOND, then
   * waits until the sidecar has routed them all: its start-up (JVM, JIT, pool) is then behind it.
   */
  private void warmUp(Connection c) throws Exception {
    List<Long> ids = new ArrayList<>();
    try (Statement st = c.createStatement();
        var rs =
            st.executeQuery("SELECT id FROM res_partner WHERE name LIKE 'Bench %' ORDER BY id")) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    int commits = SIDECAR_WARMUP_COMMITS_PER_SECOND * b.mode.captureSidecarWarmupSeconds();
    long period = 1_000_000_000L / SIDECAR_WARMUP_COMMITS_PER_SECOND;
    long start = System.nanoTime();
    try (var ps = c.prepareStatement("UPDATE res_partner SET phone = ? WHERE id = ?")) {
      for (int i = 0; i < commits; i++) {
        Bench.sleepUntil(start + i * period);
        ps.setString(1, "warm-up " + i);
        ps.setLong(2, ids.get(i % ids.size()));
        ps.executeUpdate(); // autocommit: one commit, one event, one wake-up each
      }
    }
    if (!Bench.waitFor(
        120_000,
        () ->
            b.pg.queryLong(DB, "SELECT count(*) FROM webhook_event WHERE routed_at IS NULL")
                == 0)) {
      throw new IllegalStateException("the sidecar did not route its warm-up writes within 120 s");
    }
  }

  /**
   * All writers write for the given seconds, started together; {writes/s of all together, writes}.
   */
  private static double[] write(List<Writer> writers, String command, int seconds)
      throws Exception {
    for (Writer w : writers) {
      w.send(command + " " + seconds);
    }
    long writes = 0;
    double perSecond = 0;
    for (Writer w : writers) {
      // RESULT writes seconds; a batched operation may take a while past the end of its seconds
      String[] result = w.expect("RESULT", seconds + 300L).split(" ");
      writes += Long.parseLong(result[1]);
      perSecond += Long.parseLong(result[1]) / Double.parseDouble(result[2]);
    }
    return new double[] {perSecond, writes};
  }

  private Map<String, Object> summarize(int n, Map<String, List<Run>> runs, List<String[]> rows) {
    double base = Stats.median(perRun(runs.get(NONE), r -> r.writesPerSecond));
    if (n == 1) {
      noTriggerOneProcess = base;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (String v : variants) {
      List<Run> rs = runs.get(v);
      List<Double> wps = perRun(rs, r -> r.writesPerSecond);
      double med = Stats.median(wps);
      double ratio = med / base;
      long writes = rs.stream().mapToLong(Run::writes).sum();
      double perWrite =
          writes == 0 ? Double.NaN : rs.stream().mapToLong(Run::events).sum() / (double) writes;
      // Per write, so variants that wrote more are not charged more.
      double pgMsPerWrite = Stats.median(perRun(rs, r -> r.postgresCpu * 1000 / r.writes));
      double sidecarShare = Stats.median(perRun(rs, r -> r.sidecarCpu / r.seconds * 100));
      double flushesPerWrite = Stats.median(perRun(rs, r -> r.walFlushes / (double) r.writes));
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("writes_per_s_runs", wps);
      r.put("writes_per_s_median", med);
      r.put("ratio_to_no_trigger", ratio);
      r.put("events_per_write", perWrite);
      r.put("postgresql_cpu_ms_per_write_median", pgMsPerWrite);
      r.put("sidecar_cpu_percent_of_one_core_median", sidecarShare);
      r.put("wal_flushes_per_write_median", flushesPerWrite);
      out.put(v, r);
      String verdict = "";
      if (!v.equals(NONE) && !v.equals(NAIVE)) {
        verdict = ratio >= 0.97 ? "met" : "**missed**";
        b.target(
            TARGET + ", " + n + " process" + (n == 1 ? "" : "es") + " (" + v + ")",
            String.format("%.2f×", ratio),
            ratio >= 0.97);
      }
      rows.add(
          new String[] {
            Integer.toString(n),
            v,
            Stats.fmt(med),
            Stats.fmt(Stats.min(wps)) + "–" + Stats.fmt(Stats.max(wps)),
            v.equals(NONE) ? "1.00" : String.format("%.2f", ratio),
            Stats.fmt(perWrite),
            Stats.fmt(pgMsPerWrite),
            Stats.fmt(flushesPerWrite),
            Double.isNaN(sidecarShare) ? "–" : Stats.fmt(sidecarShare) + "%",
            verdict
          });
    }
    if (!variants.contains(OURS_FIELDS)) {
      return out;
    }
    // Issue 20: values cost at most 5% of capture without them, through the ORM.
    double fields =
        Stats.median(perRun(runs.get(OURS_FIELDS), r -> r.writesPerSecond))
            / Stats.median(perRun(runs.get(OURS), r -> r.writesPerSecond));
    out.put("ratio_5_captured_fields_to_ours", fields);
    b.target(
        FIELDS_TARGET + ", " + n + " process" + (n == 1 ? "" : "es"),
        String.format("%.2f×", fields),
        fields >= 0.95);
    return out;
  }

  private static List<Double> perRun(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
    List<Double> l = new ArrayList<>();
    runs.forEach(r -> l.add(f.applyAsDouble(r)));
    return l;
  }

  private void report(List<String[]> rows, int reps, int seconds) {
    StringBuilder md = new StringBuilder("### 1b. Through Odoo 18's own ORM\n\n");
    md.append("Odoo ")
        .append(odooVersion)
        .append(" (")
        .append(MODULES)
        .append(" installed, no demo data) on the")
        .append(
            " harness's cluster. Each Odoo process loops: `write({'phone': <a new value>})` on one of its share of ")
        .append(PARTNERS)
        .append(" partners as the admin user (access rights checked), then `env.cr.commit()`,")
        .append(" as a user's edit does; processes never write the same partner. ")
        .append(seconds)
        .append(" s runs × ")
        .append(reps)
        .append(" (each after ")
        .append(SETTLE_SECONDS)
        .append(" s of unmeasured writes; a just-started sidecar first")
        .append(" routes ")
        .append(SIDECAR_WARMUP_COMMITS_PER_SECOND * b.mode.captureSidecarWarmupSeconds())
        .append(" single-row UPDATE commits made at ")
        .append(SIDECAR_WARMUP_COMMITS_PER_SECOND)
        .append(
            "/s, because until it has routed some 10,000 it spends about half a core in the JIT")
        .append(
            " compiler; one unmeasured warm-up run first), variants interleaved (order rotated each repetition), median writes/s of all")
        .append(
            " processes together and the range of the runs. *Our capture, sidecar running*: a sidecar process")
        .append(
            " (no subscribers) routes every event and idle-waits between them, so writers NOTIFY it; its CPU")
        .append(" competes with Odoo's on the same cores. With WEBHOOK_ROUTE_MIN_INTERVAL=")
        .append(Bench.PACED_INTERVAL)
        .append(", the same sidecar routes at most once per ")
        .append(Bench.PACED_INTERVAL)
        .append(
            " while writes keep coming, instead of once per write. Events per write: events captured ÷ writes.")
        .append(
            " PostgreSQL CPU: all its processes (Odoo's backends included) during the measured seconds, per write;")
        .append(
            " WAL flushes: PostgreSQL's syncs of its WAL to disk (`pg_stat_wal.wal_sync`, all processes),")
        .append(
            " per write: each synchronous commit that finds its WAL not yet on disk makes one, or")
        .append(" shares one with the commits that queued behind it;")
        .append(" sidecar CPU: its JVM during the measured seconds (medians of the runs).")
        .append(" *5 captured fields*: the same capture with the values of res.partner's ")
        .append(String.join(", ", CaptureOverhead.FIVE_FIELDS))
        .append(
            " recorded (phone, which each write changes, is one), so every event carries old and")
        .append(" new values.")
        .append(
            " Targets: ≥ 0.97× no trigger; with 5 captured fields ≥ 0.95× without (issue 20).\n\n");
    md.append(
            "| Odoo processes | variant | median writes/s | range | × no trigger | events per write |")
        .append(
            " PostgreSQL CPU ms per write | WAL flushes per write | sidecar CPU, share of one core |")
        .append(" target ≥ 0.97× |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (String[] r : rows) {
      md.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    md.append("\nWithout a trigger, one `write()` + commit took ")
        .append(Stats.fmt(1000 / noTriggerOneProcess))
        .append(
            " ms in one Odoo process (access checks, computed fields, the flush, the commit), where a bare")
        .append(" 1-row UPDATE in pgbench (1a) takes about a tenth of a millisecond.\n");
    md.append("\n**Batched operations** (issue 22): one Odoo process repeats each operation, each")
        .append(" followed by a commit, ")
        .append(seconds)
        .append(" s runs × ")
        .append(reps)
        .append(", no capture and our capture with a warm sidecar (res.partner, sale.order and")
        .append(" sale.order.line tracked) interleaved, after an unmeasured run; operations/s is")
        .append(" operations ÷ the seconds spent in them (a sale order's creation before each")
        .append(" confirm is not timed). Target: ≥ 0.95× no capture.\n\n")
        .append("| operation | no capture, median ops/s | range | warm sidecar, median ops/s |")
        .append(" range | × no capture | target ≥ 0.95× |\n|---|---|---|---|---|---|---|\n");
    for (String[] r : batchRows) {
      md.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    b.section(md.toString());
  }

  private void notMeasured(String why) {
    Progress.say("S1b Odoo ORM: not measured: %s", why);
    b.notMeasured(TARGET, why);
    b.notMeasured(FIELDS_TARGET, why);
    b.notMeasured(BATCH_TARGET, why);
    b.results.put("capture_overhead_odoo_orm", Map.of("measured", false, "reason", why));
    b.section("### 1b. Through Odoo 18's own ORM\n\nNot measured: " + why + ".\n");
  }

  /**
   * odoo-bin options shared by the install and the writers: the harness's cluster, a data dir of
   * the run.
   */
  private List<String> odooArgs(Path src) {
    String addons = src.resolve("odoo/addons").toString();
    if (Files.isDirectory(src.resolve("addons"))) {
      addons = src.resolve("addons") + "," + addons;
    }
    return List.of(
        "--addons-path=" + addons,
        "--db_host=127.0.0.1",
        "--db_port=" + b.pg.port,
        "--db_user=" + ODOO_ROLE,
        "-d",
        DB,
        "--data-dir=" + b.workDir.resolve("odoo-data"),
        "--log-level=warn");
  }

  /** ODOO_PYTHON, or the first of python3, /usr/bin/python3 that imports Odoo's dependencies. */
  private String python() {
    if (odooPython != null) {
      return odooPython;
    }
    for (String candidate : List.of("python3", "/usr/bin/python3")) {
      try {
        TempCluster.run(List.of(candidate, "-c", "import psycopg2, lxml, werkzeug, babel"), 60);
        return candidate;
      } catch (IOException | InterruptedException notThisOne) {
        // try the next one
      }
    }
    return null;
  }

  private static void runLogged(List<String> cmd, Path log, int timeoutSeconds) throws Exception {
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("Odoo's install did not finish within " + timeoutSeconds + " s");
    }
    if (p.exitValue() != 0) {
      throw new IOException("Odoo's install failed (exit " + p.exitValue() + "): " + tail(log));
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /**
   * One Odoo process running bench/odoo/orm_writes.py: commands on its stdin, answers on its
   * stdout. Should the harness die, the closed stdin ends the process after its current run.
   */
  private final class Writer implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final java.io.Writer in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Writer(String python, Path src, int proc, int procs, List<String> odooArgs) throws IOException {
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  python,
                  script.toString(),
                  src.toString(),
                  Integer.toString(proc),
                  Integer.toString(procs),
                  "--"));
      cmd.addAll(odooArgs);
      log = b.workDir.resolve("odoo-writer-" + procs + "-" + proc + ".log");
      process = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
      in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                  }
                } catch (IOException ended) {
                  // the process is gone; expect() reports it
                }
              },
              "odoo-writer-" + proc);
      reader.setDaemon(true);
      reader.start();
    }

    void send(String command) throws IOException {
      in.write(command + "\n");
      in.flush();
    }

    /** The next line starting with prefix, waiting at most the given seconds. */
    String expect(String prefix, long seconds) throws Exception {
      long end = System.nanoTime() + seconds * 1_000_000_000L;
      while (System.nanoTime() < end) {
        String line = lines.poll(200, TimeUnit.MILLISECONDS);
        if (line != null && line.startsWith(prefix)) {
          return line;
        }
        if (line == null && !process.isAlive() && lines.isEmpty()) {
          break;
        }
      }
      throw new IOException(
          "An Odoo process gave no "
              + prefix
              + " (alive: "
              + process.isAlive()
              + "): "
              + tail(log));
    }

    @Override
    public void close() {
      try {
        send("quit");
        in.close();
        if (process.waitFor(30, TimeUnit.SECONDS)) {
          return;
        }
      } catch (IOException | InterruptedException gone) {
        // stop it below
      }
      process.destroyForcibly();
    }
  }
}
