// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A claim must cost the same with a large backlog and a long sent history as with none. Read from
 * the plans PostgreSQL really ran inside webhook_claim_deliveries (auto_explain, nested
 * statements): no statement may scan the whole webhook_delivery table. (V3's claim hashed the whole
 * table on every call during a backlog: 21 ms instead of 0.8 ms with 100,000 rows; V6.)
 */
@ExtendWith(MigratedDatabase.class)
class ClaimPlanTest {

  @Test
  void shouldClaimThroughIndexesDuringABacklog(TestDatabase db) throws Exception {
    long sub =
        db.addSubscriber("history", "http://127.0.0.1:9/", WebhookSigner.newSecret(), "", "");
    // 10,000 sent deliveries (history) and a backlog of 20,000 due ones.
    db.exec(
        "INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, status, sent_at,"
            + " first_event_id, last_event_id, first_captured_at, last_captured_at)"
            + " SELECT "
            + sub
            + ", 'res.partner', g, 'write', 'sent', now(), g, g, now(), now()"
            + " FROM generate_series(1, 10000) g;"
            + "INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, next_attempt_at,"
            + " first_event_id, last_event_id, first_captured_at, last_captured_at)"
            + " SELECT "
            + sub
            + ", 'res.partner', 100000 + g, 'write', now() - (20000 - g) * interval '1 s',"
            + " g, g, now(), now() FROM generate_series(1, 20000) g;"
            + "ANALYZE webhook_delivery;");

    List<Long> claimed = new ArrayList<>();
    String plans;
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("LOAD 'auto_explain'");
      st.execute("SET auto_explain.log_min_duration = 0");
      st.execute("SET auto_explain.log_nested_statements = on");
      st.execute("SET auto_explain.log_level = notice");
      st.execute("SET client_min_messages = notice");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT id FROM webhook_claim_deliveries("
                  + "'plan-test', 16, interval '1 minute', ARRAY["
                  + sub
                  + "]::bigint[], ARRAY[64])")) {
        while (rs.next()) {
          claimed.add(rs.getLong(1));
        }
      }
      StringBuilder text = new StringBuilder();
      for (SQLWarning w = st.getWarnings(); w != null; w = w.getNextWarning()) {
        text.append(w.getMessage()).append('\n');
      }
      plans = text.toString();
    }

    assertTrue(plans.contains("webhook_delivery"), "auto_explain printed no plan:\n" + plans);
    assertFalse(
        plans.contains("Seq Scan on webhook_delivery"),
        "a claim scanned the whole delivery table:\n" + plans);
    // And it still claims the 16 most overdue, each once, now in flight for this sidecar.
    assertEquals(16, claimed.size());
    assertEquals(
        db
            .rows(
                "SELECT id FROM webhook_delivery WHERE status = 'processing'"
                    + " AND locked_by = 'plan-test' ORDER BY next_attempt_at, id")
            .stream()
            .map(r -> ((Number) r.get("id")).longValue())
            .toList(),
        db
            .rows(
                "SELECT id FROM webhook_delivery WHERE status IN ('pending', 'processing')"
                    + " ORDER BY next_attempt_at, id LIMIT 16")
            .stream()
            .map(r -> ((Number) r.get("id")).longValue())
            .toList());
    assertEquals(
        claimed.stream().sorted().toList(),
        db
            .rows("SELECT id FROM webhook_delivery" + " WHERE locked_by = 'plan-test' ORDER BY id")
            .stream()
            .map(r -> ((Number) r.get("id")).longValue())
            .toList());
  }
}
