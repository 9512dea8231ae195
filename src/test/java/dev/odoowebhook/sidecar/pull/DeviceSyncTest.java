// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-device smart sync over real HTTP: profiles, net effect, acknowledge, state, reset. */
class DeviceSyncTest extends PullTestBase {

  @Test
  void shouldShowTwoDevicesWithDifferentProfilesOnlyTheirModels() {
    int port = startPull(Map.of());
    p.db.exec(
        "INSERT INTO webhook_app_profile (name, models) VALUES ('catalog', ARRAY['product.*'])"
            + " ON CONFLICT (name) DO NOTHING");
    PullApi sales =
        new PullApi(
            port, token("sales-app", "sale.order", "sale.order.line", "res.partner", "product.*"));
    PullApi catalog = new PullApi(port, token("catalog-app", "product.*"));
    long order = insert("sale_order", "SO001");
    long partner = p.partner("Azure Interior");
    long template = insert("product_template", "Desk");
    long variant = insert("product_product", "Desk, black");
    awaitRouted();

    List<JsonNode> salesChanges = pullAndAck(sales, "rep-phone", Map.of("profile", "sales"));
    assertEquals(
        "sale.order/"
            + order
            + ":create res.partner/"
            + partner
            + ":create product.template/"
            + template
            + ":create product.product/"
            + variant
            + ":create",
        describe(salesChanges));
    List<JsonNode> catalogChanges = pullAndAck(catalog, "kiosk", Map.of("profile", "catalog"));
    assertEquals(
        "product.template/" + template + ":create product.product/" + variant + ":create",
        describe(catalogChanges));

    p.db.exec("UPDATE res_partner SET email = 'a@example.com'");
    p.db.exec("UPDATE product_template SET name = 'Desk XL'");
    awaitRouted();
    assertEquals(
        "res.partner/"
            + partner
            + ":write[\"email\"] product.template/"
            + template
            + ":write[\"name\"]",
        describe(pullAndAck(sales, "rep-phone", Map.of("profile", "sales"))));
    assertEquals(
        "product.template/" + template + ":write[\"name\"]",
        describe(pullAndAck(catalog, "kiosk", Map.of("profile", "catalog"))));

    PullApi.Answer refused = catalog.post("/v1/devices/kiosk2/pull", Map.of("profile", "sales"));
    assertEquals(403, refused.status(), refused.toString());
    assertTrue(
        refused
            .body()
            .path("message")
            .asText()
            .contains("may not read sale.order, sale.order.line, res.partner"),
        refused.toString());
  }

  @Test
  void shouldReturnOneNetChangePerRecord() {
    PullApi api = new PullApi(startPull(Map.of()), token("app", "res.partner"));
    pullAndAck(api, "d1", Map.of("models", List.of("res.partner")));
    long kept = p.db.count("INSERT INTO res_partner (name) VALUES ('created') RETURNING id");
    p.db.exec("UPDATE res_partner SET email = 'x@example.com' WHERE id = " + kept);
    long written = p.partner("existing");
    long gone = p.partner("created then deleted");
    long deleted = p.partner("known, then deleted");
    awaitRouted();
    pullAndAck(api, "d2", Map.of("models", List.of("res.partner"))); // d2 knows these four records
    p.db.exec("UPDATE res_partner SET email = 'y@example.com' WHERE id = " + written);
    p.db.exec("UPDATE res_partner SET phone = '+1' WHERE id = " + written);
    p.db.exec("DELETE FROM res_partner WHERE id = " + gone);
    p.db.exec("UPDATE res_partner SET phone = '+2' WHERE id = " + deleted);
    p.db.exec("DELETE FROM res_partner WHERE id = " + deleted);
    awaitRouted();

    List<JsonNode> all = pullAndAck(api, "d1", Map.of("models", List.of("res.partner")));
    assertEquals(
        "res.partner/" + kept + ":create res.partner/" + written + ":create",
        describe(all),
        "create+write = create; create+unlink and create+write+unlink = nothing");
    assertEquals(3, all.get(1).path("events").asInt(), "three events merged into one create");

    List<JsonNode> d2 = pullAndAck(api, "d2", Map.of("models", List.of("res.partner")));
    assertEquals(
        "res.partner/"
            + written
            + ":write[\"email\",\"phone\"] res.partner/"
            + gone
            + ":unlink res.partner/"
            + deleted
            + ":unlink",
        describe(d2),
        "write+write = write with the union of fields, write+unlink = unlink");
  }

