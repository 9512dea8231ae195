package dev.odoowebhook.sidecar.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Upgrading a database whose models were tracked with sql/V2's statement-level triggers:
 * sql/V11 puts its row-level trigger in their place, and capture goes on without a gap.
 */
class CaptureUpgradeTest {

  @Test
  void shouldReplaceTheStatementTriggersOfTrackedTablesWithTheRowTrigger() {
    try (TestDatabase db = TestDatabase.createMigratedTo("10")) {
      db.exec("CREATE TABLE sale_order (id serial PRIMARY KEY, name varchar, write_date timestamp);"
          + " CREATE TABLE crm_lead (id serial PRIMARY KEY, name varchar)");
      db.exec("SELECT webhook_track('res.partner'), webhook_track('sale.order'), webhook_track('crm.lead')");
      db.exec("SELECT webhook_untrack('sale.order')");
      // A tracked model whose module was uninstalled since: its table is gone.
      db.exec("DROP TABLE crm_lead");
      db.exec("INSERT INTO res_partner (name) VALUES ('before the upgrade')");
      assertEquals(List.of("webhook_capture_delete", "webhook_capture_insert", "webhook_capture_update"),
          triggers(db, "res_partner"));

      db.migrate();

      assertEquals(List.of("webhook_capture"), triggers(db, "res_partner"));
      assertTrue(db.count("SELECT count(*) FROM pg_trigger WHERE tgname = 'webhook_capture'"
          + " AND tgrelid = 'res_partner'::regclass AND (tgtype & 1) = 1") == 1, "a FOR EACH ROW trigger");
      assertTrue(db.value("SELECT webhook_capture_installed('res.partner')", Boolean.class));
      assertEquals(List.of(), triggers(db, "sale_order"), "an untracked model stays untracked");

      db.exec("UPDATE res_partner SET email = 'after@example.com', write_date = now()");
      assertEquals(List.of(
              Map.of("event", "create", "fields", List.of()),
              Map.of("event", "write", "fields", List.of("email"))),
          db.rows("SELECT event, coalesce(changed_fields, '{}') AS fields FROM webhook_event ORDER BY id"));
    }
  }

  private static List<Object> triggers(TestDatabase db, String table) {
    return db.rows("SELECT tgname FROM pg_trigger WHERE tgrelid = ?::regclass AND NOT tgisinternal ORDER BY tgname",
            table).stream().map(r -> r.get("tgname")).toList();
  }
}
