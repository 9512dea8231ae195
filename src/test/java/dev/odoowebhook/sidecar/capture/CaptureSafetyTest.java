// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tracking never breaks Odoo and no change is silent (invariant 8, issue 18 points 1 to 4): the
 * sidecar's own tables and tables not shaped like an Odoo model's are refused; tables with long
 * names sharing a prefix never share a capture function; an id change and a TRUNCATE are news.
 */
@ExtendWith(MigratedDatabase.class)
class CaptureSafetyTest {
  /** 50 characters: "webhook_capture_" + this is cut at 63 characters, inside the common part. */
  static final String LONG_PREFIX = "odoo_module_with_a_rather_long_name_and_long_model";

  static TestDatabase db;

  @BeforeEach
  void freshState() {
    db.exec(
        "SELECT webhook_track('res.partner');"
            + " SELECT webhook_set_captured_fields('res.partner', NULL);"
            + " TRUNCATE res_partner RESTART IDENTITY; TRUNCATE webhook_event");
  }

  private List<Map<String, Object>> events() {
    return db.rows(
        "SELECT model, record_id, event, changed_fields, old_values::text AS old_values,"
            + " new_values::text AS new_values FROM webhook_event ORDER BY id");
  }

  private static String eventsText(List<Map<String, Object>> events) {
    return events.stream()
        .map(e -> e.get("model") + ":" + e.get("record_id") + ":" + e.get("event"))
        .toList()
        .toString();
  }

