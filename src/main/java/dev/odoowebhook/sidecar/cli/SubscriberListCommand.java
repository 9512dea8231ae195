// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** {@code subscriber list}: every subscriber with its status and open and dead deliveries. */
final class SubscriberListCommand implements Command {
  @Override
  public String name() {
    return "subscriber list";
  }

  @Override
  public String help() {
    return "subscriber list\n"
        + "  Lists subscribers (secrets and URL credentials are not shown; CREDENTIALS says\n"
        + "  whether broker credentials are set). STATUS: active,\n"
        + "  paused (events wait, nothing is sent) or inactive (events are not routed to it).";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    Options.noWords(args, name());
    Listing.print(
        ctx,
        "SELECT s.id, s.name, CASE WHEN NOT s.active THEN 'inactive' WHEN s.paused THEN 'paused'"
            + " ELSE 'active' END, s.url, s.models, s.events, s.payload, s.domain,"
            + " EXISTS (SELECT 1 FROM webhook_broker_credential b WHERE b.subscriber_id = s.id),"
            + " count(*) FILTER (WHERE d.status IN ('pending', 'processing', 'failed')) AS open,"
            + " count(*) FILTER (WHERE d.status = 'dead') AS dead"
            + " FROM webhook_subscriber s LEFT JOIN webhook_delivery d ON d.subscriber_id = s.id"
            + " GROUP BY s.id ORDER BY s.id",
        "%-5s %-20s %-8s %-40s %-25s %-20s %-8s %-11s %6s %6s  %s",
        List.of(
            "ID",
            "NAME",
            "STATUS",
            "URL",
            "MODELS",
            "EVENTS",
            "PAYLOAD",
            "CREDENTIALS",
            "OPEN",
            "DEAD",
            "DOMAIN"),
        rs ->
            Arrays.asList(
                rs.getLong(1),
                rs.getString(2),
                rs.getString(3),
                Urls.withoutUserInfo(rs.getString(4)),
                Options.joined(rs.getArray(5), "(all)"),
                Options.joined(rs.getArray(6), ""),
                rs.getString(7),
                rs.getBoolean(9) ? "set" : "-",
                rs.getLong(10),
                rs.getLong(11),
                rs.getString(8) == null ? "" : rs.getString(8)));
    return Cli.OK;
  }
}
