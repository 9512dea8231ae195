// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.config.Durations;
import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;

/**
 * {@code subscriber rotate-secret NAME}: a new signing secret; the old one keeps signing too
 * (previous_secret) until now() + --keep-old, so a receiver can switch without rejecting anything.
 * A second rotation within that time replaces the previous secret.
 */
final class SubscriberRotateSecretCommand implements Command {
  static final Duration DEFAULT_KEEP_OLD = Duration.ofHours(24);
  private static final Duration MAX_KEEP_OLD = Duration.ofDays(30);

  @Override
  public String name() {
    return "subscriber rotate-secret";
  }

  @Override
  public String help() {
    return "subscriber rotate-secret NAME [--keep-old 24h] [--secret whsec_...]\n"
        + "  Gives a subscriber a new signing secret (generated and shown once unless given).\n"
        + "  Until --keep-old has passed every message carries two signatures, one per secret,\n"
        + "  so the receiver can switch at its pace; --keep-old 0s drops the old one at once.";
  }

  @Override
  public Set<String> options() {
    return Set.of("keep-old", "secret");
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    String name = Options.oneName(args, name(), "subscriber", "crm --keep-old 24h");
    Duration keepOld = keepOld(args.get("keep-old"));
    String secret =
        args.get("secret") == null ? WebhookSigner.newSecret() : args.get("secret").trim();
    String problem = WebhookSigner.problemWith(secret);
    if (problem != null) {
      throw new UsageException(
          "--secret: " + problem + ". Leave --secret out to have one generated.");
    }
    try (Connection c = ctx.db().connection()) {
      long id = Subscribers.idOf(c, name);
      String expires;
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE webhook_subscriber SET"
                  + " previous_secret = CASE WHEN ?::bigint > 0 THEN secret END,"
                  + " previous_secret_expires_at = CASE WHEN ?::bigint > 0"
                  + "   THEN now() + ?::bigint * interval '1 millisecond' END,"
                  + " secret = ?, updated_at = now()"
                  + " WHERE id = ? AND secret <> ?"
                  + " RETURNING to_char(previous_secret_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")) {
        ps.setLong(1, keepOld.toMillis());
        ps.setLong(2, keepOld.toMillis());
        ps.setLong(3, keepOld.toMillis());
        ps.setString(4, secret);
        ps.setLong(5, id);
        ps.setString(6, secret);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new CommandException(
                "--secret is the subscriber's current secret; give a new one or leave --secret out.");
          }
          expires = rs.getString(1);
        }
      }
      ctx.out()
          .println(
              "Subscriber "
                  + id
                  + " \""
                  + name
                  + "\" signs with its new secret now; "
                  + (expires == null
                      ? "the old secret no longer signs."
                      : "the old one also signs until "
                          + expires
                          + ", so switch the receiver before then."));
    }
    if (args.get("secret") == null) {
      ctx.out().println("Signing secret (shown only now; give it to the receiver): " + secret);
    }
    return Cli.OK;
  }

  private static Duration keepOld(String text) {
    if (text == null) {
      return DEFAULT_KEEP_OLD;
    }
    Duration d = Durations.parse(text);
    if (d == null || d.compareTo(MAX_KEEP_OLD) > 0) {
      throw new UsageException(
          "--keep-old takes a duration from 0s to 30d such as 24h, or 0s to drop the old"
              + " secret at once; got \""
              + text
              + "\".");
    }
    return d;
  }
}
