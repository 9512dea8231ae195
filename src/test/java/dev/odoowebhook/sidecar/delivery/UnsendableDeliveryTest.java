// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.odoowebhook.sidecar.support.PipelineTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A delivery that fails before its request goes out still counts as an attempt with an error type
 * and follows the schedule to dead, for rows that the CLI would refuse but that are in the table
 * anyway (written with SQL).
 */
class UnsendableDeliveryTest extends PipelineTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String RETRIES = "max_retries, backoff_base_ms";

  @Test
  void shouldCountAnAttemptAndEndDeadWhenTheRequestCannotEvenBeMade() {
    p.db.addSubscriber("bad-port", "http://127.0.0.1:99999/hook", p.secret, RETRIES, "2, 10");
    p.db.addSubscriber("bad-syntax", "http://exa^mple.com/hook", p.secret, RETRIES, "2, 10");
    p.db.addSubscriber("bad-secret", p.receiver.url(), "whsec_not*base64!", RETRIES, "2, 10");
    p.db.addSubscriber(
        "user-info", "http://user:password@127.0.0.1:1/hook", p.secret, RETRIES, "2, 10");
    p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "100"));
    p.partner("Nowhere Inc");
    p.awaitStatus(4, "dead", WAIT);

    List<Map<String, Object>> perDelivery =
        p.db.rows(
            "SELECT s.name, d.attempts, d.last_error_type,"
                + " (SELECT count(*) FROM webhook_attempt a WHERE a.delivery_id = d.id AND a.error_type IS NOT NULL) AS typed"
                + " FROM webhook_delivery d JOIN webhook_subscriber s ON s.id = d.subscriber_id ORDER BY s.name");
    for (Map<String, Object> d : perDelivery) {
      // Either dead at once (the URL can never work) or after the schedule: never without attempts.
      assertEquals(
          ((Number) d.get("attempts")).longValue(),
          ((Number) d.get("typed")).longValue(),
          "each attempt has its row with an error type: " + d);
      org.junit.jupiter.api.Assertions.assertNotNull(d.get("last_error_type"), d.toString());
    }
    assertEquals(0, p.receiver.requests().size(), "nothing reached the receiver");
  }

  @Test
  void shouldCountAnAttemptAndEndDeadWhenTheRecordCannotBeRead() {
    p.db.exec("ALTER TABLE res_partner ADD COLUMN IF NOT EXISTS doomed text");
    try {
      p.subscribe(
          "reads",
          "models, payload, record_fields, " + RETRIES,
          "ARRAY['res.partner'], 'record', ARRAY['name', 'doomed'], 2, 10");
      p.db.exec("ALTER TABLE res_partner DROP COLUMN doomed");
      p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "100"));
      p.partner("Unreadable Ltd");
      p.awaitStatus(1, "dead", WAIT);
      assertEquals(
          3,
          p.db.count(
              "SELECT count(*) FROM webhook_attempt WHERE error_type = 'record_unreadable'"));
    } finally {
      p.db.exec("ALTER TABLE res_partner DROP COLUMN IF EXISTS doomed");
    }
  }
}
