// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.jobs.CleanupJob;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Pipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The optional role of sql/optional/sidecar_role.sql runs the sidecar and can do no more. */
class LeastPrivilegeTest {

  @Test
  void shouldRunTheWholePipelineAsTheLeastPrivilegeRole() throws Exception {
    try (Pipeline p = new Pipeline()) {
      p.subscribe("erp", "", "");
      // Through JDBC: without psql's meta-commands (\set ON_ERROR_STOP on).
      p.db.exec(
          Files.readString(Path.of("sql/optional/sidecar_role.sql"))
              .replaceAll("(?m)^\\\\.*$", ""));
      Map<String, String> asSidecarRole =
          Map.of("WEBHOOK_DB_USER", "webhook_sidecar", "WEBHOOK_DB_PASSWORD", "");
      Sidecar sidecar = p.startSidecar(asSidecarRole);
      try {
        long id = p.partner("least privilege");
        Await.until(
            "delivered by the restricted role",
            Duration.ofSeconds(20),
            () -> p.receiver.requests().size() == 1,
            p::statuses);
        assertEquals(id, p.receiver.requests().get(0).data().get("record_id").asLong());
        assertTrue(
            new CleanupJob(sidecar.database(), p.db.config(asSidecarRole)).run() != null,
            "the cleanup reads tracked tables");
      } finally {
        p.stopSidecar();
      }
      try (Connection c = DriverManager.getConnection(p.db.url(), "webhook_sidecar", "")) {
        SQLException write =
            assertThrows(
                SQLException.class,
                () -> c.createStatement().execute("UPDATE res_partner SET name = 'x'"));
        assertEquals("42501", write.getSQLState(), "no write to Odoo's tables");
        SQLException track =
            assertThrows(
                SQLException.class,
                () -> c.createStatement().execute("SELECT webhook_untrack('res.partner')"));
        assertEquals("42501", track.getSQLState(), "trigger management stays with the owner");
        SQLException ddl =
            assertThrows(
                SQLException.class,
                () -> c.createStatement().execute("ALTER TABLE webhook_event ADD COLUMN x int"));
        assertEquals("42501", ddl.getSQLState());
      }
    }
  }
}
