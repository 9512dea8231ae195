// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.OdooWebhookSidecar;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The command line as a user runs it: {@code java -cp <this class path> OdooWebhookSidecar ARGS} in
 * a process of its own, with the environment of a test database, stdout, stderr and the exit code
 * captured. Each run is bounded ({@link #TIME_LIMIT}); a run that hangs fails the test. Made by
 * {@link CliProcess}. Thread-safe.
 */
public final class CommandLine {
  public static final Duration TIME_LIMIT = Duration.ofSeconds(60);

  /** What a run printed and returned. */
  public record Result(int code, String out, String err) {}

  private final TestDatabase db;

  CommandLine(TestDatabase db) {
    this.db = db;
  }

  /** The command line against a database that no {@link CliProcess} made, e.g. a Pipeline's. */
  public static CommandLine on(TestDatabase db) {
    return new CommandLine(db);
  }

  /** Runs the CLI against the test database. */
  public Result run(String... args) {
    return run(db.env(), args);
  }

  /**
   * Runs the CLI against the test database with these extra environment variables and this text on
   * its stdin (null: none, stdin at its end at once).
   */
  public Result runWith(Map<String, String> extraEnv, String stdin, String... args) {
    Map<String, String> env = new java.util.HashMap<>(db.env());
    env.putAll(extraEnv);
    return run(env, stdin, args);
  }

  /** Runs the CLI with exactly these WEBHOOK_* variables (none is inherited from this JVM). */
  public Result run(Map<String, String> env, String... args) {
    return run(env, null, args);
  }

  private Result run(Map<String, String> env, String stdin, String... args) {
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("cli-", ".out");
      err = Files.createTempFile("cli-", ".err");
      List<String> command =
          new ArrayList<>(
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  // A one-shot command: start fast rather than run fast.
                  "-XX:TieredStopAtLevel=1",
                  "-XX:+UseSerialGC",
                  "-cp",
                  System.getProperty("java.class.path"),
                  OdooWebhookSidecar.class.getName()));
      command.addAll(List.of(args));
      ProcessBuilder pb =
          new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("WEBHOOK_"));
      pb.environment().putAll(env);
      Process p = pb.start();
      try (var in = p.getOutputStream()) { // closed: a read of stdin ends instead of waiting
        in.write((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(TIME_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(
            "`"
                + String.join(" ", args)
                + "` did not end within "
                + TIME_LIMIT.toSeconds()
                + " s. stdout: "
                + Files.readString(out)
                + " stderr: "
                + Files.readString(err));
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted while `" + String.join(" ", args) + "` ran.", e);
    } finally {
      delete(out);
      delete(err);
    }
  }

  /** A refusal expected of the command line: its exit code, words of its one line, arguments. */
  public record Refusal(int code, String expected, List<String> args) {}

  public static Refusal refusal(int code, String expected, String... args) {
    return new Refusal(code, expected, List.of(args));
  }

  /** Runs {@code prefix} and each refusal's arguments; each must be refused with one clear line. */
  public void assertEachRefused(List<String> prefix, Refusal... refusals) {
    for (Refusal r : refusals) {
      List<String> args = new ArrayList<>(prefix);
      args.addAll(r.args());
      assertOneClearLine(run(args.toArray(String[]::new)), r.code(), r.expected());
    }
  }

  /** An error is one line on stderr, names no Java exception, and shows no stack trace. */
  public static void assertOneClearLine(Result r, int code, String expected) {
    assertEquals(code, r.code(), r.toString());
    String err = r.err().strip();
    assertFalse(err.contains("\n"), "one line, got: " + err);
    assertFalse(
        err.contains("\tat ") || err.contains("Exception"),
        "no stack trace or exception names: " + err);
    assertTrue(err.contains(expected), "expected \"" + expected + "\" in: " + err);
  }

  private static void delete(Path p) {
    if (p != null) {
      File f = p.toFile();
      if (!f.delete()) {
        f.deleteOnExit();
      }
    }
  }
}