  @Test
  void shouldAcknowledgeOnlyWhatAPullOfferedAndReportTheState() {
    PullApi api = new PullApi(startPull(Map.of()), token("app", "res.partner"));
    assertEquals(404, api.get("/v1/devices/d1").status());
    assertEquals(404, api.post("/v1/devices/d1/ack", Map.of("cursor", 1)).status());
    p.partner("one");
    p.partner("two");
    p.partner("three");
    awaitRouted();
    PullApi.Answer page =
        api.post("/v1/devices/d1/pull", Map.of("models", List.of("res.partner"), "limit", 2));
    assertEquals(2, page.body().path("changes").size(), page.toString());
    assertTrue(page.body().path("has_more").asBoolean());
    long next = page.body().path("next_cursor").asLong();

    PullApi.Answer again =
        api.post("/v1/devices/d1/pull", Map.of("models", List.of("res.partner"), "limit", 2));
    assertEquals(
        page.body().path("changes"), again.body().path("changes"), "no ack: the same page again");

    PullApi.Answer tooFar = api.post("/v1/devices/d1/ack", Map.of("cursor", next + 100));
    assertEquals(409, tooFar.status(), tooFar.toString());
    assertEquals("cursor_not_offered", tooFar.body().path("error").asText());
    assertEquals(
        next,
        api.post("/v1/devices/d1/ack", Map.of("cursor", next)).body().path("cursor").asLong());

    PullApi.Answer state = api.get("/v1/devices/d1");
    assertEquals(200, state.status(), state.toString());
    assertEquals(next, state.body().path("cursor").asLong());
    assertEquals(1, state.body().path("pending_events").asLong(), state.toString());
    assertFalse(state.body().path("resync_required").asBoolean());
    assertEquals("[\"res.partner\"]", state.body().path("models").toString());
    assertFalse(state.body().path("last_sync_at").isNull());

    PullApi.Answer other =
        api.post("/v1/devices/d1/pull", Map.of("models", List.of("res.partner", "sale.order")));
    assertEquals(403, other.status(), "beyond the token's scope");
  }

  @Test
  void shouldAskForAResyncWhenTheModelsChangeAndResetToNow() {
    PullApi api = new PullApi(startPull(Map.of()), token("app", "*"));
    pullAndAck(api, "d1", Map.of("models", List.of("res.partner")));
    p.partner("before the reset");
    insert("sale_order", "SO1");
    awaitRouted();
    PullApi.Answer changed =
        api.post("/v1/devices/d1/pull", Map.of("models", List.of("res.partner", "sale.order")));
    assertEquals(200, changed.status(), changed.toString());
    assertTrue(changed.body().path("resync_required").asBoolean(), changed.toString());
    assertEquals("models_changed", changed.body().path("reason").asText());

    PullApi.Answer reset =
        api.post("/v1/devices/d1/reset", Map.of("models", List.of("sale.order", "res.partner")));
    assertEquals(200, reset.status(), reset.toString());
    long after = p.partner("after the reset");
    awaitRouted();
    assertEquals(
        "res.partner/" + after + ":create",
        describe(pullAndAck(api, "d1", Map.of("models", List.of("res.partner", "sale.order")))),
        "only what changed after the reset");
    assertEquals(404, api.post("/v1/devices/never-seen/reset", Map.of()).status());
    PullApi.Answer bad = api.post("/v1/devices/d1/pull", Map.of("limit", 1001));
    assertEquals(400, bad.status(), bad.toString());
    assertEquals(400, api.post("/v1/devices/bad%20id/pull", Map.of()).status());
  }
}
