// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import dev.odoowebhook.sidecar.delivery.DeliveryStatus;
import dev.odoowebhook.sidecar.identity.Installation;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code status}: deliveries per status, what waits, tracked models and running sidecars. */
final class StatusCommand implements Command {
  @Override
  public String name() {
    return "status";
  }

  @Override
  public String help() {
    return "status\n  Deliveries per status, oldest pending age, events waiting, sidecars, and whether\n  this database is a copy whose deliveries are held (see confirm-copy).";
  }

  @Override
  public Set<String> options() {
    return Set.of();
  }

  @Override
  public int run(Args args, Context ctx) throws SQLException {
    try (Connection c = ctx.db().connection();
        Statement st = c.createStatement()) {
      deliveries(st, ctx.out());
      waiting(st, ctx.out());
      trackedModels(st, ctx.out());
      sidecars(st, ctx.out());
      installation(c, ctx.out());
    }
    return Cli.OK;
  }

  private static void deliveries(Statement st, PrintStream out) throws SQLException {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (DeliveryStatus s : DeliveryStatus.values()) {
      counts.put(s.sqlName(), 0L);
    }
    try (ResultSet rs =
        st.executeQuery("SELECT status, count(*) FROM webhook_delivery GROUP BY status")) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getLong(2));
      }
    }
    StringBuilder line = new StringBuilder("Deliveries:");
    counts.forEach((k, v) -> line.append(' ').append(k).append(' ').append(v).append(','));
    out.println(line.substring(0, line.length() - 1));
  }

  private static void waiting(Statement st, PrintStream out) throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT extract(epoch FROM now() - min(created_at)),"
                + " count(*) FILTER (WHERE next_attempt_at <= now())"
                + " FROM webhook_delivery WHERE status IN ('pending', 'failed')")) {
      rs.next();
      double age = rs.getDouble(1);
      out.println(
          "Oldest waiting delivery: "
              + (rs.wasNull() ? "none" : String.format("%.1f s", age))
              + "; due now: "
              + rs.getLong(2));
    }
    try (ResultSet rs =
        st.executeQuery(
            "SELECT count(*), extract(epoch FROM now() - min(captured_at))"
                + " FROM webhook_event WHERE routed_at IS NULL")) {
      rs.next();
      out.println(
          "Events waiting to be routed: "
              + rs.getLong(1)
              + (rs.getLong(1) > 0 ? String.format(" (oldest %.1f s)", rs.getDouble(2)) : ""));
    }
  }

  private static void trackedModels(Statement st, PrintStream out) throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT model, active, webhook_capture_installed(model) FROM webhook_tracked_model ORDER BY model")) {
      List<String> models = new ArrayList<>();
      while (rs.next()) {
        models.add(
            rs.getString(1)
                + (rs.getBoolean(2)
                    ? (rs.getBoolean(3)
                        ? ""
                        : " (TRIGGERS MISSING: run `track " + rs.getString(1) + "`)")
                    : " (untracked)"));
      }
      out.println(
          "Tracked models: "
              + (models.isEmpty() ? "none (run `track res.partner`)" : String.join(", ", models)));
    }
  }

  /** Whether this database is a copy whose deliveries are held (confirm-copy). */
  private static void installation(Connection c, PrintStream out) throws SQLException {
    Installation.Status status = Installation.status(c);
    out.println(
        "Installation: " + (status.deliveriesHeld() ? "DELIVERIES HELD, " : "") + status.message());
  }

  private static void sidecars(Statement st, PrintStream out) throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT instance_id, version, extract(epoch FROM now() - last_seen_at) FROM webhook_sidecar_instance"
                + " WHERE stopped_at IS NULL AND last_seen_at > now() - interval '1 day' ORDER BY instance_id")) {
      List<String> alive = new ArrayList<>();
      while (rs.next()) {
        alive.add(
            String.format(
                "%s %s (seen %.0f s ago)", rs.getString(1), rs.getString(2), rs.getDouble(3)));
      }
      out.println("Sidecars: " + (alive.isEmpty() ? "none running" : String.join(", ", alive)));
    }
  }
}
