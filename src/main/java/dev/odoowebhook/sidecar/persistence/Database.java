package dev.odoowebhook.sidecar.persistence;

import com.codahale.metrics.MetricRegistry;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The sidecar's connection pool (HikariCP over pgjdbc) to Odoo's database. Queries and
 * migrations use it; the LISTEN connection is separate (pgjdbc-ng). Thread-safe.
 */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;

  private Database(HikariDataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Opens a pool. It does not fail when the database is down: connections are made on demand,
   * so callers decide how long to wait (see {@link #checkReachable()}).
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
    return new Database(new HikariDataSource(hc));
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

  @Override
  public void close() {
    dataSource.close();
  }
}
