package dev.odoowebhook.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The real sidecar, run as its own process from the shaded jar ({@code java -jar
 * odoo-webhook-sidecar.jar run}), configured through WEBHOOK_* variables. Every started process
 * is remembered so the harness can stop it even when a scenario fails.
 */
final class SidecarProcess implements AutoCloseable {
  private static final Set<SidecarProcess> LIVE = ConcurrentHashMap.newKeySet();

  final Process process;
  final Path log;

  private SidecarProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Runs one CLI command to completion (migrate, track, ...); returns its output. */
  static String command(Path jar, String dbUrl, int timeoutSeconds, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("WEBHOOK_DB_URL", dbUrl);
    pb.environment().put("WEBHOOK_DB_USER", "postgres");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("sidecar " + String.join(" ", args) + " failed: " + new String(out));
    }
    return new String(out);
  }

  static SidecarProcess start(Path jar, String dbUrl, String instance, Path logDir,
      Map<String, String> extraEnv, List<String> jvmArgs) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("java"));
    cmd.addAll(jvmArgs);
    // For profiling by hand, e.g. BENCH_SIDECAR_JVM_ARGS="-agentpath:.../libasyncProfiler.so=start,..."
    String extra = System.getenv("BENCH_SIDECAR_JVM_ARGS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+")));
    }
    cmd.addAll(List.of("-jar", jar.toString(), "run"));
    Path log = logDir.resolve("sidecar-" + instance + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> env = pb.environment();
    env.put("WEBHOOK_DB_URL", dbUrl);
    env.put("WEBHOOK_DB_USER", "postgres");
    env.put("WEBHOOK_HTTP_PORT", "0");
    env.put("WEBHOOK_INSTANCE_ID", instance);
    env.put("WEBHOOK_LOG_DELIVERIES", "false");
    env.putAll(extraEnv);
    SidecarProcess s = new SidecarProcess(pb.start(), log);
    LIVE.add(s);
    return s;
  }

  long pid() {
    return process.pid();
  }

  /** Peak resident set size (VmHWM) in MiB, read from /proc; NaN once the process is gone. */
  double peakRssMib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException gone) {
      // the process has ended
    }
    return Double.NaN;
  }

  /** CPU seconds (user + system) the process has used so far. */
  double cpuSeconds() {
    return CpuTime.ofPid(pid());
  }

  void checkAlive() throws IOException {
    if (!process.isAlive()) {
      throw new IOException("The sidecar exited (code " + process.exitValue() + "); its log: "
          + tail());
    }
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** SIGTERM (the sidecar drains and exits), then SIGKILL after 30 s. */
  @Override
  public void close() {
    LIVE.remove(this);
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  static void stopAll() {
    for (SidecarProcess s : List.copyOf(LIVE)) {
      s.close();
    }
  }
}
