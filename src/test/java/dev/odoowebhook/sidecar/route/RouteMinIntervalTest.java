// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.PipelineTest;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** WEBHOOK_ROUTE_MIN_INTERVAL: fewer routing passes under a stream of writes, nothing lost. */
class RouteMinIntervalTest extends PipelineTest {
  private static final long MS = 1_000_000;

  @Test
  void shouldWaitOnlyForWhatIsLeftOfTheIntervalSinceTheLastPass() {
    assertEquals(0, RouteEvents.holdOffNanos(1_000 * MS, 1_000 * MS, 0), "0 turns it off");
    assertEquals(15 * MS, RouteEvents.holdOffNanos(1_000 * MS, 1_005 * MS, 20 * MS));
    assertEquals(
        0, RouteEvents.holdOffNanos(1_000 * MS, 1_020 * MS, 20 * MS), "the interval is over");
    assertEquals(
        0,
        RouteEvents.holdOffNanos(1_000 * MS, 9_000 * MS, 20 * MS),
        "after a quiet spell: at once");
  }

  @Test
  void shouldRouteAStreamOfCommitsInFewPassesWithoutNotificationsAndLoseNone() throws Exception {
    int writes = 30;
    p.subscribe("crm", "", "");
    // No fallback poll: only notifications and the interval drive the router.
    Sidecar sidecar =
        p.startSidecar(
            Map.of("WEBHOOK_ROUTE_MIN_INTERVAL", "200ms", "WEBHOOK_POLL_INTERVAL", "5m"));
    Await.until(
        "the sidecar waits for notifications",
        Duration.ofSeconds(10),
        () -> p.db.value("SELECT webhook_sidecar_waiting()", Boolean.class),
        () -> "");
    long passesBefore = sidecar.metrics().routePasses.getCount();
    long notificationsBefore = sidecar.listener().notificationCount();
    for (int i = 0; i < writes; i++) {
      p.partner("p" + i); // one commit each, 10 ms apart: a steady stream
      Thread.sleep(10);
    }
    p.awaitStatus(writes, "sent", Duration.ofSeconds(30));
    // Read the counters once the router is idle again, so that no pass or notification of this
    // stream is still under way.
    Await.until(
        "the sidecar waits for notifications again",
        Duration.ofSeconds(10),
        () -> p.db.value("SELECT webhook_sidecar_waiting()", Boolean.class),
        () -> "");
    long passes = sidecar.metrics().routePasses.getCount() - passesBefore;
    long notifications = sidecar.listener().notificationCount() - notificationsBefore;

    Set<String> delivered = new HashSet<>();
    p.answered2xx().forEach(r -> delivered.add(r.data().get("record_id").asText()));
    assertEquals(writes, delivered.size(), "every record delivered once: " + p.statuses());
    // Counts, not clock readings (the machine is shared): commits 10 ms apart against a 200 ms
    // interval are routed several per pass, and while a pass is held back the waiting lock is
    // released, so most writers do not NOTIFY. Without the interval both would equal the writes.
    assertTrue(passes < writes * 2 / 3, passes + " passes for " + writes + " commits");
    assertTrue(
        notifications < writes * 2 / 3,
        notifications + " notifications for " + writes + " commits");
  }
}
