// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import static dev.odoowebhook.sidecar.support.CommandLine.assertOneClearLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 18 from the command line: tracking refusals in one line, the lock timeout of `track`, and
 * what inactive means next to paused in the help of `subscriber add` and `update`.
 */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class SafetyCommandsTest {
  static TestDatabase db;
  static CommandLine cli;

  @Test
  void shouldRefuseToTrackTheSidecarsOwnTablesInOneLineAndTrackNothing() {
    assertOneClearLine(
        cli.run("track", "webhook.event"), 1, "one of the webhook sidecar's own tables");
    assertOneClearLine(
        cli.run("track", "webhook.delivery"), 1, "capturing it would feed the capture");
    db.exec("CREATE TABLE IF NOT EXISTS x_fresh (id serial PRIMARY KEY, name text)");
    assertOneClearLine(cli.run("track", "x.fresh", "webhook.subscriber"), 1, "own tables");
    assertEquals(
        0,
        db.count("SELECT count(*) FROM webhook_tracked_model WHERE model = 'x.fresh'"),
        "all or nothing: x.fresh was not tracked either");
    assertEquals(
        0, db.count("SELECT count(*) FROM webhook_tracked_model WHERE table_name LIKE 'webhook%'"));
  }

  @Test
  void shouldRefuseATableThatIsNotShapedLikeAnOdooModelSayingWhy() {
    db.exec("CREATE TABLE IF NOT EXISTS legacy_log (id integer, line text)");
    assertOneClearLine(
        cli.run("track", "x.log", "--table", "legacy_log"), 1, "its \"id\" may be NULL");
  }

  @Test
  void shouldGiveUpAfterThreeSecondsWhenTheTableIsInUseInsteadOfStallingOdoo() throws Exception {
    try (Connection open = db.connect();
        Statement st = open.createStatement()) {
      open.setAutoCommit(false);
      // An Odoo worker's transaction that wrote to the table and has not committed yet.
      st.execute("UPDATE res_partner SET name = name WHERE id = -1");
      long started = System.nanoTime();
      CommandLine.Result r = cli.run("track", "res.partner");
      long seconds = (System.nanoTime() - started) / 1_000_000_000L;
      assertOneClearLine(
          r, 1, "in use by a transaction that has been open for more than 3 seconds");
      assertTrue(seconds < 20, "bounded wait, took " + seconds + " s");
      open.rollback();
    }
  }

  @Test
  void shouldSayWhatInactiveMeansNextToPausedInTheHelpOfAddAndUpdate() {
    for (String command : new String[] {"add", "update"}) {
      CommandLine.Result help = cli.run("subscriber", command, "--help");
      assertEquals(0, help.code(), help.toString());
      assertTrue(
          help.out().contains("is not routed: it misses every event that happens while inactive"),
          help.out());
      assertTrue(help.out().contains("routed and held: its events wait"), help.out());
    }
  }
}
