// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.PipelineTest;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the pull API tests: the shared pipeline with Odoo-like sale.order, product.template and
 * product.product tracked besides res.partner, pull tables emptied before each test, and a sidecar
 * with the pull API on a real port.
 */
abstract class PullTestBase extends PipelineTest {
  static final Duration WAIT = Duration.ofSeconds(20);

  @BeforeAll
  static void trackMoreModels() {
    for (String table : List.of("sale_order", "product_template", "product_product")) {
      p.db.exec(
          "CREATE TABLE "
              + table
              + " (id serial PRIMARY KEY, name varchar, write_date timestamp,"
              + " write_uid integer)");
      p.db.exec("SELECT webhook_track('" + table.replaceFirst("_", ".") + "')");
    }
  }

  @BeforeEach
  void emptyPullTables() {
    p.db.exec(
        "TRUNCATE webhook_device, webhook_api_token, webhook_event_archive CASCADE;"
            + " UPDATE webhook_pull_horizon SET removed_through = 0;"
            // Silently: a TRUNCATE of a tracked table is otherwise announced (an unlink per row).
            + " SET session_replication_role = replica;"
            + " TRUNCATE sale_order, product_template, product_product RESTART IDENTITY");
  }

  /** Starts the sidecar with the pull API on a free port; returns that port. */
  static int startPull(Map<String, String> extra) {
    return startPullSidecar(extra).pullPort();
  }

  /** Starts the sidecar with the pull API on a free port. */
  static Sidecar startPullSidecar(Map<String, String> extra) {
    Map<String, String> settings = new HashMap<>();
    settings.put("WEBHOOK_PULL_PORT", Integer.toString(freePort()));
    settings.put("WEBHOOK_PULL_RATE_LIMIT", "10000");
    settings.putAll(extra);
    return p.startSidecar(settings);
  }

  static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Creates a token as the CLI does; returns it. */
  static String token(String name, String... models) {
    try (Connection c = p.db.connect()) {
      return ApiTokens.create(c, name, List.of(models));
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Inserts a row into a tracked stand-in table; returns its id. */
  static long insert(String table, String name) {
    return p.db.count("INSERT INTO " + table + " (name) VALUES (?) RETURNING id", name);
  }

  /** Waits until the router has numbered every event. */
  static void awaitRouted() {
    Await.until(
        "every event routed",
        WAIT,
        () -> p.db.count("SELECT count(*) FROM webhook_event WHERE routed_seq IS NULL") == 0);
  }

  /** Pulls once and acknowledges; returns the changes. */
  static List<JsonNode> pullAndAck(PullApi api, String device, Map<String, Object> selection) {
    Map<String, Object> body = new HashMap<>(selection);
    PullApi.Answer a = api.post("/v1/devices/" + device + "/pull", body);
    assertEquals(200, a.status(), a.toString());
    List<JsonNode> changes = new ArrayList<>();
    a.body().path("changes").forEach(changes::add);
    PullApi.Answer ack =
        api.post(
            "/v1/devices/" + device + "/ack",
            Map.of("cursor", a.body().path("next_cursor").asLong()));
    assertEquals(200, ack.status(), ack.toString());
    return changes;
  }

  static String describe(List<JsonNode> changes) {
    List<String> s = new ArrayList<>();
    for (JsonNode c : changes) {
      s.add(
          c.path("model").asText()
              + "/"
              + c.path("record_id").asLong()
              + ":"
              + c.path("event").asText()
              + (c.path("changed_fields").isArray() ? c.path("changed_fields").toString() : ""));
    }
    return String.join(" ", s);
  }
}
