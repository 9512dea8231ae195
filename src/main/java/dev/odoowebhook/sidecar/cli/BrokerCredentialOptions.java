// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.persistence.DatabaseErrors;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;

/**
 * The broker credentials of {@code subscriber add} and {@code update}: {@code --broker-user NAME},
 * {@code --broker-password SOURCE}, {@code --broker-token SOURCE} (a {@link SecretInput}: the
 * password and the token never stand on the command line) and, for update, {@code
 * --no-broker-credentials}. Given, they replace the stored credentials as a whole.
 *
 * <p>Whether credentials fit the subscriber's URL is decided in one place for the CLI, psql and the
 * addon: the database's {@code webhook_set_broker_credentials} and {@code
 * webhook_broker_credentials_problem} (sql/R__webhook_operations.sql). They run in the command's
 * transaction, after the subscriber row is written, so a refusal leaves nothing changed. The values
 * are never printed ({@link #toString} masks them). Immutable.
 *
 * @param given whether the command replaces (or, all null, clears) the stored credentials
 */
record BrokerCredentialOptions(boolean given, String username, String password, String token) {
  static final String USER = "broker-user";
  static final String PASSWORD = "broker-password";
  static final String TOKEN = "broker-token";

  /** The switch of `subscriber update` that removes the stored credentials. */
  static final String CLEAR = "no-broker-credentials";

  /** The options of add; update also takes {@link #CLEAR}. */
  static final Set<String> OPTIONS = Set.of(USER, PASSWORD, TOKEN);

  private static final String HINT =
      " Broker credentials: --broker-user NAME with --broker-password, or --broker-token;"
          + " a secret is read from env:VARIABLE, file:PATH or stdin.";

  /** Reads the options; the secrets from where they name. Refuses a contradiction at once. */
  static BrokerCredentialOptions of(Args args, SecretInput secrets) {
    boolean any = OPTIONS.stream().anyMatch(args::has);
    if (args.has(CLEAR)) {
      if (any) {
        throw new UsageException(
            "--"
                + CLEAR
                + " removes the broker credentials; give it without --"
                + USER
                + ", --"
                + PASSWORD
                + " and --"
                + TOKEN
                + ".");
      }
      return new BrokerCredentialOptions(true, null, null, null);
    }
    if (args.has(PASSWORD)
        && args.has(TOKEN)
        && args.get(PASSWORD).trim().equals("stdin")
        && args.get(TOKEN).trim().equals("stdin")) {
      throw new UsageException(
          "--" + PASSWORD + " and --" + TOKEN + " cannot both be read from stdin.");
    }
    String user = args.get(USER);
    if (user != null && (user.isBlank() || user.chars().anyMatch(Character::isISOControl))) {
      throw new UsageException(
          "--" + USER + " takes a user name: not empty, no control characters.");
    }
    return new BrokerCredentialOptions(
        any,
        user == null ? null : user.trim(),
        args.has(PASSWORD) ? secrets.read(PASSWORD, args.get(PASSWORD)) : null,
        args.has(TOKEN) ? secrets.read(TOKEN, args.get(TOKEN)) : null);
  }

  /**
   * In the caller's transaction: stores the credentials given, or, when none are given and {@code
   * urlSet} (add, or update with --url), checks the stored ones against the subscriber's URL.
   */
  void apply(Connection c, long subscriberId, boolean urlSet) throws SQLException {
    if (given) {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT webhook_set_broker_credentials(?, ?, ?, ?)")) {
        ps.setLong(1, subscriberId);
        ps.setString(2, username);
        ps.setString(3, password);
        ps.setString(4, token);
        ps.execute();
      } catch (SQLException e) {
        if ("22023".equals(e.getSQLState())) { // invalid_parameter_value: the rule refused them
          throw new UsageException(DatabaseErrors.firstLine(e) + HINT);
        }
        throw e;
      }
      return;
    }
    if (!urlSet) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT webhook_broker_credentials_problem(s.url, b.username, b.password, b.token),"
                + " b.subscriber_id IS NOT NULL"
                + " FROM webhook_subscriber s"
                + " LEFT JOIN webhook_broker_credential b ON b.subscriber_id = s.id"
                + " WHERE s.id = ?")) {
      ps.setLong(1, subscriberId);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next() && rs.getString(1) != null) {
          throw new UsageException(
              rs.getString(1)
                  + (rs.getBoolean(2)
                      ? ". The subscriber has broker credentials: give new ones with the URL,"
                          + " or --"
                          + CLEAR
                          + "."
                      : "." + HINT));
        }
      }
    }
  }

  @Override
  public String toString() {
    return "BrokerCredentialOptions[given=" + given + ", values <masked>]";
  }
}
