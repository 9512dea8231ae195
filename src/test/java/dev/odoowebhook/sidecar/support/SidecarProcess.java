package dev.odoowebhook.sidecar.support;

import dev.odoowebhook.sidecar.OdooWebhookSidecar;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A sidecar in a process of its own (`run` with this JVM's class path), so tests can kill it
 * for real: {@link #kill()} is SIGKILL, {@link #terminate()} SIGTERM.
 */
public final class SidecarProcess implements AutoCloseable {
  private final Process process;
  private final Path log;

  private SidecarProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  public static SidecarProcess start(Map<String, String> env, String... args) {
    return startWithJvmOptions(List.of(), env, args);
  }

  /** Like {@link #start}, with options for the child JVM (e.g. a heap cap). */
  public static SidecarProcess startWithJvmOptions(List<String> jvmOptions, Map<String, String> env, String... args) {
    try {
      Path log = Files.createTempFile("sidecar-", ".log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmOptions);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), OdooWebhookSidecar.class.getName()));
      command.addAll(List.of(args));
      command.add("run");
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(log.toFile());
      // The child sees logback-test.xml on this class path: have it log like the real jar.
      pb.environment().put("WEBHOOK_TEST_LOG_LEVEL", "INFO");
      pb.environment().putAll(env);
      return new SidecarProcess(pb.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
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
      throw new AssertionError("The sidecar did not stop within " + timeoutSeconds + " s of SIGTERM:\n" + log());
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

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    File f = log.toFile();
    if (!f.delete()) {
      f.deleteOnExit();
    }
  }
}
