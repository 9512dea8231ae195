// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/** {@code subscriber add}: a new receiver of webhooks (webhook_subscriber row). */
final class SubscriberAddCommand implements Command {
  /** What inactive means, next to paused: the help of add and update says it. */
  static final String INACTIVE_VERSUS_PAUSED =
      "  Inactive versus paused: an inactive subscriber (active = false, set in the addon or\n"
          + "  SQL) is not routed: it misses every event that happens while inactive, for good.\n"
          + "  A paused one (`subscriber pause NAME`) is routed and held: its events wait and are\n"
          + "  all sent after `subscriber resume NAME`. To stop sending for a while, pause.";

  /** How broker credentials are given: the help of add and update says it. */
  static final String BROKER_CREDENTIALS =
      "  A kafka:// (with ?sasl=) or nats:// URL logs in with --broker-user and\n"
          + "  --broker-password, or (NATS) --broker-token. SOURCE says where the secret is read:\n"
          + "  env:VARIABLE, file:PATH (one trailing line break dropped) or stdin; never the secret\n"
          + "  itself, which would show in ps. Credentials that do not fit the URL are refused;\n"
          + "  `subscriber list` shows only whether they are set.\n";

  @Override
  public String name() {
    return "subscriber add";
  }

  @Override
  public String help() {
    return "subscriber add --name NAME --url URL [--secret whsec_...]\n"
        + "    [--models m1,m2] [--events create,write,unlink] [--fields f1,f2]\n"
        + "    [--timeout 10s] [--max-retries 5] [--backoff-base 60s] [--backoff-factor 2]\n"
        + "    [--max-backoff 1d] [--rate-limit PER_SECOND] [--concurrency 4] [--header Name=Value]...\n"
        + "    [--payload ids|changes|record] [--record-fields f1,f2] [--domain DOMAIN]\n"
        + "    [--broker-user NAME --broker-password SOURCE | --broker-token SOURCE]\n"
        + "  Adds a receiver of webhooks. Without --secret a new one is generated and shown once.\n"
        + "  --payload  ids (default), changes (old and new values of captured fields), record\n"
        + "  (also the record as it is when sent: --record-fields, default the captured ones).\n"
        + "  --domain   an Odoo domain over captured fields of its one model, e.g.\n"
        + "  \"[('state', '=', 'sale')]\"; with --fields state it fires on the transition only.\n"
        + "  --models  models it wants (default: all tracked); --fields: writes only when one\n"
        + "  of these fields changed; retry n waits backoff-base * backoff-factor^(n-1),\n"
        + "  at most --max-backoff (up to 30d).\n"
        + "  The URL may carry no user:password@ and no #fragment: send credentials with --header.\n"
        + BROKER_CREDENTIALS
        + INACTIVE_VERSUS_PAUSED;
  }

  @Override
  public Set<String> options() {
    return SubscriberSpec.OPTIONS;
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    Options.noWords(args, name());
    BrokerCredentialOptions credentials = BrokerCredentialOptions.of(args, SecretInput.ofProcess());
    SubscriberSpec spec = SubscriberSpec.forAdd(args);
    spec.checkTarget(ctx.config());
    String added;
    try (Connection c = ctx.db().connection()) {
      // All or nothing: credentials that do not fit the URL leave no subscriber behind.
      c.setAutoCommit(false);
      try {
        for (String model : spec.models() == null ? List.<String>of() : spec.models()) {
          ModelNames.checkKnown(c, model, ctx.err());
        }
        added = insert(c, spec, credentials);
        c.commit();
      } finally {
        c.rollback(); // a no-op after the commit
      }
    }
    ctx.out().println(added);
    if (spec.generatedSecret != null) {
      ctx.out()
          .println(
              "Signing secret (shown only now; give it to the receiver): " + spec.generatedSecret);
    }
    return Cli.OK;
  }

  /**
   * Inserts the subscriber and its broker credentials; returns the line to print once committed.
   */
  private static String insert(Connection c, SubscriberSpec spec, BrokerCredentialOptions creds)
      throws SQLException {
    StringBuilder values = new StringBuilder();
    for (String column : spec.columns.keySet()) {
      values.append(values.length() == 0 ? "" : ", ").append(spec.placeholder(column));
    }
    long id;
    String events;
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO webhook_subscriber ("
                + String.join(", ", spec.columns.keySet())
                + ") VALUES ("
                + values
                + ") RETURNING id, events")) {
      spec.bind(c, ps, 1);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
        events = Options.joined(rs.getArray(2), "");
      }
    } catch (SQLException e) {
      if ("23505".equals(e.getSQLState())) { // unique_violation
        throw Subscribers.nameTaken(spec.name(), "--name");
      }
      throw e;
    }
    creds.apply(c, id, true);
    return "Subscriber "
        + id
        + " \""
        + spec.name()
        + "\" added: POST "
        + Urls.withoutUserInfo(spec.url())
        + " on "
        + events.replace(",", ", ")
        + " of "
        + (spec.models() == null ? "every tracked model" : String.join(", ", spec.models()))
        + (creds.given() ? ", with broker credentials" : "")
        + ".";
  }
}
