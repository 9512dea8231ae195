// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.identity;

import dev.odoowebhook.sidecar.persistence.DatabaseErrors;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the database is the one the sidecar was set up on, or a copy of it (a restore, Odoo's
 * duplicate database, a staging copy), by the identity recorded in webhook_installation
 * (sql/V15__webhook_installation.sql, sql/R__webhook_installation.sql). On a copy the database
 * holds the deliveries itself (its active subscribers are paused: routed, not sent) until an admin
 * confirms with {@code confirm-copy}, so every sidecar and the addon see the same hold. Stateless
 * and thread-safe; every method asks the database.
 */
public final class Installation {
  private static final Logger log = LoggerFactory.getLogger(Installation.class);

  /** The states of webhook_installation_status(). */
  public enum State {
    /** The database the sidecar was set up on (or a copy an admin confirmed). */
    ORIGINAL,
    /** A copy no sidecar has started on yet: the first start holds it. */
    COPY,
    /** A copy whose deliveries are held until {@code confirm-copy}. */
    HELD;

    static State fromSql(String s) {
      return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /**
   * What /health, {@code status} and the addon show: the state and one sentence about it.
   *
   * @param deliveriesHeld true while this database is a copy that must not deliver (HELD or COPY):
   *     /health should report it
   */
  public record Status(State state, String message) {
    public boolean deliveriesHeld() {
      return state != State.ORIGINAL;
    }
  }

  private Installation() {}

  /**
   * The start-up check of every sidecar: records the identity the first time, notices a pg_upgrade
   * (same database, new cluster), and on a copy holds the deliveries, saying so in the log. Never
   * fails the start: an error is logged and the status says what it can.
   */
  public static Status checkAtStart(DataSource dataSource) {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement()) {
      String outcome;
      try (ResultSet rs = st.executeQuery("SELECT webhook_check_installation()")) {
        rs.next();
        outcome = rs.getString(1);
      }
      Status status = read(st);
      switch (outcome) {
        case "held" ->
            log.warn(
                "HOLDING DELIVERIES: {} Events are still captured and routed; nothing"
                    + " is sent until then.",
                status.message());
        case "upgraded" ->
            log.info("Same database in a new cluster (pg_upgrade): installation identity kept.");
        case "recorded" -> log.info("Installation identity recorded for this database.");
        default -> log.debug("Installation identity checked: {}.", outcome);
      }
      return status;
    } catch (SQLException e) {
      log.error(
          "Could not check whether this database is a copy ({}); run `migrate` as the owner.",
          DatabaseErrors.firstLine(e));
      return new Status(State.ORIGINAL, "Unknown: " + DatabaseErrors.firstLine(e));
    }
  }

  /** The current state, read-only; cheap enough for every /health request. */
  public static Status status(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement()) {
      return read(st);
    }
  }

  /** {@link #status(DataSource)} on a connection the caller holds. */
  public static Status status(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      return read(st);
    }
  }

  /**
   * An admin's confirmation that this copy may deliver: records it as the installation and, if
   * {@code resume}, resumes the subscribers the hold paused. Returns how many were resumed, or -1
   * when the database was not held.
   */
  public static int confirmCopy(Connection c, boolean resume) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT webhook_confirm_copy(?)")) {
      ps.setBoolean(1, resume);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        int resumed = rs.getInt(1);
        return rs.wasNull() ? -1 : resumed;
      }
    }
  }

  private static Status read(Statement st) throws SQLException {
    try (ResultSet rs =
        st.executeQuery("SELECT state, message FROM webhook_installation_status()")) {
      rs.next();
      return new Status(State.fromSql(rs.getString(1)), rs.getString(2));
    }
  }
}
