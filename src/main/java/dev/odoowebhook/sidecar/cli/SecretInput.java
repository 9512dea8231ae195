// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a secret option's value is read from, never the secret itself (a command line shows in
 * {@code ps} and in shell history): {@code env:VARIABLE}, {@code file:PATH} or {@code stdin}, as
 * openssl's {@code -passin}. One trailing line break of a file or of stdin is dropped; an empty
 * secret is refused. Stdin can feed one option of a command (the caller refuses two). Immutable.
 */
final class SecretInput {
  /** A secret file larger than this is not a secret (a wrong path, most likely). */
  private static final int MAX_BYTES = 64 * 1024;

  private final Map<String, String> env;
  private final InputStream stdin;

  SecretInput(Map<String, String> env, InputStream stdin) {
    this.env = env;
    this.stdin = stdin;
  }

  /** The process's environment and stdin. */
  static SecretInput ofProcess() {
    return new SecretInput(System.getenv(), System.in);
  }

  /** The secret that {@code --option SOURCE} names. */
  String read(String option, String source) {
    String where = source.trim();
    String secret;
    if (where.startsWith("env:")) {
      String name = where.substring(4);
      secret = env.get(name);
      if (name.isEmpty() || secret == null || secret.isEmpty()) {
        throw new UsageException(
            "--"
                + option
                + " "
                + where
                + ": the environment variable \""
                + name
                + "\" is not set.");
      }
    } else if (where.startsWith("file:")) {
      secret = withoutLineBreak(file(option, where.substring(5)));
    } else if (where.equals("stdin")) {
      secret = withoutLineBreak(stdin());
    } else {
      throw new UsageException(
          "--"
              + option
              + " takes where to read the secret: env:VARIABLE, file:PATH or stdin, never the"
              + " secret itself (a command line shows in ps).");
    }
    if (secret.isEmpty()) {
      throw new UsageException("--" + option + " " + where + ": the secret is empty.");
    }
    return secret;
  }

  private static String file(String option, String path) {
    String named = "--" + option + " file:" + path + ": ";
    try {
      Path p = Path.of(path);
      if (Files.size(p) > MAX_BYTES) {
        throw new UsageException(named + "over 64 KiB, not a secret; check the path.");
      }
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new UsageException(named + "there is no such file.");
    } catch (IOException | InvalidPathException e) {
      throw new UsageException(named + "cannot be read (" + e.getMessage() + ").");
    }
  }

  private String stdin() {
    try {
      byte[] bytes = stdin.readNBytes(MAX_BYTES + 1);
      if (bytes.length > MAX_BYTES) {
        throw new UsageException("stdin holds over 64 KiB: not a secret.");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UsageException("stdin cannot be read (" + e.getMessage() + ").");
    }
  }

  /** Drops one trailing line break, as `echo` and editors add it. */
  private static String withoutLineBreak(String s) {
    if (s.endsWith("\r\n")) {
      return s.substring(0, s.length() - 2);
    }
    return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
  }
}
