// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odoowebhook.sidecar.persistence.Database;
import dev.odoowebhook.sidecar.support.PipelineTest;
import java.sql.Connection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The orphan cleanup and the retention purge on a real database, with Odoo writing meanwhile. */
class CleanupJobTest extends PipelineTest {

  @BeforeEach
  void forgetJobRuns() {
    p.db.exec("TRUNCATE webhook_job_run");
  }

  private JsonNode runCleanup(Map<String, String> settings) throws Exception {
    try (Database db = Database.open(p.db.config(settings), 2, "cleanup-test")) {
      return new CleanupJob(db, p.db.config(settings)).run();
    }
  }

  /** Deletes partners the way a trigger-less path would (TRUNCATE-like): no unlink events. */
  private void deleteWithoutTriggers(String where) {
    p.db.exec(
        "SET session_replication_role = replica; DELETE FROM res_partner WHERE "
            + where
            + "; SET session_replication_role = origin");
  }

  @Test
  void shouldRemoveUnsentDeliveriesAndEventsOfRecordsThatAreGone() throws Exception {
    p.subscribe("erp", "", "");
    p.db.exec("INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 10) g");
    p.db.exec("SELECT webhook_route_events(1000)");
    deleteWithoutTriggers("id <= 5");
    p.db.exec("DELETE FROM res_partner WHERE id = 6"); // a real unlink: kept, it is news
    p.db.exec("SELECT webhook_route_events(1000)");

    JsonNode result = runCleanup(Map.of("WEBHOOK_CLEANUP_BATCH", "2"));

    assertEquals(5, result.at("/orphans/res.partner/deliveries").asInt(), result.toString());
    assertEquals(
        4,
        p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'pending'"),
        "records 7 to 10");
    assertEquals(0, p.db.count("SELECT count(*) FROM webhook_delivery WHERE record_id <= 5"));
    // Record 6: create + unlink, never sent: nothing left to say (merged by the router).
    assertEquals(0, p.db.count("SELECT count(*) FROM webhook_delivery WHERE record_id = 6"));
    assertEquals(
        1,
        p.db.count("SELECT count(*) FROM webhook_event WHERE record_id = 6 AND event = 'unlink'"));
    assertEquals(
        5,
        p.db.count("SELECT count(*) FROM webhook_event WHERE record_id >= 7 OR record_id = 6"),
        "events of live records and the unlink stay");
    Map<String, Object> run =
        p.db.rows("SELECT job, finished_at, result, error FROM webhook_job_run").get(0);
    assertEquals("cleanup", run.get("job"));
    assertNull(run.get("error"));
    assertEquals(
        5,
        new ObjectMapper()
            .readTree(run.get("result").toString())
            .at("/orphans/res.partner/deliveries")
            .asInt());
  }

  @Test
  void shouldCleanWhileOdooKeepsWritingWithoutTouchingLiveRecords() throws Exception {
    p.subscribe("erp", "", "");
    p.db.exec("INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 400) g");
    p.db.exec("SELECT webhook_route_events(1000)");
    deleteWithoutTriggers("id % 2 = 0");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger writes = new AtomicInteger();
    AtomicReference<Throwable> writerError = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = p.db.connect()) {
                while (!stop.get()) {
                  c.createStatement()
                      .execute(
                          "UPDATE res_partner SET email = 'w"
                              + writes.incrementAndGet()
                              + "' WHERE id = "
                              + (1 + 2 * (writes.get() % 200)));
                }
              } catch (Throwable t) {
                writerError.set(t);
              }
            });
    writer.start();
    try {
      JsonNode result = runCleanup(Map.of("WEBHOOK_CLEANUP_BATCH", "25"));
      assertEquals(200, result.at("/orphans/res.partner/deliveries").asInt(), result.toString());
    } finally {
      stop.set(true);
      writer.join(10_000);
    }
    assertNull(writerError.get(), "Odoo's writes never failed");
    assertTrue(writes.get() > 0);
    assertEquals(
        0,
        p.db.count(
            "SELECT count(*) FROM webhook_delivery d WHERE NOT EXISTS"
                + " (SELECT 1 FROM res_partner r WHERE r.id = d.record_id)"));
    assertEquals(
        200,
        p.db.count("SELECT count(DISTINCT record_id) FROM webhook_delivery"),
        "every live record keeps its delivery");
  }

  @Test
  void shouldPurgeHistoryByRetention() throws Exception {
    p.subscribe("erp", "", "");
    p.db.exec("INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 6) g");
    p.db.exec("SELECT webhook_route_events(1000)");
    // Age the history by hand: 1-2 sent 10 days ago, 3 sent today, 4 dead 40 days ago,
    // 5 dead 10 days ago, 6 still pending.
    p.db.exec(
        "UPDATE webhook_delivery SET status = 'sent', sent_at = now() - interval '10 days' WHERE record_id IN (1, 2);"
            + " UPDATE webhook_delivery SET status = 'sent', sent_at = now() WHERE record_id = 3;"
            + " UPDATE webhook_delivery SET status = 'dead', updated_at = now() - interval '40 days' WHERE record_id = 4;"
            + " UPDATE webhook_delivery SET status = 'dead', updated_at = now() - interval '10 days' WHERE record_id = 5;"
            + " UPDATE webhook_event SET routed_at = now() - interval '10 days';"
            + " INSERT INTO webhook_attempt (delivery_id, attempt, started_at, duration_ms, message_id, sidecar_id)"
            + "   SELECT id, 1, now(), 1, 'm', 't' FROM webhook_delivery");

    JsonNode result = runCleanup(Map.of());

    assertEquals(2, result.at("/purged/sent_deliveries").asInt(), result.toString());
    assertEquals(1, result.at("/purged/dead_deliveries").asInt(), result.toString());
    assertEquals(
        java.util.List.of(3L, 5L, 6L),
        p.db.rows("SELECT record_id FROM webhook_delivery ORDER BY record_id").stream()
            .map(r -> r.get("record_id"))
            .toList());
    assertEquals(
        3, p.db.count("SELECT count(*) FROM webhook_attempt"), "attempts go with their delivery");
    // Events of records 1, 2 (sent, old), 3 (sent) and 4 (its dead delivery purged) are history;
    // events still needed by the dead delivery of 5 and the pending one of 6 stay.
    assertEquals(
        java.util.List.of(5L, 6L),
        p.db.rows("SELECT record_id FROM webhook_event ORDER BY record_id").stream()
            .map(r -> r.get("record_id"))
            .toList());
  }

  @Test
  void shouldLetOnlyOneSidecarCleanAtATime() throws Exception {
    try (Connection other = p.db.connect()) {
      other.createStatement().execute("SELECT webhook_try_lock_jobs()");
      assertNull(runCleanup(Map.of()), "skipped while another holds the job lock");
    }
    assertTrue(runCleanup(Map.of()) != null);
  }
}
