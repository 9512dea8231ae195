package dev.odoowebhook.sidecar.persistence;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the SQL in {@code sql/} (packaged as {@code db/migration}) with Flyway. Odoo's database
 * is never empty, so the first run baselines at version 0 and applies V1 onwards; Flyway's
 * history table is webhook_flyway_schema_history, which cannot collide with Odoo's tables.
 */
public final class SchemaMigrator {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SchemaMigrator.class);
  public static final String HISTORY_TABLE = "webhook_flyway_schema_history";

  private SchemaMigrator() {}

  /**
   * Regenerates the capture functions of tracked models from their tables' current columns
   * (Odoo upgrades add columns). Needs the functions' owner; a restricted role only gets told.
   */
  public static void refreshCapture(DataSource dataSource) {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement()) {
      st.execute("SELECT webhook_refresh_capture()");
    } catch (SQLException e) {
      log.info("Capture functions not refreshed ({}): run `track` again after Odoo upgrades.",
          DatabaseErrors.firstLine(e));
    }
  }

  /** Migrates and returns the schema version now in place. */
  public static String migrate(DataSource dataSource) {
    Flyway flyway =
        Flyway.configure()
            .dataSource(dataSource)
            .locations("classpath:db/migration")
            .table(HISTORY_TABLE)
            .baselineOnMigrate(true)
            .baselineVersion("0")
            // The SQL uses format() patterns such as %1$I; nothing in it is a Flyway placeholder.
            .placeholderReplacement(false)
            .load();
    MigrateResult result = flyway.migrate();
    return result.targetSchemaVersion != null
        ? result.targetSchemaVersion
        : flyway.info().current().getVersion().getVersion();
  }
}
