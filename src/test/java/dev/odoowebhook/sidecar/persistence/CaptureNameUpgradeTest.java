// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, point 2, before and after: two tracked tables whose names share their first 47
 * characters shared one capture function under the released layout (names cut at 63), so one
 * table's changes were announced as the other's. `migrate` moves such a database to one function
 * per table and drops the shared one.
 */
class CaptureNameUpgradeTest {
  private static final String ALPHA = "odoo_module_with_a_rather_long_name_and_long_model_alpha";
  private static final String BETA = "odoo_module_with_a_rather_long_name_and_long_model_beta";

  @Test
  void shouldGiveEachLongNamedTableItsOwnCaptureFunctionAfterMigrate() {
    try (TestDatabase db = TestPostgres.get().newDatabase();
        Database pool = Database.open(db.config(Map.of()), 2, "names-upgrade")) {
      db.exec(TestDatabase.ODOO_LIKE_PARTNER);
      Flyway.configure()
          .dataSource(pool.dataSource())
          .locations("classpath:legacy-sql")
          .table(SchemaMigrator.HISTORY_TABLE)
          .baselineOnMigrate(true)
          .baselineVersion("0")
          .placeholderReplacement(false)
          .load()
          .migrate();
      db.exec(
          "CREATE TABLE "
              + ALPHA
              + " (id serial PRIMARY KEY, name text);"
              + " CREATE TABLE "
              + BETA
              + " (id serial PRIMARY KEY, name text);"
              + " SELECT webhook_track('x.alpha', '"
              + ALPHA
              + "'); SELECT webhook_track('x.beta', '"
              + BETA
              + "')");
      String shared = function(db, ALPHA);
      assertEquals(shared, function(db, BETA), "the released layout: one function for both tables");
      db.exec("INSERT INTO " + ALPHA + " (name) VALUES ('a')");
      assertEquals(
          "x.beta",
          db.value("SELECT model FROM webhook_event ORDER BY id DESC LIMIT 1", String.class),
          "the released layout announced alpha's record as beta's");

      SchemaMigrator.migrate(pool.dataSource());

      assertNotEquals(function(db, ALPHA), function(db, BETA), "one function per table");
      assertNull(
          db.value("SELECT to_regproc(?)::text", String.class, shared),
          "the shared function is dropped");
      assertTrue(
          db.value(
              "SELECT webhook_capture_installed('x.alpha') AND webhook_capture_installed('x.beta')",
              Boolean.class),
          "all capture triggers installed, TRUNCATE and id change included");
      db.exec(
          "TRUNCATE webhook_event; INSERT INTO "
              + ALPHA
              + " (name) VALUES ('a2'); INSERT INTO "
              + BETA
              + " (name) VALUES ('b')");
      assertEquals(
          List.of("x.alpha", "x.beta"),
          db.rows("SELECT model FROM webhook_event ORDER BY id").stream()
              .map(r -> r.get("model"))
              .toList());
    }
  }

  private static String function(TestDatabase db, String table) {
    return db.value(
        "SELECT string_agg(DISTINCT tgfoid::regproc::text, ',') FROM pg_trigger"
            + " WHERE tgrelid = ?::regclass AND tgname LIKE 'webhook_capture_%'",
        String.class, table);
  }
}
