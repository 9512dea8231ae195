// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;

/** The Odoo-like table, the naive baseline trigger, subscribers and bulk writes. */
final class Schema {
  private Schema() {}

  /**
   * The Odoo 18-like res_partner (28 columns, 6 indexes, the primary key included) and its fill
   * function, from sql/res_partner.sql (shared with bench/capture-instructions.sh).
   */
  static final String RES_PARTNER = resource("sql/res_partner.sql");

  /** Rows shaped like Odoo's: contacts of companies, addresses, emails. */
  static String fill(int rows) {
    return "SELECT bench_fill_res_partner(" + rows + ")";
  }

  /** A SQL file of the harness's resources (src/main/resources). */
  static String resource(String path) {
    try (InputStream in = Schema.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("Missing resource " + path + " of the harness.");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The naive capture others start with: a row-level trigger that diffs to_jsonb(OLD) and
   * to_jsonb(NEW), writes an event row and NOTIFYs (constant payload: once per transaction).
   */
  static final String NAIVE_TRIGGER =
      """
      CREATE TABLE naive_event (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, model text NOT NULL,
          record_id bigint NOT NULL, event text NOT NULL, changed_fields text[],
          txid bigint NOT NULL DEFAULT txid_current(),
          captured_at timestamptz NOT NULL DEFAULT clock_timestamp());
      CREATE FUNCTION naive_capture() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
          v_changed text[];
      BEGIN
          IF TG_OP = 'UPDATE' THEN
              SELECT array_agg(n.key ORDER BY n.key) INTO v_changed
                FROM jsonb_each(to_jsonb(NEW)) n JOIN jsonb_each(to_jsonb(OLD)) o USING (key)
               WHERE n.value IS DISTINCT FROM o.value AND n.key NOT IN ('write_date', 'write_uid');
              IF v_changed IS NULL THEN
                  RETURN NULL;
              END IF;
              INSERT INTO naive_event (model, record_id, event, changed_fields)
              VALUES ('res.partner', NEW.id, 'write', v_changed);
          ELSIF TG_OP = 'INSERT' THEN
              INSERT INTO naive_event (model, record_id, event) VALUES ('res.partner', NEW.id, 'create');
          ELSE
              INSERT INTO naive_event (model, record_id, event) VALUES ('res.partner', OLD.id, 'unlink');
          END IF;
          PERFORM pg_notify('webhook_event', '');
          RETURN NULL;
      END
      $$;
      CREATE TRIGGER naive_capture AFTER INSERT OR UPDATE OR DELETE ON res_partner
          FOR EACH ROW EXECUTE FUNCTION naive_capture();
      """;

  static String newSecret() {
    byte[] key = new byte[24];
    new SecureRandom().nextBytes(key);
    return "whsec_" + Base64.getEncoder().encodeToString(key);
  }

  /**
   * Adds a subscriber by SQL (what `subscriber add` does). Short retry backoff so outages in the
   * scenarios last seconds, not minutes; many retries so nothing goes dead.
   */
  static long addSubscriber(
      Connection c, String name, String url, int timeoutMs, int maxConcurrency)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO webhook_subscriber (name, url, secret, models, timeout_ms, max_retries,"
                + " backoff_base_ms, backoff_factor, max_concurrency)"
                + " VALUES (?, ?, ?, ARRAY['res.partner'], ?, 100, 500, 1, ?) RETURNING id")) {
      ps.setString(1, name);
      ps.setString(2, url);
      ps.setString(3, newSecret());
      ps.setInt(4, timeoutMs);
      ps.setInt(5, maxConcurrency);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Inserts n new partners in statements of at most 10,000 rows (one event per row). */
  static void insertPartners(Connection c, int n) throws SQLException {
    for (int done = 0; done < n; done += 10_000) {
      int batch = Math.min(10_000, n - done);
      try (var st = c.createStatement()) {
        st.execute(
            "INSERT INTO res_partner (name, email, create_date, write_date, create_uid, write_uid)"
                + " SELECT 'Backlog ' || g, 'b' || g || '@example.com', now(), now(), 2, 2"
                + " FROM generate_series(1, "
                + batch
                + ") g");
      }
    }
  }

  /** Open deliveries (not yet sent, failed waiting or in flight) plus unrouted events. */
  static long outstanding(Connection c) throws SQLException {
    try (var st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT count(*) FROM webhook_delivery WHERE status IN ('pending','failed','processing'))"
                    + " + (SELECT count(*) FROM webhook_event WHERE routed_at IS NULL)")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
