// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The capture triggers of sql/V2 on a real PostgreSQL: what a change of a tracked row leaves. */
@ExtendWith(MigratedDatabase.class)
class CaptureTest {
  static TestDatabase db;

  @BeforeEach
  void trackPartnersAfresh() {
    db.exec(
        "SELECT webhook_track('res.partner'); TRUNCATE res_partner RESTART IDENTITY; TRUNCATE webhook_event");
  }

  private List<Map<String, Object>> events() {
    return db.rows("SELECT model, record_id, event, changed_fields FROM webhook_event ORDER BY id");
  }

  /** Runs the statements in one transaction on one connection, then commits. */
  private void commitInOneTransaction(String... statements) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      for (String sql : statements) {
        st.execute(sql);
      }
      c.commit();
    }
  }

  /** Each record's event and changed fields ([] for none), in record order. */
  private List<Map<String, Object>> eventsByRecord() {
    return db.rows(
        "SELECT record_id, event, coalesce(changed_fields, '{}') AS changed_fields"
            + " FROM webhook_event ORDER BY record_id");
  }

  @Test
  void shouldCaptureEachInsertedRowAsCreate() {
    db.exec("INSERT INTO res_partner (name) VALUES ('a'), ('b')");
    List<Map<String, Object>> events = events();
    assertEquals(2, events.size());
    assertEquals("res.partner", events.get(0).get("model"));
    assertEquals("create", events.get(0).get("event"));
    assertEquals(List.of(1L, 2L), events.stream().map(e -> e.get("record_id")).toList());
  }

  @Test
  void shouldCaptureMultiRowUpdateInOneTriggerCallWithChangedFields() throws SQLException {
    db.exec(
        "INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 10) g; TRUNCATE webhook_event");
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("SET track_functions = 'all'");
      st.execute("UPDATE res_partner SET email = 'x@example.com', write_date = now()");
      st.execute("SELECT pg_stat_force_next_flush()");
    }
    assertEquals(10, db.count("SELECT count(*) FROM webhook_event WHERE event = 'write'"));
    assertEquals(List.of("email"), events().get(0).get("changed_fields"));
    // One statement-level call for the ten rows (not ten row-level calls).
    assertEquals(
        1,
        db.count(
            "SELECT calls FROM pg_stat_user_functions WHERE funcname = webhook_capture_function_name('res_partner')"));
  }

  @Test
  void shouldCaptureARowDeletedAndInsertedAgainInOneTransactionAsAWrite() throws SQLException {
    db.exec("INSERT INTO res_partner (name) VALUES ('a'); TRUNCATE webhook_event");
    commitInOneTransaction(
        "DELETE FROM res_partner WHERE id = 1",
        "INSERT INTO res_partner (id, name) VALUES (1, 'a again')");
    List<Map<String, Object>> events = events();
    assertEquals(1, events.size(), events.toString());
    assertEquals("write", events.get(0).get("event"));
    assertNull(events.get(0).get("changed_fields"), "the whole record changed");
  }

  @Test
  void shouldForgetWhatARolledBackSavepointCaptured() throws SQLException {
    // Odoo runs much of its work inside savepoints (cr.savepoint()) and rolls some of them back.
    db.exec("INSERT INTO res_partner (name) VALUES ('a'), ('b'); TRUNCATE webhook_event");
    commitInOneTransaction(
        "UPDATE res_partner SET email = 'kept' WHERE id = 1",
        "SAVEPOINT s",
        "UPDATE res_partner SET phone = 'dropped' WHERE id = 1",
        "INSERT INTO res_partner (name) VALUES ('dropped')",
        "ROLLBACK TO SAVEPOINT s",
        "UPDATE res_partner SET comment = 'kept' WHERE id = 2");
    assertEquals(
        List.of(
            Map.of("record_id", 1L, "changed_fields", List.of("email")),
            Map.of("record_id", 2L, "changed_fields", List.of("comment"))),
        events().stream()
            .map(
                e ->
                    Map.of(
                        "record_id", e.get("record_id"), "changed_fields", e.get("changed_fields")))
            .toList());
  }

  @Test
  void shouldCaptureDeleteAsUnlink() {
    db.exec("INSERT INTO res_partner (name) VALUES ('a'); TRUNCATE webhook_event");
    db.exec("DELETE FROM res_partner");
    assertEquals(
        List.of(Map.of("model", "res.partner", "record_id", 1L, "event", "unlink")),
        events().stream()
            .map(
                e ->
                    Map.of(
                        "model",
                        e.get("model"),
                        "record_id",
                        e.get("record_id"),
                        "event",
                        e.get("event")))
            .toList());
  }

  @Test
  void shouldIgnoreWritesThatOnlyTouchWriteDateAndWriteUid() {
    db.exec("INSERT INTO res_partner (name) VALUES ('a'); TRUNCATE webhook_event");
    db.exec("UPDATE res_partner SET write_date = now() + interval '1 hour', write_uid = 7");
    db.exec("UPDATE res_partner SET name = name");
    assertTrue(events().isEmpty(), "no-op writes must not be events: " + events());
  }

  @Test
  void shouldCaptureNothingFromARolledBackTransaction() throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      c.createStatement().execute("INSERT INTO res_partner (name) VALUES ('ghost')");
      c.createStatement().execute("UPDATE res_partner SET email = 'ghost@example.com'");
      c.rollback();
    }
    assertTrue(events().isEmpty());
  }

  @Test
  void shouldMergeSeveralUpdatesOfOneRowInOneTransaction() throws SQLException {
    db.exec("INSERT INTO res_partner (name) VALUES ('a'); TRUNCATE webhook_event");
    // What Odoo does on one write(): two UPDATEs of the same row.
    commitInOneTransaction(
        "UPDATE res_partner SET email = 'e', write_date = now()",
        "UPDATE res_partner SET parent_id = 3, write_date = now()",
        "UPDATE res_partner SET write_date = now()");
    List<Map<String, Object>> events = events();
    assertEquals(1, events.size(), events.toString());
    assertEquals(List.of("email", "parent_id"), events.get(0).get("changed_fields"));
  }

  @Test
  void shouldMergeAStatementOverRecordsOnlySomeOfWhichTheTransactionCapturedBefore()
      throws SQLException {
    // The first statement of a transaction inserts its events plainly; a later one merges.
    db.exec("INSERT INTO res_partner (name) VALUES ('a'), ('b'); TRUNCATE webhook_event");
    commitInOneTransaction(
        "UPDATE res_partner SET email = 'e' WHERE id = 1",
        "UPDATE res_partner SET phone = 'p' WHERE id IN (1, 2)",
        "DELETE FROM res_partner WHERE id = 2",
        "INSERT INTO res_partner (id, name) VALUES (2, 'b again')");
    assertEquals(
        List.of(
            Map.of("record_id", 1L, "event", "write", "changed_fields", List.of("email", "phone")),
            Map.of("record_id", 2L, "event", "write", "changed_fields", List.of())),
        eventsByRecord());
  }

  @Test
  void shouldCaptureAnUpsertAsCreatesAndWrites() {
    // One statement fires both the INSERT and the UPDATE trigger: each records its own records.
    db.exec("INSERT INTO res_partner (name) VALUES ('a'); TRUNCATE webhook_event");
    db.exec(
        "INSERT INTO res_partner (id, name) VALUES (1, 'a renamed'), (5, 'e')"
            + " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name");
    assertEquals(
        List.of(
            Map.of("record_id", 1L, "event", "write", "changed_fields", List.of("name")),
            Map.of("record_id", 5L, "event", "create", "changed_fields", List.of())),
        eventsByRecord());
  }

  @Test
  void shouldCaptureARecordAgainAfterTheSavepointThatCapturedItRolledBack() throws SQLException {
    // The rolled-back event is gone: the next statement finds none to merge into, and inserts.
    db.exec("INSERT INTO res_partner (name) VALUES ('a'); TRUNCATE webhook_event");
    commitInOneTransaction(
        "SAVEPOINT s",
        "UPDATE res_partner SET email = 'dropped' WHERE id = 1",
        "ROLLBACK TO SAVEPOINT s",
        "UPDATE res_partner SET phone = 'kept' WHERE id = 1");
    List<Map<String, Object>> events = events();
    assertEquals(1, events.size(), events.toString());
    assertEquals(List.of("phone"), events.get(0).get("changed_fields"));
  }

  @Test
  void shouldMergeIntoWhatAnIdChangeOrATruncateRecordedEarlierInTheTransaction()
      throws SQLException {
    // Both are captured by statements that always merge; the flag that tells a later statement
    // to merge must be set by them too, or its plain INSERT would fail Odoo's write.
    db.exec("INSERT INTO res_partner (name) VALUES ('a'); TRUNCATE webhook_event");
    commitInOneTransaction(
        "UPDATE res_partner SET id = 100 WHERE id = 1",
        "UPDATE res_partner SET name = 'renamed' WHERE id = 100");
    assertEquals(
        List.of(
            Map.of("record_id", 1L, "event", "unlink", "changed_fields", List.of()),
            Map.of("record_id", 100L, "event", "create", "changed_fields", List.of())),
        eventsByRecord());

    db.exec("TRUNCATE webhook_event");
    commitInOneTransaction(
        "TRUNCATE res_partner", "INSERT INTO res_partner (id, name) VALUES (100, 'again')");
    assertEquals(
        List.of(Map.of("record_id", 100L, "event", "write", "changed_fields", List.of())),
        eventsByRecord(),
        "the record truncated and inserted again in one transaction changed");
  }

  @Test
  void shouldMergeAcrossARegenerationOfTheCaptureFunctionInTheMiddleOfATransaction()
      throws SQLException {
    // Odoo's transaction writes a record, the sidecar starts (it regenerates every capture
    // function), the transaction writes the record again through the new function.
    writeARecordTwiceInOneTransactionAround(
        () -> {
          String before = captureFunctionVersion();
          db.exec("SELECT webhook_refresh_capture()");
          assertFalse(before.equals(captureFunctionVersion()), "the function was replaced");
        });
  }

  @Test
  void shouldReplaceACaptureFunctionWithoutTheTransactionFlagOnlyOnceNoTransactionWroteThroughIt()
      throws SQLException {
    // A database upgraded from a release whose capture did not set the flag (it always merged,
    // or tested the events): emulated by today's function merging always, under another flag.
    String function = db.value("SELECT webhook_capture_function_name('res_partner')", String.class);
    String flag = "webhook." + function;
    String today = db.value("SELECT pg_get_functiondef(?::regproc)", String.class, function);
    String older =
        today
            .replace("coalesce(current_setting('" + flag + "', true) = 'on', false)", "true")
            .replace(flag, "webhook.older_release");
    assertFalse(older.contains(flag));
    db.exec(older);
    // The sidecar starts while the transaction is open: a new function here would not know
    // that the transaction has an event to merge into. Its refresh waits 3 s for the table,
    // then keeps the older function for now.
    writeARecordTwiceInOneTransactionAround(
        () -> {
          db.exec("SELECT webhook_refresh_capture()");
          assertFalse(
              captureFunctionSource().contains(flag), "not replaced while the writer is open");
          // An admin choosing captured fields meanwhile (no lock_timeout of its own): one clear
          // line after 3 s, and nothing changed.
          try (Connection admin = db.connect();
              Statement st = admin.createStatement()) {
            admin.setAutoCommit(false);
            SQLException e =
                assertThrows(
                    SQLException.class,
                    () ->
                        st.execute(
                            "SELECT webhook_set_captured_fields('res.partner', ARRAY['name'])"));
            assertEquals("55P03", e.getSQLState());
            assertTrue(
                e.getMessage().contains("cannot be upgraded while a transaction"), e.getMessage());
            admin.rollback();
          } catch (SQLException e) {
            throw new AssertionError(e);
          }
          assertEquals(
              0,
              db.count(
                  "SELECT coalesce(cardinality(captured_fields), 0) FROM webhook_tracked_model"
                      + " WHERE model = 'res.partner'"));
        });
    // Once no writer is open, the admin's call replaces it at once, and leaves the rest of its
    // transaction without the lock timeout it used for the wait.
    try (Connection admin = db.connect();
        Statement st = admin.createStatement()) {
      admin.setAutoCommit(false);
      st.execute("SELECT webhook_set_captured_fields('res.partner', NULL)");
      try (ResultSet rs = st.executeQuery("SHOW lock_timeout")) {
        assertTrue(rs.next());
        assertEquals("0", rs.getString(1));
      }
      admin.commit();
    }
    assertTrue(captureFunctionSource().contains(flag), "replaced once no writer is open");
  }

  /**
   * Writes record 1 in one transaction, runs between (on another connection) after the first write,
   * writes it again and commits; the two writes must make one event with both fields.
   */
  private void writeARecordTwiceInOneTransactionAround(Runnable between) throws SQLException {
    db.exec("INSERT INTO res_partner (name) VALUES ('a'); TRUNCATE webhook_event");
    try (Connection odoo = db.connect();
        Statement st = odoo.createStatement()) {
      odoo.setAutoCommit(false);
      st.execute("UPDATE res_partner SET email = 'e' WHERE id = 1");
      between.run();
      st.execute("UPDATE res_partner SET phone = 'p' WHERE id = 1");
      odoo.commit();
    }
    assertEquals(
        List.of(
            Map.of("record_id", 1L, "event", "write", "changed_fields", List.of("email", "phone"))),
        eventsByRecord());
  }

  private String captureFunctionSource() {
    return db.value(
        "SELECT prosrc FROM pg_proc WHERE proname = webhook_capture_function_name('res_partner')",
        String.class);
  }

  /** Changes whenever the function is replaced. */
  private String captureFunctionVersion() {
    return db.value(
        "SELECT xmin::text FROM pg_proc WHERE proname = webhook_capture_function_name('res_partner')",
        String.class);
  }

  @Test
  void shouldKeepCreateWhenTheNewRowIsUpdatedInTheSameTransaction() throws SQLException {
    commitInOneTransaction(
        "INSERT INTO res_partner (name) VALUES ('a')", "UPDATE res_partner SET email = 'e'");
    List<Map<String, Object>> events = events();
    assertEquals(1, events.size());
    assertEquals("create", events.get(0).get("event"));
  }

  @Test
  void shouldCaptureNothingForARowCreatedAndDeletedInOneTransaction() throws SQLException {
    commitInOneTransaction(
        "INSERT INTO res_partner (name) VALUES ('brief')",
        "DELETE FROM res_partner WHERE name = 'brief'");
    assertTrue(events().isEmpty(), events().toString());
  }

  @Test
  void shouldCompareColumnsOfTypesWithoutEquality() {
    db.exec("ALTER TABLE res_partner ADD COLUMN location point");
    db.exec("SELECT webhook_track('res.partner')"); // regenerate for the new column
    db.exec("INSERT INTO res_partner (name) VALUES ('a'); TRUNCATE webhook_event");
    db.exec("UPDATE res_partner SET location = point(1, 2), properties = '{\"a\": 1}'");
    assertEquals(List.of("location", "properties"), events().get(0).get("changed_fields"));
    db.exec("ALTER TABLE res_partner DROP COLUMN location; SELECT webhook_track('res.partner')");
  }

  @Test
  void shouldKeepOdooWritingWhenAColumnOfATrackedTableIsDroppedOrAdded() {
    db.exec("ALTER TABLE res_partner ADD COLUMN legacy_code text");
    db.exec(
        "INSERT INTO res_partner (name, legacy_code) VALUES ('a', 'x'); TRUNCATE webhook_event");
    // A module uninstall drops its columns: the event trigger regenerates the capture function.
    db.exec("ALTER TABLE res_partner DROP COLUMN legacy_code");
    db.exec("UPDATE res_partner SET email = 'still@works.example'");
    db.exec("ALTER TABLE res_partner ADD COLUMN vat text");
    db.exec("UPDATE res_partner SET vat = 'BE0477472701'");
    assertEquals(
        List.of(List.of("email"), List.of("vat")),
        events().stream().map(e -> e.get("changed_fields")).toList());
  }

  @Test
  void shouldRefuseAModelOdooDoesNotKnow() {
    db.exec("CREATE TABLE ir_model (id serial PRIMARY KEY, model varchar)");
    try {
      db.exec("INSERT INTO ir_model (model) VALUES ('res.partner')");
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class, () -> db.exec("SELECT webhook_track('res.partnr')"));
      assertTrue(
          e.getMessage().contains("Model \"res.partnr\" is not installed in this Odoo database"),
          e.getMessage());
      db.exec("SELECT webhook_track('res.partner')");
    } finally {
      db.exec("DROP TABLE ir_model");
    }
  }

  @Test
  void shouldStopCapturingAfterUntrackAndKeepPendingEvents() {
    db.exec("INSERT INTO res_partner (name) VALUES ('a')");
    db.exec("SELECT webhook_untrack('res.partner')");
    db.exec("UPDATE res_partner SET email = 'after@example.com'");
    assertEquals(1, events().size(), "the event captured before untrack stays");
    assertFalse(db.value("SELECT webhook_capture_installed('res.partner')", Boolean.class));
    assertEquals(
        0, db.count("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'webhook_capture_%'"));
  }

  @Test
  void shouldRefuseToTrackAMissingTableWithAClearMessage() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> db.exec("SELECT webhook_track('res.nothing')"));
    assertTrue(
        e.getMessage().contains("Table \"res_nothing\" for model \"res.nothing\" does not exist"),
        e.getMessage());
  }

  @Test
  void shouldRefuseToTrackATableWithoutIdColumn() {
    db.exec("CREATE TABLE IF NOT EXISTS res_no_id (code text)");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> db.exec("SELECT webhook_track('res.no_id')"));
    assertTrue(e.getMessage().contains("has no integer \"id\" column"), e.getMessage());
  }

  @Test
  void shouldRefuseToUntrackAModelThatIsNotTracked() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> db.exec("SELECT webhook_untrack('sale.order')"));
    assertTrue(e.getMessage().contains("Model \"sale.order\" is not tracked"), e.getMessage());
  }
}
