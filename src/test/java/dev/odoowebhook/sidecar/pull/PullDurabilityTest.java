// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.OwnPostgres;
import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The router commits without waiting for the WAL flush (sql/R__webhook_route.sql), so the pull API
 * must not show a routing that a crash could still lose: a client would move its cursor past event
 * numbers handed out again. Each answer waits for the flush (webhook_flush_routing) unless the WAL
 * is on disk already.
 *
 * <p>A private cluster whose walwriter flushes an asynchronous commit only every 10 s: once it has
 * just flushed, a routing stays off the disk long enough to pull it. Without the pull server's call
 * of the flush this test fails.
 */
class PullDurabilityTest {

  @Test
  void shouldShowOnlyRoutingsThatAreOnDisk() throws Exception {
    try (OwnPostgres pg = OwnPostgres.start("-c wal_writer_delay=10s");
        TestDatabase db =
            TestDatabase.createMigrated(TestPostgres.at(pg.url("postgres"), "postgres", ""))) {
      db.exec("SELECT webhook_track('res.partner')");
      String token;
      try (Connection c = db.connect()) {
        token = ApiTokens.create(c, "app", List.of("res.partner"));
      }
      int port = PullTestBase.freePort();
      Sidecar sidecar = Sidecar.start(db.config(Map.of("WEBHOOK_PULL_PORT", "" + port)));
      try {
        PullApi api = new PullApi(port, token);
        // A token's first use records it (a synchronous commit, flushing everything before it):
        // use it once before, so that the answer below writes nothing itself.
        assertEquals(200, api.get("/v1/events").status());
        String routedBy = routeOneEventNotYetOnDisk(db);
        PullApi.Answer answer = api.get("/v1/events?limit=100");
        assertEquals(200, answer.status(), answer.toString());
        assertTrue(
            answer.toString().contains("\"model\":\"res.partner\""), "the routed event is shown");
        assertTrue(
            db.value("SELECT pg_current_wal_flush_lsn() >= ?::pg_lsn", Boolean.class, routedBy),
            "the routing shown is on disk once the answer arrives");
      } finally {
        sidecar.stop();
      }
      // Once everything is on disk (nothing else writes now), asking again writes nothing.
      db.exec("SELECT webhook_flush_routing()");
      String end = db.value("SELECT pg_current_wal_insert_lsn()::text", String.class);
      db.exec("SELECT webhook_flush_routing()");
      assertEquals(
          end,
          db.value("SELECT pg_current_wal_insert_lsn()::text", String.class),
          "with the WAL on disk, waiting for the flush writes nothing");
    }
  }

  /**
   * Writes a partner (a synchronous commit) and waits for its routing; returns the WAL's end just
   * after it while that end is not yet flushed. The first routing may wake a walwriter that has not
   * flushed for 10 s, which then flushes it; the next one, within 10 s, stays in memory.
   */
  private static String routeOneEventNotYetOnDisk(TestDatabase db) {
    for (int attempt = 1; attempt <= 5; attempt++) {
      db.exec("INSERT INTO res_partner (name) VALUES ('p" + attempt + "')");
      Await.until(
          "the partner routed",
          Duration.ofSeconds(20),
          () -> db.count("SELECT count(*) FROM webhook_event WHERE routed_seq IS NULL") == 0);
      String end = db.value("SELECT pg_current_wal_insert_lsn()::text", String.class);
      if (db.value("SELECT pg_current_wal_flush_lsn() < ?::pg_lsn", Boolean.class, end)) {
        return end;
      }
    }
    throw new AssertionError("every routing reached the disk at once in 5 attempts");
  }
}
