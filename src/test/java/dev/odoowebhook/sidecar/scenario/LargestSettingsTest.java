// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.scenario;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import dev.odoowebhook.sidecar.jobs.CleanupJob;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Pipeline;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every duration and number setting at the greatest value the table accepts: the sidecar starts,
 * routes, delivers (woken by NOTIFY, its poll being an hour) and cleans up without overflowing
 * anywhere, and its loops stay alive.
 */
class LargestSettingsTest {
  static Pipeline p;

  @BeforeAll
  static void setUp() {
    p = new Pipeline();
  }

  @AfterAll
  static void tearDown() {
    p.close();
  }

  private static Map<String, String> largest() {
    Map<String, String> env = new HashMap<>();
    for (Setting s : Setting.values()) {
      boolean number = s.kind() == Setting.Kind.DURATION || s.kind() == Setting.Kind.POSITIVE_INT;
      if (number) {
        env.put(s.env(), s.max());
      }
    }
    return env;
  }

  @Test
  void shouldStartAndRunWithTheLargestAcceptedValues() throws Exception {
    p.subscribe("erp", "", "");
    Sidecar sidecar = p.startSidecar(largest());
    Await.until(
        "the listener to wait",
        Duration.ofSeconds(15),
        () -> p.db.value("SELECT webhook_sidecar_waiting()", Boolean.class));
    for (int i = 1; i <= 3; i++) {
      long id = p.partner("p" + i);
      Await.until(
          "delivery " + i,
          Duration.ofSeconds(20),
          () ->
              p.receiver.requests().stream()
                  .anyMatch(r -> r.data().get("record_id").asLong() == id),
          p::statuses);
    }
    assertTrue(routerAlive(), "the router thread is alive");
    SidecarConfig config = p.db.config(largest());
    assertTrue(
        new CleanupJob(sidecar.database(), config).run() != null,
        "a cleanup with the longest retention");
    p.stopSidecar();
  }

  private static boolean routerAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals("webhook-router") && t.isAlive());
  }
}
