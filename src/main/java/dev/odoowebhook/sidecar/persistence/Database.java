// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.persistence;

import com.codahale.metrics.MetricRegistry;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import javax.sql.DataSource;

/**
 * The sidecar's connection pool (HikariCP over pgjdbc) to Odoo's database. Queries and migrations
 * use it; the LISTEN connection is separate (pgjdbc-ng). Thread-safe.
 */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final SidecarConfig config;

  private Database(HikariDataSource dataSource, SidecarConfig config) {
    this.dataSource = dataSource;
    this.config = config;
  }

  /**
   * Opens a pool. It makes no connection yet: the pool starts on the first borrow, so a database
   * that is down or refuses us gives one clear error (see {@link #probe}), not the pool's
   * background warnings.
   */
  public static Database open(SidecarConfig config, int poolSize, String poolName) {
    return open(config, poolSize, poolName, null);
  }

  /** The same, with HikariCP's pool metrics registered in a Dropwizard registry. */
  public static Database open(
      SidecarConfig config, int poolSize, String poolName, MetricRegistry metrics) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(config.dbUrl());
    hc.setUsername(config.text(Setting.DB_USER));
    hc.setPassword(config.text(Setting.DB_PASSWORD));
    hc.setMaximumPoolSize(poolSize);
    hc.setMinimumIdle(Math.min(2, poolSize));
    hc.setPoolName(poolName);
    hc.setConnectionTimeout(5_000);
    // Start without a connection: a down database must give our message, not a pool stack trace.
    hc.setInitializationFailTimeout(-1);
    hc.addDataSourceProperty("ApplicationName", "odoo-webhook-sidecar");
    hc.addDataSourceProperty("tcpKeepAlive", "true");
    if (metrics != null) {
      hc.setMetricRegistry(metrics);
    }
    // The no-argument constructor starts the pool lazily, on the first getConnection().
    HikariDataSource lazy = new HikariDataSource();
    hc.copyStateTo(lazy);
    return new Database(lazy, config);
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public HikariDataSource hikari() {
    return dataSource;
  }

  public Connection connection() throws SQLException {
    return dataSource.getConnection();
  }

  /** Opens one connection and runs a trivial query; throws what went wrong. */
  public void checkReachable() throws SQLException {
    try (Connection c = connection();
        var st = c.createStatement()) {
      st.execute("SELECT 1");
    }
  }

  /**
   * Opens one connection outside the pool, with pgjdbc alone, and runs a trivial query: the error,
   * if any, is PostgreSQL's own (password, database, role) or the network's, within {@code
   * timeout}, with no pool retrying behind it.
   */
  public void probe(Duration timeout) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", config.text(Setting.DB_USER));
    props.setProperty("password", config.text(Setting.DB_PASSWORD));
    String seconds = Long.toString(Math.max(1, timeout.toSeconds()));
    props.setProperty("connectTimeout", seconds);
    props.setProperty("loginTimeout", seconds);
    props.setProperty("socketTimeout", seconds);
    props.setProperty("ApplicationName", "odoo-webhook-sidecar");
    try (Connection c = new org.postgresql.Driver().connect(config.dbUrl(), props)) {
      if (c == null) {
        throw new SQLException("Not a jdbc:postgresql: URL: " + config.dbUrl(), "08001");
      }
      try (var st = c.createStatement()) {
        st.execute("SELECT 1");
      }
    }
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
