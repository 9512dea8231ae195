package dev.odoowebhook.sidecar.persistence;

import dev.odoowebhook.sidecar.config.SidecarConfig;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/** Turns a database error into one line that says what happened and what to do. */
public final class DatabaseErrors {
  private DatabaseErrors() {}

  public static String explain(SQLException e, SidecarConfig config) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String url = config.dbUrl();
    if (state.startsWith("08") || hasCause(e, ConnectException.class)) {
      return "Cannot connect to PostgreSQL at "
          + url
          + " ("
          + rootMessage(e)
          + "). Is PostgreSQL running, and is WEBHOOK_DB_URL right?";
    }
    if (hasCause(e, UnknownHostException.class)) {
      return "Unknown database host in WEBHOOK_DB_URL=" + url + ". Check the host name.";
    }
    switch (state) {
      case "3D000":
        return firstLine(e) + ". Check the database name in WEBHOOK_DB_URL=" + url + ".";
      case "28P01":
      case "28000":
        return firstLine(e) + ". Check WEBHOOK_DB_USER and WEBHOOK_DB_PASSWORD.";
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

  /** The server's message without the "ERROR: " prefix and the CONTEXT/Where lines. */
  public static String firstLine(SQLException e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    m = m.replaceFirst("^ERROR: ", "");
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
