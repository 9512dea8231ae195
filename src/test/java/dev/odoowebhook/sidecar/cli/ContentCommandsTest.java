// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import static dev.odoowebhook.sidecar.support.CommandLine.assertOneClearLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.CommandLine.Result;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The content options of the CLI, as a process: `track --capture`, `subscriber add|update --payload
 * --record-fields --domain`, `token create --content`; and `track A B` all or nothing. Every
 * refusal is one line and changes nothing.
 */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class ContentCommandsTest {
  static TestDatabase db;
  static CommandLine cli;

  @BeforeAll
  static void saleOrders() {
    db.exec(
        "CREATE TABLE sale_order (id serial PRIMARY KEY, name varchar, state varchar,"
            + " amount_total numeric, access_token varchar, write_date timestamp, write_uid integer);"
            + " CREATE TABLE not_odoo (id integer, name varchar)");
  }

  @BeforeEach
  void clean() {
    db.exec("TRUNCATE webhook_subscriber, webhook_api_token CASCADE");
  }

  @Test
  void shouldCaptureValuesAndRefuseFieldsThatMustNotLeave() {
    Result r = cli.run("track", "sale.order", "--capture", "state,amount_total");
    assertEquals(Cli.OK, r.code(), r.toString());
    assertTrue(r.out().contains("recording the values of state, amount_total"), r.out());
    assertEquals(
        List.of("amount_total", "state"),
        db.value(
            "SELECT captured_fields FROM webhook_tracked_model WHERE model = 'sale.order'",
            List.class));

    assertOneClearLine(
        cli.run("track", "sale.order", "--capture", "state,access_token"),
        Cli.FAILED,
        "access_token may hold a password, a key or a token");
    assertOneClearLine(
        cli.run("track", "sale.order", "--capture", "nope"),
        Cli.FAILED,
        "nope is not a stored field of sale.order");
    assertOneClearLine(
        cli.run("track", "sale.order", "res.partner", "--capture", "state"),
        Cli.USAGE,
        "--capture names fields of one model");
    assertEquals(
        List.of("amount_total", "state"),
        db.value(
            "SELECT captured_fields FROM webhook_tracked_model WHERE model = 'sale.order'",
            List.class),
        "a refusal changes nothing");
    // Without --capture, tracking again keeps the list.
    assertEquals(Cli.OK, cli.run("track", "sale.order").code());
    assertEquals(
        List.of("amount_total", "state"),
        db.value(
            "SELECT captured_fields FROM webhook_tracked_model WHERE model = 'sale.order'",
            List.class));
  }

  @Test
  void shouldTrackAllModelsOrNone() {
    assertEquals(
        0, db.count("SELECT count(*) FROM webhook_tracked_model WHERE model = 'res.partner'"));
    Result r = cli.run("track", "res.partner", "not.a.table");
    assertOneClearLine(r, Cli.FAILED, "not.a.table");
    assertEquals(
        0,
        db.count("SELECT count(*) FROM webhook_tracked_model WHERE model = 'res.partner'"),
        "res.partner is not left tracked when not.a.table fails");
    assertEquals(
        0, db.count("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'res_partner'::regclass"));
  }

  @Test
  void shouldSaveAndListPayloadAndDomainAndRefuseBadDomains() {
    assertEquals(Cli.OK, cli.run("track", "sale.order", "--capture", "state,amount_total").code());
    Result r =
        cli.run(
            "subscriber",
            "add",
            "--name",
            "sales",
            "--url",
            "https://erp.example.com/hooks",
            "--models",
            "sale.order",
            "--payload",
            "changes",
            "--fields",
            "state",
            "--domain",
            "[('state', '=', 'sale'), ('amount_total', '>', 1000)]");
    assertEquals(Cli.OK, r.code(), r.toString());
    Result list = cli.run("subscriber", "list");
    assertTrue(list.out().contains("changes"), list.out());
    assertTrue(
        list.out().contains("[('state', '=', 'sale'), ('amount_total', '>', 1000)]"), list.out());

    assertOneClearLine(
        cli.run("subscriber", "update", "sales", "--domain", "[('name', '=', 'x')]"),
        Cli.FAILED,
        "Subscriber \"sales\": The domain uses the field \"name\", which is not captured");
    assertOneClearLine(
        cli.run("subscriber", "update", "sales", "--domain", "[('state', 'child_of', 3)]"),
        Cli.FAILED,
        "operator \"child_of\", which is not supported");
    assertOneClearLine(
        cli.run(
            "subscriber",
            "add",
            "--name",
            "x",
            "--url",
            "https://x.example.com/h",
            "--domain",
            "[('state', '=', 'sale')]"),
        Cli.FAILED,
        "need exactly one model");
    assertOneClearLine(
        cli.run("subscriber", "update", "sales", "--payload", "everything"),
        Cli.USAGE,
        "--payload takes ids, changes or record");
    assertOneClearLine(
        cli.run(
            "subscriber",
            "update",
            "sales",
            "--payload",
            "record",
            "--record-fields",
            "access_token"),
        Cli.FAILED,
        "access_token may hold a password");
    assertEquals(
        "[('state', '=', 'sale'), ('amount_total', '>', 1000)]",
        db.value("SELECT domain FROM webhook_subscriber WHERE name = 'sales'", String.class),
        "refusals change nothing");
    assertEquals(1, db.count("SELECT count(*) FROM webhook_subscriber"));

    assertEquals(Cli.OK, cli.run("subscriber", "update", "sales", "--domain", "").code());
    assertEquals(
        null,
        db.value(
            "SELECT domain_path::text FROM webhook_subscriber WHERE name = 'sales'", String.class),
        "an empty domain drops the condition");
  }

  @Test
  void shouldCreateATokenWithContent() {
    assertEquals(
        Cli.OK,
        cli.run(
                "token",
                "create",
                "--name",
                "app",
                "--models",
                "sale.order",
                "--content",
                "changes")
            .code());
    assertEquals(
        "changes",
        db.value("SELECT content FROM webhook_api_token WHERE name = 'app'", String.class));
    assertOneClearLine(
        cli.run("token", "create", "--name", "app2", "--models", "sale.order", "--content", "all"),
        Cli.USAGE,
        "--content takes ids, changes or record");
  }
}
