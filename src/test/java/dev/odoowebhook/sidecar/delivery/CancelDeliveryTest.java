// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static dev.odoowebhook.sidecar.support.CommandLine.assertOneClearLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.admin.QueueStats;
import dev.odoowebhook.sidecar.cli.Cli;
import dev.odoowebhook.sidecar.persistence.Database;
import dev.odoowebhook.sidecar.support.CommandLine.Result;
import dev.odoowebhook.sidecar.support.PipelineTest;
import dev.odoowebhook.sidecar.support.Receiver.Response;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Cancelling dead deliveries (kept, no longer a problem): only dead ones, one or a subscriber's,
 * from SQL and from the CLI; replay sends a cancelled one again; counts and retention.
 */
class CancelDeliveryTest extends PipelineTest {
  static final Duration WAIT = Duration.ofSeconds(20);

  /** A delivery as the sidecar leaves it in that status, without running one. */
  private long delivery(long subscriber, long recordId, String status) {
    return p.db.count(
        "INSERT INTO webhook_delivery (subscriber_id, model, record_id, event, status, attempts,"
            + " first_event_id, last_event_id, first_captured_at, last_captured_at,"
            + " locked_by, locked_until, sent_at)"
            + " VALUES (?, 'res.partner', ?, 'write', ?, 6, 1, 1, now(), now(),"
            + " CASE WHEN ?::text = 'processing' THEN 'sidecar-test' END,"
            + " CASE WHEN ?::text = 'processing' THEN now() + interval '1 minute' END,"
            + " CASE WHEN ?::text = 'sent' THEN now() END) RETURNING id",
        subscriber,
        recordId,
        status,
        status,
        status,
        status);
  }

  private String status(long delivery) {
    return p.db.value("SELECT status FROM webhook_delivery WHERE id = ?", String.class, delivery);
  }

