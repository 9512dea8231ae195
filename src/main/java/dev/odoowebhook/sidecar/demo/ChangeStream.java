// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.demo;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The demo's changes, as Odoo would make them: creates, a burst of writes in one transaction, a
 * rolled-back transaction, a retry with writes merging into it, a confirmed order that a second
 * subscriber hears, a write it does not hear, and an unlink. Each step says what it does and waits
 * for the deliveries it expects, so every delivery prints under its step. Not thread-safe.
 */
final class ChangeStream {
  private static final Duration STEP_WAIT = Duration.ofSeconds(20);
  private final Connection odoo;
  private final VerifyingReceiver receiver;
  private final PrintStream out;

  ChangeStream(Connection odoo, VerifyingReceiver receiver, PrintStream out) {
    this.odoo = odoo;
    this.receiver = receiver;
    this.out = out;
  }

  void run() throws SQLException, InterruptedException {
    step(
        "Creating a partner and an order for it (two transactions)",
        2,
        "INSERT INTO res_partner (name, email, city) VALUES ('Lumber Inc', 'lumber-inc92@example.com', 'Stockton')",
        "INSERT INTO sale_order (name, partner_id, amount_total) VALUES ('S00003', 4, 980.00)");

    step(
        "A burst: one transaction writes Azure Interior's e-mail three times and its city once"
            + " (one Odoo write can be several UPDATEs) -> one delivery, the net effect",
        1,
        "BEGIN",
        "UPDATE res_partner SET email = 'azure@example.com' WHERE id = 1",
        "UPDATE res_partner SET email = 'sales@azure.example.com' WHERE id = 1",
        "UPDATE res_partner SET city = 'San Francisco' WHERE id = 1",
        "UPDATE res_partner SET email = 'info@azure.example.com' WHERE id = 1",
        "COMMIT");

    int before = receiver.verified();
    narrate("A rolled-back transaction renames Deco Addict -> nothing is sent");
    exec("BEGIN", "UPDATE res_partner SET name = 'Deco Addict (typo)' WHERE id = 2", "ROLLBACK");
    Thread.sleep(1500);
    out.println(
        receiver.verified() == before
            ? "  (nothing arrived, as it should)"
            : "  (a delivery arrived: that was not expected)");

    before = receiver.verified();
    narrate(
        "The receiver refuses the next delivery once (503); while its retry waits, three more"
            + " writes to S00001 commit and merge into it");
    receiver.refuseNextOnce();
    exec("UPDATE sale_order SET amount_total = 1300.00 WHERE id = 1");
    receiver.awaitRefused(1, STEP_WAIT);
    exec("UPDATE sale_order SET amount_total = 1400.00 WHERE id = 1");
    exec("UPDATE sale_order SET amount_total = 1450.00 WHERE id = 1");
    exec("UPDATE sale_order SET amount_total = 1500.00 WHERE id = 1");
    expect(before, 1);

    step(
        "Confirming S00001 (state draft -> sale): \"confirmed-orders\" hears it too (domain "
            + OdooLikeDatabase.CONFIRMED_DOMAIN
            + ", fields state)",
        2,
        "UPDATE sale_order SET state = 'sale' WHERE id = 1");

    step(
        "A discount on confirmed S00001: \"confirmed-orders\" does not hear it (state unchanged)",
        1,
        "UPDATE sale_order SET amount_total = 1425.00 WHERE id = 1");

    step(
        "Deleting Gemini Furniture (unlink): its last values come along",
        1,
        "DELETE FROM res_partner WHERE id = 3");
  }

  private void step(String what, int deliveries, String... sql)
      throws SQLException, InterruptedException {
    int before = receiver.verified();
    narrate(what);
    exec(sql);
    expect(before, deliveries);
  }

  private void narrate(String what) {
    out.println();
    out.println("> " + what);
  }

  /** Runs statements; BEGIN, COMMIT and ROLLBACK go through the connection's own calls. */
  private void exec(String... sql) throws SQLException {
    try (Statement st = odoo.createStatement()) {
      for (String s : sql) {
        switch (s) {
          case "BEGIN" -> odoo.setAutoCommit(false);
          case "COMMIT" -> {
            odoo.commit();
            odoo.setAutoCommit(true);
          }
          case "ROLLBACK" -> {
            odoo.rollback();
            odoo.setAutoCommit(true);
          }
          default -> st.execute(s);
        }
      }
    }
  }

  /** Waits for {@code deliveries} more than {@code before} verified ones. */
  private void expect(int before, int deliveries) throws InterruptedException {
    int total = before + deliveries;
    if (!receiver.awaitVerified(total, STEP_WAIT)) {
      out.println(
          "  (still waiting for "
              + (total - receiver.verified())
              + " deliveries after "
              + STEP_WAIT.toSeconds()
              + " s: see the sidecar's log lines above)");
    }
    Thread.sleep(300); // lets a delivery that should not come show up under this step
  }
}
