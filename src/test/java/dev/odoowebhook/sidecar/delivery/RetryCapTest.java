// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.cli.Cli;
import dev.odoowebhook.sidecar.support.PipelineTest;
import dev.odoowebhook.sidecar.support.Receiver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The retry delay has a cap per subscriber, and no accepted setting overflows a timestamp. */
class RetryCapTest extends PipelineTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void shouldKeepEveryRetryDelayWithinTheDefaultCapOfOneDay() {
    p.subscribe("steep", "max_retries, backoff_factor", "100, 10");
    // Every retry of the schedule: none overflows, none waits longer than the cap.
    assertEquals(
        0,
        p.db.count(
            "SELECT count(*) FROM webhook_subscriber s, generate_series(1, 100) n"
                + " WHERE s.name = 'steep' AND webhook_retry_delay(s, n) > interval '1 day'"));
    assertEquals(
        86_400_000L,
        p.db.count("SELECT max_backoff_ms FROM webhook_subscriber WHERE name = 'steep'"));
    assertTrue(
        p.db.count(
                "SELECT count(*) FROM webhook_subscriber s, generate_series(1, 100) n"
                    + " WHERE s.name = 'steep' AND webhook_retry_delay(s, n) >= interval '0.8 day'")
            >= 90,
        "the late retries wait about the cap");
  }

  @Test
  void shouldReachDeadAfterOneHundredRetriesWithASteepFactor() {
    p.subscribe(
        "steep", "max_retries, backoff_base_ms, backoff_factor, max_backoff_ms", "100, 10, 10, 20");
    p.receiver.respondWith(r -> Receiver.Response.status(500));
    p.startSidecar(Map.of("WEBHOOK_BREAKER_FAILURES", "1000"));
    p.partner("Patience Ltd");
    p.awaitStatus(1, "dead", WAIT);
    assertEquals(
        101,
        p.db.count("SELECT count(*) FROM webhook_attempt"),
        "the first attempt and 100 retries");
    assertEquals(101, p.db.count("SELECT attempts FROM webhook_delivery"));
  }

  @Test
  void shouldSetTheCapFromTheCommandLine() {
    assertEquals(
        Cli.OK,
        cli(
            "subscriber",
            "add",
            "--name",
            "capped",
            "--url",
            p.receiver.url(),
            "--max-backoff",
            "2h"));
    assertEquals(
        7_200_000L,
        p.db.count("SELECT max_backoff_ms FROM webhook_subscriber WHERE name = 'capped'"));
    assertEquals(Cli.OK, cli("subscriber", "update", "capped", "--max-backoff", "30s"));
    assertEquals(
        30_000L, p.db.count("SELECT max_backoff_ms FROM webhook_subscriber WHERE name = 'capped'"));
    assertTrue(
        cli("subscriber", "update", "capped", "--max-backoff", "365d") != Cli.OK,
        "over 30 days is refused");
    assertEquals(
        30_000L, p.db.count("SELECT max_backoff_ms FROM webhook_subscriber WHERE name = 'capped'"));
  }

  private int cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    return new Cli(
            p.db.env(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
        .run(args);
  }
}
