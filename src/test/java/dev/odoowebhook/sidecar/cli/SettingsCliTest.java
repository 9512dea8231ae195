// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import static dev.odoowebhook.sidecar.support.CommandLine.assertOneClearLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.CommandLine.Result;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Settings at the command line, as a process: misspelt names, bounds, passwords in the URL. */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class SettingsCliTest {
  static TestDatabase db;
  static CommandLine cli;

  @Test
  void shouldRefuseToStartWithAMisspeltVariableNamingTheSetting() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_BLOCK_PRIVATE_TARGET", "true");
    assertOneClearLine(
        cli.run(env, "status"),
        Cli.USAGE,
        "Unknown environment variable WEBHOOK_BLOCK_PRIVATE_TARGET (did you mean WEBHOOK_BLOCK_PRIVATE_TARGETS?)");
  }

  @Test
  void shouldKeepTheVariablesThatAreNotSettingsWorking() {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("WEBHOOK_LOG_LEVEL", "WARN");
    env.put("WEBHOOK_TEST_ANYTHING", "x");
    Result r = cli.run(env, "status");
    assertEquals(Cli.OK, r.code(), r.toString());
  }

  @Test
  void shouldNameTheClosestFlagForAMisspeltOne() {
    assertOneClearLine(
        cli.run("--block-private-target", "true", "status"),
        Cli.USAGE,
        "Unknown option --block-private-target for `status`: did you mean --block-private-targets?");
  }

  @Test
  void shouldRefuseADurationThatWouldOverflow() {
    assertOneClearLine(
        cli.run("--poll-interval", "999999999d", "status"),
        Cli.USAGE,
        "--poll-interval = \"999999999d\": expected 10ms to 1h");
  }

  @Test
  void shouldShowTheBoundsInHelp() {
    Result r = cli.run("--help");
    assertTrue(r.out().contains("(default: 2s; 10ms to 1h)"), r.out());
    assertTrue(r.out().contains("(default: 32; 1 to 1000)"), r.out());
  }

  @Test
  void shouldNeverShowAPasswordGivenInTheJdbcUrl() {
    Map<String, String> env = new HashMap<>(db.env());
    env.remove("WEBHOOK_DB_PASSWORD");
    env.put("WEBHOOK_DB_URL", "jdbc:postgresql://127.0.0.1:1/odoo?password=hunter2-in-url");
    Result r = cli.run(env, "status");
    assertEquals(Cli.FAILED, r.code(), r.toString());
    assertFalse(r.err().contains("hunter2"), r.err());
    env.put("WEBHOOK_DB_URL", "jdbc:postgresql://odoo:hunter2-in-url@127.0.0.1:1/odoo");
    r = cli.run(env, "status");
    assertEquals(Cli.FAILED, r.code(), r.toString());
    assertFalse(r.err().contains("hunter2"), r.err());
    env.put("WEBHOOK_DB_URL", "jdbc:postgresql://odoo:hunter2-in-url@/odoo");
    r = cli.run(env, "status");
    assertEquals(Cli.USAGE, r.code(), r.toString());
    assertFalse(r.err().contains("hunter2"), r.err());
  }
}
