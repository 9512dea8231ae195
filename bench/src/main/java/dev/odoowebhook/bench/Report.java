// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes report.md (headline, targets, each scenario), results.json and the throughput chart. */
final class Report {
  private Report() {}

  static void write(
      Bench b,
      Path root,
      String started,
      String loadBefore,
      String loadAfter,
      double minutes,
      List<String> failures,
      Throughput t,
      Drains d)
      throws Exception {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("mode", b.mode.name());
    meta.put("started", started);
    meta.put("duration_min", minutes);
    meta.put("cores", Runtime.getRuntime().availableProcessors());
    meta.put("loadavg_before", loadBefore);
    meta.put("loadavg_after", loadAfter);
    meta.put("java", System.getProperty("java.version"));
    meta.put(
        "postgresql",
        TempCluster.run(List.of(TempCluster.BIN + "/postgres", "--version"), 30).trim());
    boolean ownJar = isCheckoutsJar(b, root);
    String checkout = git(root);
    // A jar given by --sidecar-jar (paired runs of two builds) may be of any commit.
    meta.put(
        "sidecar_commit",
        ownJar
            ? checkout
            : "not known (a jar given by --sidecar-jar; checkout at " + checkout + ")");
    meta.put("failures", failures);
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("meta", meta);
    all.putAll(b.results);
    b.write("results.json", sanitize(Json.write(all), b));

    Map<String, Map<String, Double>> chart = new LinkedHashMap<>();
    Map<String, Double> bars = new LinkedHashMap<>();
    bars.put("bare client (ceiling)", t.ceiling);
    bars.put("bare java.net.http", t.ceilingJdk);
    bars.put("sidecar steady", t.steady);
    bars.put("sidecar backlog", t.backlogRate);
    bars.put("2 sidecars backlog", d.twoSidecars);
    bars.put("A+B, no slow sub", d.isolationBase);
    bars.put("A+B, slow sub C", d.isolationWithSlow);
    chart.put("deliveries/s", bars);
    Charts.groupedBars(
        "Deliveries per second to a local no-op receiver",
        "",
        "per second",
        chart,
        b.outDir.resolve("s3_throughput.png"),
        false);

    StringBuilder md = new StringBuilder();
    md.append("# Benchmarks: capture overhead, latency, throughput, coalescing, pull API\n\n");
    md.append("Mode **")
        .append(b.mode.name())
        .append("**, started ")
        .append(started)
        .append(", ")
        .append(Stats.fmt(minutes))
        .append(" min, sidecar commit ")
        .append(ownJar ? "`" + checkout + "`" : meta.get("sidecar_commit"))
        .append(", ")
        .append(meta.get("postgresql"))
        .append(
            " (a cluster of the harness's own: fsync on,"
                + " synchronous_commit=on, wal_level=logical, shared_buffers 512MB), Java ")
        .append(meta.get("java"))
        .append(", ")
        .append(meta.get("cores"))
        .append(" cores.\n\n");
    md.append(
        "**This machine is shared and noisy**: 2 cores for PostgreSQL, the sidecar, the receiver and the"
            + " load generator together, and other projects' test suites may run at the same time (load average "
            + loadBefore.split(" ")[0]
            + " at the start, "
            + loadAfter.split(" ")[0]
            + " at the end). Comparisons"
            + " are made side by side within this one run; figures are medians with the spread shown where runs"
            + " repeat. Absolute numbers on a dedicated server will differ.\n\n");
    if (b.mode.name().equals("short")) {
      md.append(
          "> Short mode: proves the harness runs end to end; durations are seconds, so the figures"
              + " are indicative only and nothing is judged by them.\n\n");
    }
    if (!failures.isEmpty()) {
      md.append("**Harness failures**: ").append(String.join("; ", failures)).append("\n\n");
    }
    md.append("## Targets\n\n| target | measured | |\n|---|---|---|\n");
    for (String[] r : b.targets) {
      md.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    md.append("\n");
    if (Files.exists(b.outDir.resolve("analysis.md"))) {
      md.append(
          "Where targets are missed, why, and proposed fixes: [analysis.md](analysis.md).\n\n");
    }
    md.append(b.report);
    b.write("report.md", sanitize(md.toString(), b));
  }

  /** No path of this machine in anything written. */
  private static String sanitize(String text, Bench b) {
    return text.replace(b.workDir.toString(), "<workdir>")
        .replace(b.outDir.toAbsolutePath().toString(), "<results>");
  }

  /** Whether the measured jar is the checkout's own build (the harness's default). */
  private static boolean isCheckoutsJar(Bench b, Path root) {
    Path own = root.resolve("target/odoo-webhook-sidecar.jar").toAbsolutePath().normalize();
    return b.sidecarJar.toAbsolutePath().normalize().equals(own);
  }

  private static String git(Path root) {
    try {
      return TempCluster.run(
              List.of("git", "-C", root.toString(), "rev-parse", "--short", "HEAD"), 30)
          .trim();
    } catch (Exception e) {
      return "unknown";
    }
  }
}
