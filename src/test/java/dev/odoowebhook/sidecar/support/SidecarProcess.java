// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A sidecar in a process of its own, so callers can kill it for real: {@link #kill()} is SIGKILL,
 * {@link #terminate} SIGTERM. Shared by the tests and the benchmark harness ({@code bench/},
 * through this project's test jar):
 *
 * <ul>
 *   <li>tests start it from this JVM's class path ({@link #start}, {@link #startWithJvmOptions}),
 *       with a temporary log that {@link #close()} deletes; close is SIGKILL;
 *   <li>the benchmark starts the shaded jar ({@link #launch} with {@link Launch#jar}), with a log
 *       file of its own that is kept; close is SIGTERM (the sidecar drains), SIGKILL after 30 s.
 * </ul>
 *
 * Every started process is in a registry: {@link #stopAll()} (and a shutdown hook of this JVM)
 * stops every one still running, also when a test or a scenario failed half-way.
 */
public final class SidecarProcess implements AutoCloseable {
  private static final String MAIN_CLASS = "dev.odoowebhook.sidecar.OdooWebhookSidecar";
  private static final Set<SidecarProcess> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (SidecarProcess s : List.copyOf(LIVE)) {
                    s.process.destroyForcibly();
                  }
                },
                "sidecar-process-registry"));
  }

  /** How to start one: from the class path or a jar, JVM options, environment, log. */
  public static final class Launch {
    private Path jar;
    private final List<String> jvmOptions = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private Path log;
    private boolean graceful;

    /** Runs {@code java -jar JAR} instead of this JVM's class path; close drains (SIGTERM). */
    public Launch jar(Path shadedJar) {
      this.jar = shadedJar;
      this.graceful = true;
      return this;
    }

    public Launch jvmOptions(List<String> options) {
      jvmOptions.addAll(options);
      return this;
    }

    public Launch env(Map<String, String> variables) {
      env.putAll(variables);
      return this;
    }

    /**
     * Appends the output to this file and keeps it (default: a temporary file, deleted on close).
     */
    public Launch log(Path file) {
      this.log = file;
      return this;
    }

    /** Starts {@code run} (the long-running sidecar), after the given arguments. */
    public SidecarProcess run(String... argsBeforeRun) {
      List<String> args = new ArrayList<>(List.of(argsBeforeRun));
      args.add("run");
      return start(args);
    }

    /**
     * Runs one CLI command (migrate, track, token create ...) to completion; returns its output.
     */
    public String command(Duration timeout, String... args)
        throws IOException, InterruptedException {
      ProcessBuilder pb = new ProcessBuilder(commandLine(List.of(args))).redirectErrorStream(true);
      environment(pb);
      Process p = pb.start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException("sidecar " + String.join(" ", args) + " failed: " + new String(out));
      }
      return new String(out);
    }

    private List<String> commandLine(List<String> args) {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmOptions);
      if (jar != null) {
        command.addAll(List.of("-jar", jar.toString()));
      } else {
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN_CLASS));
      }
      command.addAll(args);
      return command;
    }

    private void environment(ProcessBuilder pb) {
      if (jar == null) {
        // The child sees logback-test.xml on this class path: have it log like the real jar.
        pb.environment().put("WEBHOOK_TEST_LOG_LEVEL", "INFO");
      }
      pb.environment().putAll(env);
    }

    private SidecarProcess start(List<String> args) {
      try {
        boolean temporary = log == null;
        Path file = temporary ? Files.createTempFile("sidecar-", ".log") : log;
        ProcessBuilder pb =
            new ProcessBuilder(commandLine(args))
                .redirectErrorStream(true)
                .redirectOutput(
                    temporary
                        ? ProcessBuilder.Redirect.to(file.toFile())
                        : ProcessBuilder.Redirect.appendTo(file.toFile()));
        environment(pb);
        SidecarProcess s = new SidecarProcess(pb.start(), file, temporary, graceful);
        LIVE.add(s);
        return s;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private final Process process;
  private final Path log;
  private final boolean temporaryLog;
  private final boolean graceful;

  private SidecarProcess(Process process, Path log, boolean temporaryLog, boolean graceful) {
    this.process = process;
    this.log = log;
    this.temporaryLog = temporaryLog;
    this.graceful = graceful;
  }

  public static Launch launch() {
    return new Launch();
  }

  /** {@code run} with this JVM's class path and these WEBHOOK_* variables. */
  public static SidecarProcess start(Map<String, String> env, String... args) {
    return startWithJvmOptions(List.of(), env, args);
  }

  /** Like {@link #start}, with options for the child JVM (e.g. a heap cap). */
  public static SidecarProcess startWithJvmOptions(
      List<String> jvmOptions, Map<String, String> env, String... args) {
    return launch().jvmOptions(jvmOptions).env(env).run(args);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path logFile() {
    return log;
  }

  /** SIGKILL: no drain, no lease released, like a crash. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM, then waits for the exit; returns the exit code. */
  public int terminate(long timeoutSeconds) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(
          "The sidecar did not stop within " + timeoutSeconds + " s of SIGTERM:\n" + log());
    }
    return process.exitValue();
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** The last lines of the log. */
  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Throws, with the end of the log, when the process has exited. */
  public void checkAlive() throws IOException {
    if (!process.isAlive()) {
      throw new IOException(
          "The sidecar exited (code " + process.exitValue() + "); its log: " + tail(15));
    }
  }

  /** Peak resident set size (VmHWM) in MiB, read from /proc; NaN once the process is gone. */
  public double peakRssMib() {
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

  /**
   * Stops the process: SIGKILL when started from the class path (tests), SIGTERM then SIGKILL after
   * 30 s when started from the jar (the benchmark lets it drain). Deletes a temporary log.
   */
  @Override
  public void close() {
    LIVE.remove(this);
    try {
      if (process.isAlive()) {
        if (graceful) {
          process.destroy();
          if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          }
        } else {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    if (temporaryLog && !log.toFile().delete()) {
      log.toFile().deleteOnExit();
    }
  }

  /** Stops every process started here and not yet closed. */
  public static void stopAll() {
    for (SidecarProcess s : List.copyOf(LIVE)) {
      s.close();
    }
  }
}
