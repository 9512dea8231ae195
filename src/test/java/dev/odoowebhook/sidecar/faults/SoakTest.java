// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.OwnPostgres;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.SidecarProcess;
import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Minutes of steady writes with the cleanup and retention running often: the queue tables must not
 * bloat (dead row versions and size stay bounded). A private cluster, so autovacuum can be made to
 * wake every few seconds as it would over hours with the defaults. Not in the default run: mvn -B
 * test -Dgroups=long -DexcludedGroups=none -Dtest=SoakTest
 */
@Tag("long")
class SoakTest {

  @Test
  void shouldKeepTheQueueTablesSmallUnderSteadyLoad() throws Exception {
    int minutes = Integer.parseInt(System.getProperty("soak.minutes", "3"));
    try (OwnPostgres pg = OwnPostgres.start("-c autovacuum_naptime=5s");
        Receiver receiver = new Receiver()) {
      TestDatabase db =
          TestDatabase.createMigrated(TestPostgres.at(pg.url("postgres"), "postgres", ""));
      try {
        db.exec(
            "SELECT webhook_track('res.partner');"
                + " INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 1000) g");
        db.addSubscriber("erp", receiver.url(), WebhookSigner.newSecret(), "", "");
        Map<String, String> env = new HashMap<>(db.env());
        env.put("WEBHOOK_CLEANUP_INTERVAL", "10s");
        env.put("WEBHOOK_RETENTION_SENT", "20s");
        env.put("WEBHOOK_LOG_DELIVERIES", "false");
        List<long[]> samples = new ArrayList<>(); // seconds, dead tuples, live tuples, bytes
        try (SidecarProcess sidecar = SidecarProcess.start(env);
            Connection c = db.connect()) {
          long start = System.nanoTime();
          long end = start + Duration.ofMinutes(minutes).toNanos();
          long nextSample = start;
          int i = 0;
          while (System.nanoTime() < end) {
            // About 200 writes a second, Odoo-like: mostly updates, some creates.
            c.createStatement()
                .execute(
                    i % 10 == 0
                        ? "INSERT INTO res_partner (name) VALUES ('n" + i + "')"
                        : "UPDATE res_partner SET email = 'e"
                            + i
                            + "' WHERE id = "
                            + (1 + i % 1000));
            i++;
            Thread.sleep(5);
            if (System.nanoTime() >= nextSample) {
              samples.add(sample(db, (System.nanoTime() - start) / 1_000_000_000L));
              nextSample += Duration.ofSeconds(10).toNanos();
            }
          }
          Await.until(
              "the backlog drained",
              Duration.ofSeconds(60),
              () -> db.count("SELECT count(*) FROM webhook_delivery WHERE status <> 'sent'") == 0,
              sidecar::log);
          assertEquals(0, sidecar.terminate(30));
        }
        System.out.println(
            "soak: seconds, webhook_event dead tuples, live tuples, bytes (event+delivery+attempt)");
        samples.forEach(
            s -> System.out.println("soak: " + s[0] + ", " + s[1] + ", " + s[2] + ", " + s[3]));
        List<long[]> secondHalf = samples.subList(samples.size() / 2, samples.size());
        long maxDead = secondHalf.stream().mapToLong(s -> s[1]).max().orElse(0);
        long firstBytes = samples.get(samples.size() / 2)[3];
        long lastBytes = samples.get(samples.size() - 1)[3];
        // Bounded: with ~200 writes/s and 20 s retention about 4,000 live events; dead ones
        // must stay of that order, and the size must stop growing once retention bites.
        assertTrue(maxDead < 20_000, "dead tuples bounded: " + maxDead);
        assertTrue(lastBytes < firstBytes * 2, "size stable: " + firstBytes + " -> " + lastBytes);
      } finally {
        db.close();
      }
    }
  }

  private static long[] sample(TestDatabase db, long seconds) {
    Map<String, Object> r =
        db.rows(
                "SELECT n_dead_tup, n_live_tup,"
                    + " pg_total_relation_size('webhook_event') + pg_total_relation_size('webhook_delivery')"
                    + " + pg_total_relation_size('webhook_attempt') AS bytes"
                    + " FROM pg_stat_user_tables WHERE relname = 'webhook_event'")
            .get(0);
    return new long[] {
      seconds,
      ((Number) r.get("n_dead_tup")).longValue(),
      ((Number) r.get("n_live_tup")).longValue(),
      ((Number) r.get("bytes")).longValue()
    };
  }
}
