// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Every command, once, in the order --help lists them. */
final class CommandTable {
  static final List<Command> ALL =
      List.of(
          new MigrateCommand(),
          new TrackCommand(),
          new UntrackCommand(),
          new SubscriberAddCommand(),
          new SubscriberUpdateCommand(),
          new SubscriberRemoveCommand(),
          new SubscriberPauseCommand(),
          new SubscriberResumeCommand(),
          new SubscriberRotateSecretCommand(),
          new SubscriberTestCommand(),
          new SubscriberListCommand(),
          new TokenCreateCommand(),
          new TokenListCommand(),
          new TokenRevokeCommand(),
          new RunCommand(),
          new DemoCommand(),
          new StatusCommand(),
          new ConfirmCopyCommand(),
          new CleanupCommand(),
          new ReplayCommand(),
          new CancelCommand());

  private static final Map<String, Command> BY_NAME = new LinkedHashMap<>();

  /** First words of two-word commands, e.g. "subscriber". */
  static final Set<String> GROUPS = new LinkedHashSet<>();

  static {
    for (Command c : ALL) {
      if (BY_NAME.put(c.name(), c) != null) {
        throw new IllegalStateException("Two commands are named " + c.name());
      }
      int space = c.name().indexOf(' ');
      if (space > 0) {
        GROUPS.add(c.name().substring(0, space));
      }
    }
  }

  private CommandTable() {}

  /** The command of that name, or null. */
  static Command find(String name) {
    return BY_NAME.get(name);
  }

  static Set<String> names() {
    return BY_NAME.keySet();
  }
}
