// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.persistence.Database;
import dev.odoowebhook.sidecar.persistence.SchemaMigrator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One test database on the real PostgreSQL: migrated with the sidecar's own schema, with an
 * Odoo-like res_partner table as the tracked stand-in. Dropped by {@link #close()}.
 */
public final class TestDatabase implements AutoCloseable {
  private final TestPostgres server;
  private final String name;
  private final Database pool;

  TestDatabase(TestPostgres server, String name) {
    this.server = server;
    this.name = name;
    this.pool = Database.open(config(Map.of()), 4, "test-" + name);
  }

  public static TestDatabase createMigrated() {
    return createMigrated(TestPostgres.get());
  }

  public static TestDatabase createMigrated(TestPostgres server) {
    TestDatabase db = server.newDatabase();
    SchemaMigrator.migrate(db.pool.dataSource());
    db.exec(ODOO_LIKE_PARTNER);
    return db;
  }

  /** An Odoo-like res_partner: Odoo's audit columns, several types, a few indexes. */
  public static final String ODOO_LIKE_PARTNER =
      "CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar NOT NULL, email varchar,"
          + " phone varchar, active boolean DEFAULT true, parent_id integer, credit_limit numeric,"
          + " comment text, properties jsonb, create_date timestamp DEFAULT now(),"
          + " write_date timestamp DEFAULT now(), create_uid integer, write_uid integer);"
          + " CREATE INDEX res_partner_name_index ON res_partner (name);"
          + " CREATE INDEX res_partner_email_index ON res_partner (email)";

  public String url() {
    return server.urlOf(name);
  }

  public String user() {
    return server.user;
  }

  public String password() {
    return server.password;
  }

  /** Environment variables that point the sidecar at this database. */
  public Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("WEBHOOK_DB_URL", url());
    env.put("WEBHOOK_DB_USER", user());
    env.put("WEBHOOK_DB_PASSWORD", password());
    env.put("WEBHOOK_HTTP_PORT", "0");
    // No cleanup during a test unless it asks for one (it would remove orphans a test may inspect).
    env.put("WEBHOOK_CLEANUP_FIRST_DELAY", "1h");
    return env;
  }

  /** A sidecar configuration for this database, fast to react, with extra settings. */
  public SidecarConfig config(Map<String, String> extra) {
    Map<String, String> env = env();
    env.put("WEBHOOK_POLL_INTERVAL", "500ms");
    env.put("WEBHOOK_LEASE_RECOVERY_INTERVAL", "1s");
    env.put("WEBHOOK_HEARTBEAT_INTERVAL", "1s");
    env.put("WEBHOOK_SHUTDOWN_GRACE", "2s");
    env.put("WEBHOOK_STARTUP_WAIT", "10s");
    env.putAll(extra);
    return SidecarConfig.fromEnvironment(env);
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url(), user(), password());
  }

  /** Runs statements in one autocommit call. */
  public void exec(String sql) {
    try (Connection c = connect()) {
      c.createStatement().execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  /** Runs a query and returns its first column of the first row. */
  public <T> T value(String sql, Class<T> type, Object... params) {
    List<Map<String, Object>> rows = rows(sql, params);
    if (rows.isEmpty()) {
      return null;
    }
    return type.cast(rows.get(0).values().iterator().next());
  }

  public long count(String sql, Object... params) {
    Number n = value(sql, Number.class, params);
    return n == null ? 0 : n.longValue();
  }

  public List<Map<String, Object>> rows(String sql, Object... params) {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          Map<String, Object> row = new java.util.LinkedHashMap<>();
          for (int i = 1; i <= n; i++) {
            Object v = rs.getObject(i);
            if (v instanceof java.sql.Array) {
              v = java.util.Arrays.asList((Object[]) ((java.sql.Array) v).getArray());
            }
            row.put(rs.getMetaData().getColumnLabel(i), v);
          }
          rows.add(row);
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  /** Adds a subscriber with a fresh secret; returns its id. Extra columns as SQL assignments. */
  public long addSubscriber(
      String name, String url, String secret, String extraColumns, String extraValues) {
    String cols = "name, url, secret" + (extraColumns.isEmpty() ? "" : ", " + extraColumns);
    String vals = "?, ?, ?" + (extraValues.isEmpty() ? "" : ", " + extraValues);
    return count(
        "INSERT INTO webhook_subscriber (" + cols + ") VALUES (" + vals + ") RETURNING id",
        name,
        url,
        secret);
  }

  @Override
  public void close() {
    pool.close();
    server.drop(name);
  }
}
