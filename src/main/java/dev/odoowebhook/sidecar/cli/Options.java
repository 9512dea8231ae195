// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.config.Durations;
import java.sql.Array;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Parsing of option values and arguments shared by the commands; each error is a usage error. */
final class Options {
  private Options() {}

  static long parseLong(String text, String option) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(option + " takes a whole number, not \"" + text + "\".");
    }
  }

  /** The non-blank items of a comma list, trimmed. */
  static List<String> csv(String text) {
    List<String> items = new ArrayList<>();
    for (String s : text.split(",")) {
      if (!s.isBlank()) {
        items.add(s.trim());
      }
    }
    return items;
  }

  /** An instant given as ISO 8601 or as a duration ago (2h). */
  static Instant since(String text) {
    Duration ago = Durations.parse(text);
    if (ago != null) {
      return Instant.now().minus(ago);
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      throw new UsageException(
          "--since takes a time such as 2026-11-22T10:00:00Z or a duration such as 2h, not \""
              + text
              + "\".");
    }
  }

  /** Refuses arguments after the command words. */
  static void noWords(Args args, String command) {
    int commandWords = command.split(" ").length;
    if (args.words.size() > commandWords) {
      throw new UsageException(
          "`"
              + command
              + "` takes no argument \""
              + args.words.get(commandWords)
              + "\". See `"
              + command
              + " --help`.");
    }
  }

  /** The one argument after the command words, e.g. the NAME of `subscriber pause NAME`. */
  static String oneName(Args args, String command, String what, String example) {
    int commandWords = command.split(" ").length;
    if (args.words.size() != commandWords + 1) {
      throw new UsageException("Name one " + what + ", e.g. `" + command + " " + example + "`.");
    }
    return args.words.get(commandWords);
  }

  /** A SQL text array as a comma list, or {@code ifNull}. */
  static String joined(Array a, String ifNull) throws SQLException {
    return a == null ? ifNull : String.join(",", Arrays.asList((String[]) a.getArray()));
  }
}
