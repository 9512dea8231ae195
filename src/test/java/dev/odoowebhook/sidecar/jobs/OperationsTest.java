// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.PipelineTest;
import dev.odoowebhook.sidecar.support.Receiver;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the sidecar tells Odoo (breaker states) and does when Odoo asks (cleanup now). */
class OperationsTest extends PipelineTest {
  static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void shouldRecordAnOpenCircuitBreakerForTheAddon() {
    long id = p.subscribe("down", "max_retries, backoff_base_ms", "10, 60000");
    p.receiver.respondWith(r -> Receiver.Response.status(500));
    p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "2", "WEBHOOK_BREAKER_DELAY", "5m"));
    for (int i = 0; i < 3; i++) {
      p.partner("p" + i);
    }
    Await.until(
        "the breaker recorded open",
        WAIT,
        () ->
            "open"
                .equals(
                    p.db.value(
                        "SELECT state FROM webhook_subscriber_breaker WHERE subscriber_id = ?",
                        String.class,
                        id)),
        () -> String.valueOf(p.db.rows("SELECT * FROM webhook_subscriber_breaker")));
  }

  @Test
  void shouldRunTheCleanupAnAdminAskedForWithinSeconds() {
    p.startSidecar(Map.of());
    long request = p.db.count("SELECT webhook_request_job('cleanup')");
    assertEquals(
        request,
        p.db.count("SELECT webhook_request_job('cleanup')"),
        "asking again while one waits gives the same request");
    Await.until(
        "the request carried out",
        WAIT,
        () ->
            p.db.count(
                    "SELECT count(*) FROM webhook_job_request WHERE id = ? AND done_at IS NOT NULL",
                    request)
                == 1);
    Map<String, Object> done =
        p.db
            .rows(
                "SELECT r.error, j.job, j.finished_at FROM webhook_job_request r"
                    + " JOIN webhook_job_run j ON j.id = r.job_run_id WHERE r.id = ?",
                request)
            .get(0);
    assertNull(done.get("error"));
    assertEquals("cleanup", done.get("job"));
    assertTrue(done.get("finished_at") != null, done.toString());
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> p.db.exec("SELECT webhook_request_job('vacuum')"));
    assertTrue(e.getMessage().contains("only cleanup can be run on request"), e.getMessage());
  }

  @Test
  void shouldRunTheFirstCleanupSoonAfterStartNotAnIntervalLater() {
    long before = p.db.count("SELECT count(*) FROM webhook_job_run WHERE job = 'cleanup'");
    p.startSidecar(Map.of("WEBHOOK_CLEANUP_INTERVAL", "1h", "WEBHOOK_CLEANUP_FIRST_DELAY", "1s"));
    Await.until(
        "a cleanup run",
        WAIT,
        () -> p.db.count("SELECT count(*) FROM webhook_job_run WHERE job = 'cleanup'") > before);
  }
}
