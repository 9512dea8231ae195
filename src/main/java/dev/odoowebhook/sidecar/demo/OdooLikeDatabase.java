// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.demo;

import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.persistence.SchemaMigrator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The demo's stand-in for an Odoo database: res_partner and sale_order as Odoo lays them out (fewer
 * columns), a few rows, the sidecar's schema, both models tracked with some captured fields, and
 * the two subscribers of the demo. Stateless.
 */
final class OdooLikeDatabase {
  static final String ALL_CHANGES = "all-changes";
  static final String CONFIRMED_ORDERS = "confirmed-orders";
  static final String CONFIRMED_DOMAIN = "[('state', '=', 'sale')]";
  static final String[] PARTNER_FIELDS = {"name", "email", "city"};
  static final String[] ORDER_FIELDS = {"name", "partner_id", "state", "amount_total"};

  private OdooLikeDatabase() {}

  /** Tables and rows as Odoo would have them before the sidecar is installed. */
  static void createOdooTables(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar NOT NULL,"
              + " email varchar, city varchar, active boolean DEFAULT true,"
              + " create_date timestamp DEFAULT now(), write_date timestamp DEFAULT now(),"
              + " write_uid integer)");
      st.execute(
          "CREATE TABLE sale_order (id serial PRIMARY KEY, name varchar NOT NULL,"
              + " partner_id integer NOT NULL REFERENCES res_partner (id),"
              + " state varchar NOT NULL DEFAULT 'draft', amount_total numeric(12, 2) NOT NULL DEFAULT 0,"
              + " create_date timestamp DEFAULT now(), write_date timestamp DEFAULT now(),"
              + " write_uid integer)");
      st.execute(
          "INSERT INTO res_partner (name, email, city) VALUES"
              + " ('Azure Interior', 'azure.interior24@example.com', 'Fremont'),"
              + " ('Deco Addict', 'deco.addict82@example.com', 'Pleasant Hill'),"
              + " ('Gemini Furniture', 'gemini.furniture39@example.com', 'Fairfield')");
      st.execute(
          "INSERT INTO sale_order (name, partner_id, state, amount_total) VALUES"
              + " ('S00001', 1, 'draft', 1200.00), ('S00002', 2, 'draft', 350.00)");
    }
  }

  /** The sidecar's schema, then capture of both models (the `migrate` and `track` commands). */
  static String installSidecar(DataSource ds, Connection c) throws SQLException {
    String version = SchemaMigrator.migrate(ds);
    try (Statement st = c.createStatement()) {
      st.execute("SELECT webhook_track('res.partner'), webhook_track('sale.order')");
    }
    capture(c, "res.partner", PARTNER_FIELDS);
    capture(c, "sale.order", ORDER_FIELDS);
    return version;
  }

  private static void capture(Connection c, String model, String[] fields) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT webhook_set_captured_fields(?, ?)")) {
      ps.setString(1, model);
      ps.setArray(2, c.createArrayOf("text", fields));
      ps.execute();
    }
  }

  /**
   * The two subscribers: every change of both models, and confirmed orders only (a domain and a
   * field filter). Retries come 2 s apart instead of a minute, so the demo shows one.
   */
  static void addSubscribers(Connection c, String receiverUrl, String secret) throws SQLException {
    String insert =
        "INSERT INTO webhook_subscriber (name, url, secret, models, payload,"
            + " changed_fields_filter, domain, backoff_base_ms, backoff_factor, timeout_ms)"
            + " VALUES (?, ?, ?, ?, 'changes', ?, ?, 2000, 1, 5000)";
    try (PreparedStatement ps = c.prepareStatement(insert)) {
      ps.setString(1, ALL_CHANGES);
      ps.setString(2, receiverUrl + "/" + ALL_CHANGES);
      ps.setString(3, secret);
      ps.setArray(4, c.createArrayOf("text", new String[] {"res.partner", "sale.order"}));
      ps.setArray(5, null);
      ps.setString(6, null);
      ps.executeUpdate();
      ps.setString(1, CONFIRMED_ORDERS);
      ps.setString(2, receiverUrl + "/" + CONFIRMED_ORDERS);
      ps.setArray(4, c.createArrayOf("text", new String[] {"sale.order"}));
      ps.setArray(5, c.createArrayOf("text", new String[] {"state"}));
      ps.setString(6, CONFIRMED_DOMAIN);
      ps.executeUpdate();
    }
  }

  /** A new Standard Webhooks secret for the subscribers (the receiver knows it too). */
  static String newSecret() {
    return WebhookSigner.newSecret();
  }
}