  /** The CLI in this JVM, against the test database. */
  private Result cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        new Cli(
                p.db.env(),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))
            .run(args);
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private void cancelInSql(long delivery) throws SQLException {
    try (Connection c = p.db.connect();
        PreparedStatement ps = c.prepareStatement("SELECT webhook_cancel_delivery(?, 'admin')")) {
      ps.setLong(1, delivery);
      ps.executeQuery().close();
    }
  }

  @Test
  void shouldRefuseToCancelADeliveryThatIsNotDeadAndChangeNothing() {
    long sub = p.subscribe("crm", "", "");
    long record = 1;
    for (String status : new String[] {"pending", "failed", "processing", "sent"}) {
      long id = delivery(sub, record++, status);
      SQLException e = assertThrows(SQLException.class, () -> cancelInSql(id), status);
      assertEquals("22023", e.getSQLState(), status);
      assertTrue(e.getMessage().contains("only dead deliveries can be cancelled"), e.getMessage());
      assertEquals(status, status(id), "unchanged");
      assertNull(
          p.db.value("SELECT cancelled_at FROM webhook_delivery WHERE id = ?", Object.class, id));
    }
    long pending = p.db.count("SELECT id FROM webhook_delivery WHERE status = 'pending'");
    assertOneClearLine(
        cli("cancel", "--id", Long.toString(pending)),
        Cli.FAILED,
        "Delivery " + pending + " is pending, not dead: only dead deliveries can be cancelled.");
    assertOneClearLine(
        cli("cancel", "--id", "999999"), Cli.FAILED, "Delivery 999999 does not exist");
    assertOneClearLine(cli("cancel"), Cli.USAGE, "Say which deliveries to cancel");
    assertOneClearLine(
        cli("cancel", "--id", "1", "--dead"), Cli.USAGE, "Say which deliveries to cancel");
    assertOneClearLine(
        cli("cancel", "--id", "1", "--subscriber", "crm"), Cli.USAGE, "--subscriber goes with");
    assertOneClearLine(
        cli("cancel", "--dead", "--subscriber", "nobody"),
        Cli.FAILED,
        "There is no subscriber named \"nobody\"");
    assertEquals("pending", status(pending));
  }

  @Test
  void shouldCancelADeadDeliveryAndSendItAgainOnReplay() throws SQLException {
    long sub = p.subscribe("down", "max_retries", "0");
    p.receiver.respondWith(r -> Response.status(502));
    p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "100"));
    p.partner("Lumber Inc");
    p.awaitStatus(1, "dead", WAIT);
    long id = p.db.count("SELECT id FROM webhook_delivery WHERE subscriber_id = ?", sub);

    Result cancelled = cli("cancel", "--id", Long.toString(id));
    assertEquals(Cli.OK, cancelled.code(), cancelled.toString());
    assertTrue(cancelled.out().contains("Delivery " + id + " is cancelled"), cancelled.out());
    assertEquals("cancelled", status(id));
    assertNotNull(
        p.db.value("SELECT cancelled_by FROM webhook_delivery WHERE id = ?", String.class, id),
        "the database user who cancelled it");
    assertEquals(
        1, p.db.count("SELECT count(*) FROM webhook_attempt WHERE delivery_id = ?", id), "kept");
    // Cancelling again is not an error: it is what was asked.
    assertEquals(Cli.OK, cli("cancel", "--id", Long.toString(id)).code());

    // Counted as cancelled, not dead: status, /metrics' queued series (QueueStats).
    Result status = cli("status");
    assertTrue(status.out().contains(" dead 0,"), status.out());
    assertTrue(status.out().contains(" cancelled 1"), status.out());
    try (Database db = Database.open(p.db.config(Map.of()), 1, "cancel-test")) {
      QueueStats.Snapshot s = new QueueStats(db).read();
      assertEquals(0L, s.byStatus().get("dead"));
      assertEquals(1L, s.byStatus().get("cancelled"));
      assertEquals(0L, s.dueNow(), "nothing waits");
    }

    p.receiver.respondWith(r -> Response.ok());
    Result replayed = cli("replay", "--cancelled");
    assertEquals(Cli.OK, replayed.code(), replayed.toString());
    assertTrue(replayed.out().contains("1 deliveries are pending again"), replayed.out());
    p.awaitStatus(1, "sent", WAIT);
    assertNull(
        p.db.value("SELECT cancelled_at FROM webhook_delivery WHERE id = ?", Object.class, id));
    var requests = p.receiver.requests();
    assertTrue(
        !requests
            .get(0)
            .header("webhook-id")
            .equals(requests.get(requests.size() - 1).header("webhook-id")),
        "a replay is a new message");
  }

  @Test
  void shouldNotHoldBackNewerNewsOfTheRecordLikeADeadDelivery() throws SQLException {
    long sub = p.subscribe("down", "max_retries", "0");
    p.receiver.respondWith(r -> Response.status(502));
    p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "100"));
    long partner = p.partner("Lumber Inc");
    p.awaitStatus(1, "dead", WAIT);
    long dead = p.db.count("SELECT id FROM webhook_delivery WHERE subscriber_id = ?", sub);
    cancelInSql(dead);

    p.receiver.respondWith(r -> Response.ok());
    p.db.exec("UPDATE res_partner SET name = 'Lumber Ltd' WHERE id = " + partner);
    p.awaitStatus(1, "sent", WAIT);
    assertEquals("cancelled", status(dead), "the cancelled one stays as it was");
    assertEquals(
        "write",
        p.db.value(
            "SELECT event FROM webhook_delivery WHERE status = 'sent' AND record_id = ?",
            String.class,
            partner));

    // A replay of the cancelled create, with newer news pending, folds it in (as for dead ones).
    p.stopSidecar();
    p.db.exec("UPDATE res_partner SET name = 'Lumber Group' WHERE id = " + partner);
    p.db.count("SELECT webhook_route_events(500)");
    long newer =
        p.db.count(
            "SELECT id FROM webhook_delivery WHERE status = 'pending' AND record_id = ?", partner);
    p.db.count("SELECT count(*) FROM (SELECT webhook_replay_delivery(?)) r", dead);
    assertEquals("pending", status(dead));
    assertEquals(
        0, p.db.count("SELECT count(*) FROM webhook_delivery WHERE id = ?", newer), "merged");
    assertEquals(
        "create",
        p.db.value("SELECT event FROM webhook_delivery WHERE id = ?", String.class, dead),
        "create + write is still a create");
  }

  @Test
  void shouldCancelEveryDeadDeliveryOfOneSubscriberAndNoOther() {
    long a = p.subscribe("a", "", "");
    long b = p.subscribe("b", "", "");
    long deadA1 = delivery(a, 1, "dead");
    long deadA2 = delivery(a, 2, "dead");
    long failedA = delivery(a, 3, "failed");
    long deadB = delivery(b, 1, "dead");

    Result dry = cli("cancel", "--dead", "--subscriber", "a", "--dry-run");
    assertEquals(Cli.OK, dry.code(), dry.toString());
    assertTrue(
        dry.out().contains("2 dead deliveries of \"a\" would be cancelled: [" + deadA1), dry.out());
    assertEquals("dead", status(deadA1), "a dry run changes nothing");

    Result r = cli("cancel", "--dead", "--subscriber", "a");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertTrue(r.out().contains("2 dead deliveries of \"a\" cancelled"), r.out());
    assertEquals("cancelled", status(deadA1));
    assertEquals("cancelled", status(deadA2));
    assertEquals("failed", status(failedA), "only dead ones");
    assertEquals("dead", status(deadB), "only that subscriber's");
    assertEquals(0, p.db.count("SELECT webhook_cancel_dead_deliveries(?)", a), "none left");

    Result all = cli("cancel", "--dead");
    assertEquals(Cli.OK, all.code(), all.toString());
    assertTrue(all.out().contains("1 dead deliveries cancelled"), all.out());
    assertEquals("cancelled", status(deadB));
  }

  @Test
  void shouldSkipWithoutWaitingADeadDeliveryAnotherTransactionHoldsWhenCancellingASubscribers()
      throws SQLException {
    long sub = p.subscribe("crm", "", "");
    long held = delivery(sub, 1, "dead");
    long free = delivery(sub, 2, "dead");
    try (Connection replay = p.db.connect();
        Connection cancel = p.db.connect()) {
      // A replay under way: the record lock, then the row's (webhook_lock_delivery).
      replay.setAutoCommit(false);
      try (PreparedStatement ps = replay.prepareStatement("SELECT webhook_lock_delivery(?, '')")) {
        ps.setLong(1, held);
        ps.executeQuery().close();
      }
      try (var st = cancel.createStatement()) {
        st.execute("SET statement_timeout = '5s'"); // waiting would fail, not hang
      }
      try (PreparedStatement ps =
          cancel.prepareStatement("SELECT webhook_cancel_dead_deliveries(?, 'admin')")) {
        ps.setLong(1, sub);
        try (var rs = ps.executeQuery()) {
          rs.next();
          assertEquals(1, rs.getInt(1), "the one nobody holds");
        }
      }
      assertEquals("cancelled", status(free));
      assertEquals(
          "admin",
          p.db.value("SELECT cancelled_by FROM webhook_delivery WHERE id = ?", String.class, free));
      assertEquals("dead", status(held), "skipped: it is being handled");
      replay.rollback();
    }
    assertEquals(1, p.db.count("SELECT webhook_cancel_dead_deliveries(?)", sub), "now free");
    assertEquals("cancelled", status(held));
    assertNotNull(
        p.db.value("SELECT cancelled_by FROM webhook_delivery WHERE id = ?", String.class, held),
        "the database user");
  }

  @Test
  void shouldPurgeCancelledDeliveriesLikeDeadOnesAfterTheirCancellation() throws SQLException {
    long sub = p.subscribe("crm", "", "");
    long old = delivery(sub, 1, "dead");
    long recent = delivery(sub, 2, "dead");
    cancelInSql(old);
    cancelInSql(recent);
    p.db.exec(
        "UPDATE webhook_delivery SET updated_at = now() - interval '31 days' WHERE id = " + old);
    assertEquals(1, p.db.count("SELECT webhook_purge_dead(interval '30 days', 100)"));
    assertEquals(0, p.db.count("SELECT count(*) FROM webhook_delivery WHERE id = ?", old));
    assertEquals("cancelled", status(recent));
  }
}
