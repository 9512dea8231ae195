// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code subscriber update NAME}: changes only the options given, with the rules of add. The
 * running sidecars pick the change up within seconds; a new URL starts with a closed breaker.
 */
final class SubscriberUpdateCommand implements Command {
  private static final Set<String> OPTIONS = options(SubscriberSpec.OPTIONS);

  @Override
  public String name() {
    return "subscriber update";
  }

  @Override
  public String help() {
    return "subscriber update NAME [--rename NEW] [--url URL] [--secret whsec_...]\n"
        + "    [--models m1,m2|*] [--events ...] [--fields f1,f2] [--timeout 10s] [--max-retries 5]\n"
        + "    [--backoff-base 60s] [--backoff-factor 2] [--max-backoff 1d] [--rate-limit PER_SECOND|none]\n"
        + "    [--concurrency 4] [--header Name=Value]... [--payload ids|changes|record]\n"
        + "    [--record-fields f1,f2] [--domain DOMAIN]\n"
        + "    [--broker-user NAME --broker-password SOURCE | --broker-token SOURCE\n"
        + "     | --no-broker-credentials]\n"
        + "  Changes only what is given, checked as by `subscriber add`. --models * means every\n"
        + "  tracked model; --fields \"\" drops the field filter; --header replaces all custom\n"
        + "  headers; --domain \"\" drops the condition. To rotate the secret with a grace\n"
        + "  period use `subscriber rotate-secret`.\n"
        + SubscriberAddCommand.BROKER_CREDENTIALS
        + "  Broker credentials given replace the stored ones as a whole; a new --url is checked\n"
        + "  against the stored ones.\n"
        + SubscriberAddCommand.INACTIVE_VERSUS_PAUSED;
  }

  @Override
  public Set<String> options() {
    return OPTIONS;
  }

  private static Set<String> options(Set<String> addOptions) {
    Set<String> s = new HashSet<>(addOptions);
    s.remove("name");
    s.add("rename");
    s.add(BrokerCredentialOptions.CLEAR);
    return Set.copyOf(s);
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    String name =
        Options.oneName(
            args, name(), "subscriber to update", "crm --url https://crm.example.com/hooks");
    BrokerCredentialOptions credentials = BrokerCredentialOptions.of(args, SecretInput.ofProcess());
    SubscriberSpec spec = SubscriberSpec.forUpdate(args, credentials.given());
    spec.checkTarget(ctx.config());
    List<String> changed = new ArrayList<>(spec.columns.keySet());
    if (credentials.given()) {
      changed.add("broker credentials");
    }
    long id;
    try (Connection c = ctx.db().connection()) {
      // All or nothing: credentials that do not fit the new URL leave the row as it was.
      c.setAutoCommit(false);
      try {
        id = Subscribers.idOf(c, name);
        for (String model : spec.models() == null ? List.<String>of() : spec.models()) {
          ModelNames.checkKnown(c, model, ctx.err());
        }
        update(c, spec, id);
        credentials.apply(c, id, spec.url() != null);
        c.commit();
      } finally {
        c.rollback(); // a no-op after the commit
      }
    }
    String now = spec.name() == null ? name : spec.name();
    ctx.out()
        .println(
            "Subscriber "
                + id
                + " \""
                + now
                + "\" updated: "
                + String.join(", ", changed)
                + "; running sidecars use it within seconds.");
    return Cli.OK;
  }

  private static void update(Connection c, SubscriberSpec spec, long id) throws SQLException {
    StringBuilder set = new StringBuilder();
    for (String column : spec.columns.keySet()) {
      set.append(column).append(" = ").append(spec.placeholder(column)).append(", ");
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE webhook_subscriber SET " + set + "updated_at = now() WHERE id = ?")) {
      ps.setLong(spec.bind(c, ps, 1), id);
      ps.executeUpdate();
    } catch (SQLException e) {
      if ("23505".equals(e.getSQLState())) { // unique_violation
        throw Subscribers.nameTaken(spec.name(), "--rename");
      }
      throw e;
    }
  }
}