  private static SQLException refused(String sql) {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> db.exec(sql));
    return (SQLException) e.getCause();
  }

  @Test
  void shouldRefuseToTrackTheSidecarsOwnTables() {
    for (String table :
        List.of(
            "webhook_event",
            "webhook_delivery",
            "webhook_subscriber",
            "webhook_attempt",
            "webhook_tracked_model",
            "webhook_installation")) {
      SQLException e =
          refused("SELECT webhook_track('" + table.replace('_', '.') + "', '" + table + "')");
      assertTrue(
          e.getMessage().contains("one of the webhook sidecar's own tables"), e.getMessage());
    }
    // Through Odoo's naming too (the addon's models webhook.event, webhook.delivery, ...).
    assertTrue(
        refused("SELECT webhook_track('webhook.event')").getMessage().contains("own tables"));
    // A table that inherits from one of them would feed itself the same way.
    db.exec("CREATE TABLE IF NOT EXISTS event_mirror () INHERITS (webhook_event)");
    assertTrue(
        refused("SELECT webhook_track('x.mirror', 'event_mirror')")
            .getMessage()
            .contains("own tables"));
    assertEquals(
        0,
        db.count(
            "SELECT count(*) FROM webhook_tracked_model WHERE table_name LIKE 'webhook%' OR table_name = 'event_mirror'"));
    // Odoo still writes to tracked tables.
    db.exec("INSERT INTO res_partner (name) VALUES ('still fine')");
    assertEquals(1, events().size());
  }

  @Test
  void shouldRefuseTablesThatAreNotShapedLikeAnOdooModel() {
    db.exec("DROP TABLE IF EXISTS loose; CREATE TABLE loose (id integer, name text)");
    SQLException nullable = refused("SELECT webhook_track('x.loose', 'loose')");
    assertTrue(nullable.getMessage().contains("its \"id\" may be NULL"), nullable.getMessage());
    db.exec("ALTER TABLE loose ALTER COLUMN id SET NOT NULL");
    SQLException notUnique = refused("SELECT webhook_track('x.loose', 'loose')");
    assertTrue(notUnique.getMessage().contains("its \"id\" is not unique"), notUnique.getMessage());
    db.exec("CREATE UNIQUE INDEX loose_id_index ON loose (id) WHERE id > 0");
    assertTrue(
        refused("SELECT webhook_track('x.loose', 'loose')").getMessage().contains("not unique"),
        "a partial unique index does not make ids unique");
    db.exec("ALTER TABLE loose ADD PRIMARY KEY (id)");
    db.exec("SELECT webhook_track('x.loose', 'loose'); SELECT webhook_untrack('x.loose')");
  }

  @Test
  void shouldRefuseATableAlreadyTrackedAsAnotherModel() {
    SQLException e = refused("SELECT webhook_track('res.partner.copy', 'res_partner')");
    assertTrue(e.getMessage().contains("already tracked as model \"res.partner\""), e.getMessage());
  }

  @Test
  void shouldGiveLongTableNamesSharingTheirFirst63CharactersTheirOwnCaptureFunctions() {
    String alpha = LONG_PREFIX + "_alpha";
    String beta = LONG_PREFIX + "_beta";
    db.exec(
        "CREATE TABLE IF NOT EXISTS "
            + alpha
            + " (id serial PRIMARY KEY, name text, amount numeric);"
            + " CREATE TABLE IF NOT EXISTS "
            + beta
            + " (id serial PRIMARY KEY, name text);"
            + " SELECT webhook_track('x.alpha', '"
            + alpha
            + "'); SELECT webhook_track('x.beta', '"
            + beta
            + "')");
    try {
      assertNotEquals(function(alpha), function(beta), "one capture function per table");
      db.exec(
          "INSERT INTO "
              + alpha
              + " (name) VALUES ('a'); INSERT INTO "
              + beta
              + " (name) VALUES ('b')");
      assertEquals("[x.alpha:1:create, x.beta:1:create]", eventsText(events()));
      // A column dropped from one table must not break writes to the other.
      db.exec(
          "ALTER TABLE "
              + alpha
              + " DROP COLUMN amount; SELECT webhook_refresh_capture(); TRUNCATE webhook_event");
      db.exec("UPDATE " + beta + " SET name = 'b2'; UPDATE " + alpha + " SET name = 'a2'");
      assertEquals("[x.beta:1:write, x.alpha:1:write]", eventsText(events()));
    } finally {
      db.exec(
          "SELECT webhook_untrack('x.alpha'); SELECT webhook_untrack('x.beta');"
              + " DROP TABLE "
              + alpha
              + "; DROP TABLE "
              + beta);
    }
  }

  private static String function(String table) {
    return db.value(
        "SELECT DISTINCT tgfoid::regproc::text FROM pg_trigger WHERE tgrelid = ?::regclass"
            + " AND tgname LIKE 'webhook_capture_%'",
        String.class, table);
  }

  @Test
  void shouldAnnounceAnIdChangeAsTheOldIdsUnlinkAndTheNewIdsCreate() {
    db.exec("INSERT INTO res_partner (name) VALUES ('a'), ('b'); TRUNCATE webhook_event");
    db.exec("UPDATE res_partner SET id = 100 WHERE id = 1");
    assertEquals("[res.partner:1:unlink, res.partner:100:create]", eventsText(events()));

    db.exec(
        "SELECT webhook_set_captured_fields('res.partner', ARRAY['name']); TRUNCATE webhook_event");
    db.exec("UPDATE res_partner SET id = 200, name = 'b2' WHERE id = 2");
    List<Map<String, Object>> events = events();
    assertEquals("[res.partner:2:unlink, res.partner:200:create]", eventsText(events));
    assertEquals(
        "{\"name\": \"b\"}", events.get(0).get("old_values"), "the old record's last values");
    assertEquals("{\"name\": \"b2\"}", events.get(1).get("new_values"), "the new record's values");
  }

  @Test
  void shouldNotCallTheCaptureOnceMorePerRowForOrdinaryUpdates() throws SQLException {
    db.exec(
        "INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 10) g; TRUNCATE webhook_event");
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("SET track_functions = 'all'");
      st.execute("SELECT pg_stat_reset()");
      st.execute("UPDATE res_partner SET email = 'x@example.com'");
      st.execute("SELECT pg_stat_force_next_flush()");
    }
    // One statement-level call for ten rows: the id-change trigger did not fire.
    assertEquals(
        1,
        db.count(
            "SELECT calls FROM pg_stat_user_functions"
                + " WHERE funcname = webhook_capture_function_name('res_partner')"));
    assertEquals(10, events().size());
  }

  @Test
  void shouldAnnounceATruncateAsAnUnlinkPerRecord() throws SQLException {
    db.exec("INSERT INTO res_partner (name) VALUES ('a'), ('b'); TRUNCATE webhook_event");
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute(
          "INSERT INTO res_partner (name) VALUES ('created and truncated in one transaction')");
      st.execute("TRUNCATE res_partner");
      c.commit();
    }
    assertEquals("[res.partner:1:unlink, res.partner:2:unlink]", eventsText(events()));

    db.exec(
        "SELECT webhook_set_captured_fields('res.partner', ARRAY['name']);"
            + " INSERT INTO res_partner (name) VALUES ('c'); TRUNCATE webhook_event; TRUNCATE res_partner CASCADE");
    List<Map<String, Object>> events = events();
    assertEquals(1, events.size(), events.toString());
    assertEquals("unlink", events.get(0).get("event"));
    assertEquals("{\"name\": \"c\"}", events.get(0).get("old_values"));
  }

  @Test
  void shouldUntrackAtRefreshATableThatCanNoLongerBeTracked() {
    db.exec(
        "DROP TABLE IF EXISTS gone_shape; CREATE TABLE gone_shape (id serial PRIMARY KEY, name text);"
            + " SELECT webhook_track('x.gone', 'gone_shape');"
            + " ALTER TABLE gone_shape DROP CONSTRAINT gone_shape_pkey, ALTER COLUMN id DROP NOT NULL");
    db.exec("SELECT webhook_refresh_capture()");
    assertFalse(
        db.value("SELECT active FROM webhook_tracked_model WHERE model = 'x.gone'", Boolean.class));
    assertEquals(
        0, db.count("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'gone_shape'::regclass"));
    db.exec("INSERT INTO gone_shape (id, name) VALUES (NULL, 'Odoo keeps writing')");
  }
}
