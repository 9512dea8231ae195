// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.persistence;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the SQL in {@code sql/} (packaged as {@code db/migration}) with Flyway: the versioned
 * files (tables) in version order, then the repeatable {@code R__*} files (functions, one file per
 * step), each again whenever it changes. Odoo's database is never empty, so the first run baselines
 * at version 0; Flyway's history table is webhook_flyway_schema_history, which cannot collide with
 * Odoo's tables. Afterwards the optional least-privilege role, if it exists, gets the grants of
 * {@code webhook_grant_sidecar_role()}.
 */
public final class SchemaMigrator {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(SchemaMigrator.class);
  public static final String HISTORY_TABLE = "webhook_flyway_schema_history";

  private SchemaMigrator() {}

  /**
   * Regenerates the capture functions of tracked models from their tables' current columns (Odoo
   * upgrades add columns). Needs the functions' owner; a restricted role only gets told.
   */
  public static void refreshCapture(DataSource dataSource) {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement()) {
      st.execute("SELECT webhook_refresh_capture()");
      // Tables untracked because they can no longer be tracked, triggers not renewed.
      for (SQLWarning w = st.getWarnings(); w != null; w = w.getNextWarning()) {
        log.warn(w.getMessage());
      }
    } catch (SQLException e) {
      log.info(
          "Capture functions not refreshed ({}): run `track` again after Odoo upgrades.",
          DatabaseErrors.firstLine(e));
    }
  }

  /**
   * Migrates and returns the schema version now in place. As the owner of the sidecar's tables it
   * also refreshes the capture of tracked models ({@link #refreshCapture}).
   */
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
            // V1..V10 were folded into V11 and the R__ files: a database migrated by an older
            // release keeps their history rows, which no shipped file resolves any more. They
            // are applied and their objects are in V11's re-runnable form, so they are no error.
            // "*:future" is Flyway's default, kept: an older sidecar may run against a newer
            // schema.
            .ignoreMigrationPatterns("*:future", "*:missing")
            .load();
    MigrateResult result = flyway.migrate();
    grantSidecarRole(dataSource);
    if (ownsSidecarTables(dataSource)) {
      // New capture rules reach the functions of tracked models, and databases tracked by an
      // older release get their triggers on the current function names (upgrade path).
      refreshCapture(dataSource);
    }
    warnIfAlterTableNotFollowed(dataSource);
    return result.targetSchemaVersion != null
        ? result.targetSchemaVersion
        : flyway.info().current().getVersion().getVersion();
  }

  private static boolean ownsSidecarTables(DataSource dataSource) {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT pg_has_role((SELECT relowner FROM pg_class"
                    + " WHERE oid = to_regclass('webhook_event')), 'USAGE')")) {
      return rs.next() && rs.getBoolean(1);
    } catch (SQLException e) {
      return false;
    }
  }

  /** Name of the event trigger of sql/R__webhook_capture.sql, created only by a superuser. */
  static final String ALTER_TABLE_EVENT_TRIGGER = "webhook_capture_follows_alter_table";

  /**
   * Says, in one WARN line, that the event trigger which keeps capture functions in step with
   * Odoo's ALTER TABLE is missing (only a superuser can create it) and what that means. Nothing for
   * a role that cannot see the sidecar's tables being migrated (it only checks).
   */
  private static void warnIfAlterTableNotFollowed(DataSource dataSource) {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = '"
                    + ALTER_TABLE_EVENT_TRIGGER
                    + "')")) {
      if (rs.next() && !rs.getBoolean(1)) {
        log.warn(
            "The ALTER TABLE event trigger ({}) was not created: migrate did not run as a superuser."
                + " Capture functions will not follow Odoo's schema changes by themselves: after Odoo module"
                + " upgrades run `track MODEL` again (or restart the sidecar as the owner: it refreshes them at"
                + " start), or run `migrate` once as a superuser.",
            ALTER_TABLE_EVENT_TRIGGER);
      }
    } catch (SQLException e) {
      log.debug("Event trigger not checked: {}", DatabaseErrors.firstLine(e));
    }
  }

  /**
   * Grants the optional least-privilege role (sql/optional/sidecar_role.sql) access to what the
   * files just created, when that role exists and this user owns the sidecar's tables (the role
   * itself, running {@code run}, only checks the schema). A user that may not grant is told in one
   * line; the migration itself succeeded.
   */
  private static void grantSidecarRole(DataSource dataSource) {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery(
              "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar')"
                  + " AND pg_has_role((SELECT relowner FROM pg_class"
                  + " WHERE oid = to_regclass('webhook_event')), 'USAGE')")) {
        if (!rs.next() || !rs.getBoolean(1)) {
          return;
        }
      }
      st.execute("SELECT webhook_grant_sidecar_role()");
    } catch (SQLException e) {
      log.warn(
          "Grants for role webhook_sidecar not refreshed ({}): run sql/optional/sidecar_role.sql"
              + " as the owner of the webhook_* tables.",
          DatabaseErrors.firstLine(e));
    }
  }
}
