// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.persistence;

import dev.odoowebhook.sidecar.config.SidecarConfig;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/** Turns a database error into one line that says what happened and what to do. */
public final class DatabaseErrors {
  /** Where a newcomer without a PostgreSQL of their own can still see the sidecar work. */
  public static final String DEMO_HINT =
      "To try the sidecar without a database: java -jar target/odoo-webhook-sidecar-demo.jar demo";

  /**
   * SQLSTATEs of a server that is there but not ready yet: starting up or shutting down (57P03
   * cannot_connect_now) or full (53300 too_many_connections). Worth waiting for.
   */
  private static final Set<String> NOT_READY = Set.of("57P03", "53300");

  private DatabaseErrors() {}

  /**
   * Whether the server could not be reached or is not ready yet, so waiting may help. Anything else
   * is the server's definitive answer (wrong password, no such database or role, no pg_hba.conf
   * entry): waiting would not change it.
   */
  public static boolean isUnreachable(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    return state.startsWith("08")
        || NOT_READY.contains(state)
        || hasCause(e, ConnectException.class)
        || hasCause(e, NoRouteToHostException.class)
        || hasCause(e, SocketTimeoutException.class)
        || hasCause(e, UnknownHostException.class);
  }

  /** The one line for an error, with the demo's command when the database could not be used. */
  public static String explain(SQLException error, SidecarConfig config) {
    SQLException e = withoutPool(error);
    String line = describe(e, config);
    return isConnectionProblem(e) ? line + " " + DEMO_HINT + "." : line;
  }

  /** The one line for an error, without the demo's command (for repeated lines). */
  public static String describe(SQLException error, SidecarConfig config) {
    SQLException e = withoutPool(error);
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String url = config.dbUrl();
    if (hasCause(e, UnknownHostException.class)) {
      return "Unknown database host in WEBHOOK_DB_URL="
          + url
          + " ("
          + rootMessage(e)
          + "). Check the host name.";
    }
    if (state.startsWith("08") || hasCause(e, ConnectException.class)) {
      return "Cannot connect to PostgreSQL at "
          + url
          + " ("
          + rootMessage(e)
          + "). Is PostgreSQL running, and is WEBHOOK_DB_URL right?";
    }
    switch (state) {
      case "3D000":
        return "PostgreSQL at "
            + url
            + ": "
            + firstLine(e)
            + ". Check the database name in WEBHOOK_DB_URL (Odoo's database).";
      case "28P01":
      case "28000":
        return "PostgreSQL at "
            + url
            + ": "
            + firstLine(e)
            + ". Check WEBHOOK_DB_USER and WEBHOOK_DB_PASSWORD.";
      case "57P03":
      case "53300":
        return "PostgreSQL at " + url + " is not ready: " + firstLine(e) + ".";
      case "42501":
        return firstLine(e)
            + ". The database user lacks a privilege: see sql/optional/sidecar_role.sql.";
      case "42883":
      case "42P01":
        // PostgreSQL's own words for a missing webhook_ table or function (our RAISEs differ).
        if (firstLine(e).matches("(relation \"|function )webhook_.*does not exist")) {
          return "The webhook schema is missing or out of date in "
              + url
              + " ("
              + firstLine(e)
              + "). Run the `migrate` command first.";
        }
        return firstLine(e);
      default:
        return firstLine(e);
    }
  }

  /**
   * PostgreSQL's own error behind the pool's "Connection is not available, request timed out"
   * (HikariCP's SQLTransientConnectionException), which says nothing the user can act on.
   */
  private static SQLException withoutPool(SQLException e) {
    if (e instanceof SQLTransientConnectionException && e.getCause() instanceof SQLException) {
      return (SQLException) e.getCause();
    }
    return e;
  }

  /** An error of connecting at all (network, authentication, database, role), not of a query. */
  private static boolean isConnectionProblem(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    return isUnreachable(e) || state.startsWith("28") || state.equals("3D000");
  }

  /** The server's message without the "ERROR: " or "FATAL: " prefix and the detail lines. */
  public static String firstLine(SQLException e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    m = m.replaceFirst("^(ERROR|FATAL): ", "");
    int nl = m.indexOf('\n');
    return nl >= 0 ? m.substring(0, nl).trim() : m.trim();
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
