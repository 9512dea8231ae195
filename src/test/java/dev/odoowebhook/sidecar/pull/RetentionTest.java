// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.jobs.CleanupJob;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Retention that respects devices: what every active device acknowledged goes after
 * WEBHOOK_RETENTION_SENT (7 d), everything after WEBHOOK_RETENTION_DEVICES (30 d), into the
 * archive, which empties after WEBHOOK_RETENTION_ARCHIVE (90 d); a device behind is told to resync.
 */
class RetentionTest extends PullTestBase {
  private static final Map<String, Object> PARTNERS = Map.of("models", List.of("res.partner"));

  private static ObjectNode cleanup(Sidecar sidecar) throws Exception {
    return new CleanupJob(sidecar.database(), p.db.config(Map.of())).run();
  }

  /** Makes every event look routed (and captured) this many days ago. */
  private static void age(int days) {
    p.db.exec(
        "UPDATE webhook_event SET routed_at = now() - interval '"
            + days
            + " days',"
            + " captured_at = now() - interval '"
            + days
            + " days'");
  }

  @Test
  void shouldKeepWhatAnActiveDeviceHasNotAcknowledgedUntilThirtyDaysThenAskItToResync()
      throws Exception {
    Sidecar sidecar =
        p.startSidecar(
            Map.of(
                "WEBHOOK_PULL_PORT",
                Integer.toString(freePort()),
                "WEBHOOK_PULL_RATE_LIMIT",
                "10000"));
    PullApi api = new PullApi(sidecar.pullPort(), token("app", "res.partner"));
    pullAndAck(api, "fast", PARTNERS);
    pullAndAck(api, "slow", PARTNERS);
    p.partner("one");
    p.partner("two");
    awaitRouted();
    assertEquals(2, pullAndAck(api, "fast", PARTNERS).size());
    age(8);

    cleanup(sidecar);
    assertEquals(
        2, p.db.count("SELECT count(*) FROM webhook_event"), "slow has not acknowledged them");
    PullApi.Answer slow = api.post("/v1/devices/slow/pull", PARTNERS);
    assertFalse(slow.body().path("resync_required").asBoolean(), slow.toString());
    assertEquals(2, slow.body().path("changes").size());

    age(31);
    ObjectNode result = cleanup(sidecar);
    assertEquals(2, result.at("/purged/events").asInt(), result.toString());
    assertEquals(0, p.db.count("SELECT count(*) FROM webhook_event"));
    assertEquals(
        2, p.db.count("SELECT count(*) FROM webhook_event_archive"), "archived, not deleted yet");

    PullApi.Answer behind = api.post("/v1/devices/slow/pull", PARTNERS);
    assertEquals(200, behind.status(), behind.toString());
    assertTrue(behind.body().path("resync_required").asBoolean(), behind.toString());
    assertEquals("behind_retention", behind.body().path("reason").asText());
    assertEquals(0, behind.body().path("changes").size(), "never a silent gap");
    assertTrue(api.get("/v1/devices/slow").body().path("resync_required").asBoolean());
    PullApi.Answer fast = api.post("/v1/devices/fast/pull", PARTNERS);
    assertFalse(
        fast.body().path("resync_required").asBoolean(), "fast had acknowledged them: " + fast);

    assertEquals(200, api.post("/v1/devices/slow/reset", Map.of()).status());
    long after = p.partner("after the resync");
    awaitRouted();
    assertEquals("res.partner/" + after + ":create", describe(pullAndAck(api, "slow", PARTNERS)));

    p.db.exec("UPDATE webhook_event_archive SET routed_at = now() - interval '91 days'");
    assertEquals(2, cleanup(sidecar).at("/purged/archived_events").asInt());
    assertEquals(0, p.db.count("SELECT count(*) FROM webhook_event_archive"));
  }

  @Test
  void shouldPurgeWhatEveryActiveDeviceAcknowledgedAfterSevenDays() throws Exception {
    Sidecar sidecar =
        p.startSidecar(
            Map.of(
                "WEBHOOK_PULL_PORT",
                Integer.toString(freePort()),
                "WEBHOOK_PULL_RATE_LIMIT",
                "10000"));
    PullApi api = new PullApi(sidecar.pullPort(), token("app", "res.partner"));
    pullAndAck(api, "a", PARTNERS);
    pullAndAck(api, "idle", PARTNERS);
    p.partner("one");
    awaitRouted();
    pullAndAck(api, "a", PARTNERS);
    // "idle" last synced 31 days ago: it no longer holds events back.
    p.db.exec(
        "UPDATE webhook_device SET last_sync_at = now() - interval '31 days' WHERE device_id = 'idle'");
    age(6);
    cleanup(sidecar);
    assertEquals(1, p.db.count("SELECT count(*) FROM webhook_event"), "younger than 7 days");
    age(8);
    cleanup(sidecar);
    assertEquals(
        0, p.db.count("SELECT count(*) FROM webhook_event"), "acknowledged by every active device");
    assertTrue(
        api.post("/v1/devices/idle/pull", PARTNERS).body().path("resync_required").asBoolean());
    assertFalse(
        api.post("/v1/devices/a/pull", PARTNERS).body().path("resync_required").asBoolean());
  }
}
