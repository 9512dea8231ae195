// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The event list (filters, paging) and the check-updates summary, over real HTTP. */
class EventListTest extends PullTestBase {

  @Test
  void shouldListEventsWithFiltersAndPages() {
    PullApi api = new PullApi(startPull(Map.of()), token("reader", "*"));
    long a = p.partner("a");
    long b = p.partner("b");
    p.db.exec("UPDATE res_partner SET email = 'b@example.com' WHERE id = " + b);
    long order = insert("sale_order", "SO1");
    awaitRouted();

    List<String> seen = new ArrayList<>();
    long after = 0;
    boolean more = true;
    while (more) {
      PullApi.Answer page = api.get("/v1/events?limit=3&after=" + after);
      assertEquals(200, page.status(), page.toString());
      for (JsonNode e : page.body().path("events")) {
        seen.add(
            e.path("model").asText()
                + "/"
                + e.path("record_id").asLong()
                + ":"
                + e.path("event").asText());
      }
      after = page.body().path("next_after").asLong();
      more = page.body().path("has_more").asBoolean();
    }
    assertEquals(
        List.of(
            "res.partner/" + a + ":create",
            "res.partner/" + b + ":create",
            "res.partner/" + b + ":write",
            "sale.order/" + order + ":create"),
        seen,
        "every event once, in order");

    JsonNode writes = api.get("/v1/events?model=res.partner&event=write").body().path("events");
    assertEquals(1, writes.size());
    assertEquals("[\"email\"]", writes.get(0).path("changed_fields").toString());
    assertEquals(
        2,
        api.get("/v1/events?record_id=" + b + "&model=res.partner").body().path("events").size());
    assertEquals(
        0,
        api.get("/v1/events?since=" + Instant.now().plusSeconds(60)).body().path("events").size());
    assertEquals(1, api.get("/v1/events?model=sale.*").body().path("events").size());
    assertEquals(400, api.get("/v1/events?limit=1001").status());
    assertEquals(400, api.get("/v1/events?event=delete").status());
    assertEquals(400, api.get("/v1/events?colour=red").status());
    assertEquals(404, api.get("/v1/nothing").status());
    assertEquals(405, api.post("/v1/events", Map.of()).status());
  }

  @Test
  void shouldSummariseUpdatesSinceATime() {
    PullApi api = new PullApi(startPull(Map.of()), token("reader", "res.partner", "sale.order"));
    Instant start = Instant.now().minusSeconds(1);
    p.partner("a");
    p.partner("b");
    insert("sale_order", "SO1");
    insert("product_template", "not in scope");
    awaitRouted();
    PullApi.Answer all = api.get("/v1/updates?since=" + start);
    assertEquals(200, all.status(), all.toString());
    assertTrue(all.body().path("changed").asBoolean());
    assertEquals(3, all.body().path("count").asLong(), all.toString());
    assertEquals(2, all.body().at("/models/res.partner/count").asLong());
    assertEquals(1, all.body().at("/models/sale.order/count").asLong());
    assertFalse(all.body().path("models").has("product.template"));
    assertFalse(all.body().path("last_change_at").isNull());

    PullApi.Answer partners = api.get("/v1/updates?since=" + start + "&models=res.partner");
    assertEquals(2, partners.body().path("count").asLong(), partners.toString());
    PullApi.Answer none = api.get("/v1/updates?since=" + Instant.now().plusSeconds(60));
    assertFalse(none.body().path("changed").asBoolean());
    assertTrue(none.body().path("last_change_at").isNull());
    assertEquals(400, api.get("/v1/updates").status());
    assertEquals(400, api.get("/v1/updates?since=yesterday").status());
  }
}
