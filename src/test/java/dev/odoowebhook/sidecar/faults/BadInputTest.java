// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.cli.Cli;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Pipeline;
import dev.odoowebhook.sidecar.support.Receiver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Inputs and changes that must not lose data or crash anything. */
@Tag("faults")
class BadInputTest {
  static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void shouldStillDeliverEventsOfAModelUntrackedWhileTheyWait() {
    try (Pipeline p = new Pipeline()) {
      p.subscribe("erp", "", "");
      for (int i = 0; i < 20; i++) {
        p.partner("p" + i);
      }
      p.db.exec("SELECT webhook_untrack('res.partner')");
      p.partner("after untrack: not captured");
      p.startSidecar(Map.of());
      p.awaitStatus(20, "sent", WAIT);
      assertEquals(20, p.receiver.requests().size());
    }
  }

  @Test
  void shouldDropPendingDeliveriesOfADeletedSubscriberAndKeepServingTheOthers() throws Exception {
    try (Pipeline p = new Pipeline();
        Receiver other = new Receiver()) {
      long doomed = p.subscribe("doomed", "max_concurrency", "1");
      p.db.addSubscriber("other", other.url(), p.secret, "", "");
      p.receiver.respondWith(r -> new Receiver.Response(200, Map.of(), "slow", 500));
      p.startSidecar(Map.of());
      for (int i = 0; i < 10; i++) {
        p.partner("p" + i);
      }
      Await.until(
          "the doomed subscriber busy",
          WAIT,
          () ->
              !p.receiver.requests().isEmpty()
                  || p.db.count(
                          "SELECT count(*) FROM webhook_delivery WHERE subscriber_id = ? AND status = 'processing'",
                          doomed)
                      > 0);
      p.db.exec("DELETE FROM webhook_subscriber WHERE id = " + doomed);
      Await.until("the other subscriber got everything", WAIT, () -> other.requests().size() == 10);
      Thread.sleep(1_000);
      assertEquals(
          0, p.db.count("SELECT count(*) FROM webhook_delivery WHERE subscriber_id = ?", doomed));
      assertEquals(10, p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'sent'"));
      assertEquals(0, p.db.count("SELECT count(*) FROM webhook_delivery WHERE status <> 'sent'"));
      assertEquals(
          10, p.db.count("SELECT count(*) FROM webhook_event"), "the events stay for a replay");
    }
  }

  @Test
  void shouldRetryUnreachableAndUnknownHostsWithAClearErrorAndDeliverOnceTheUrlIsFixed()
      throws Exception {
    try (Pipeline p = new Pipeline();
        Receiver fixed = new Receiver()) {
      p.subscribe("erp", "", "");
      int closedPort;
      try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
        closedPort = s.getLocalPort(); // closed again: nothing listens there
      }
      String retryFast = "backoff_base_ms, backoff_factor, max_retries";
      long refused =
          p.db.addSubscriber(
              "refused",
              "http://127.0.0.1:" + closedPort + "/hook",
              p.secret,
              retryFast,
              "200, 1, 100");
      long unknown =
          p.db.addSubscriber(
              "unknown", "http://no-such-host.invalid/hook", p.secret, retryFast, "200, 1, 100");
      p.startSidecar(Map.of());
      long partner = p.partner("Azure Interior");

      Await.until(
          "both unreachable subscribers tried twice",
          WAIT,
          () ->
              p.db.count(
                      "SELECT count(DISTINCT d.subscriber_id) FROM webhook_delivery d"
                          + " WHERE d.attempts >= 2 AND d.status = 'failed' AND d.subscriber_id IN (?, ?)",
                      refused,
                      unknown)
                  == 2);
      assertEquals(1, p.answered2xx().size(), "the reachable subscriber is served meanwhile");
      String refusedError = lastError(p, refused);
      String unknownError = lastError(p, unknown);
      assertTrue(
          refusedError.startsWith("connection: Connection refused")
              && refusedError.endsWith("(connecting to 127.0.0.1:" + closedPort + ")"),
          refusedError);
      assertTrue(
          unknownError.startsWith("connection: Host not found: no-such-host.invalid"),
          unknownError);

      // The admin fixes the URLs: the waiting deliveries arrive, nothing was lost.
      p.db.exec(
          "UPDATE webhook_subscriber SET url = '"
              + fixed.url()
              + "' WHERE id IN ("
              + refused
              + ", "
              + unknown
              + ")");
      Await.until(
          "both delivered after the fix",
          WAIT,
          () -> fixed.requests().stream().filter(Receiver.Request::answered2xx).count() == 2);
      for (Receiver.Request r : fixed.requests()) {
        assertEquals(partner, r.data().get("record_id").asLong());
      }
    }
  }

  private static String lastError(Pipeline p, long subscriber) {
    return p.db.value(
        "SELECT a.error_type || ': ' || a.error_message FROM webhook_attempt a"
            + " JOIN webhook_delivery d ON d.id = a.delivery_id WHERE d.subscriber_id = ?"
            + " ORDER BY a.id DESC LIMIT 1",
        String.class,
        subscriber);
  }

  @Test
  void shouldNeverFailOdooWhileNoSidecarRunsThenDrainTheBacklog() {
    try (Pipeline p = new Pipeline()) {
      p.subscribe("erp", "", "");
      // A long outage of the sidecar: Odoo writes on; none of its writes may fail.
      for (int i = 0; i < 300; i++) {
        if (i % 3 == 0) {
          p.partner("p" + i);
        } else {
          p.db.exec(
              "UPDATE res_partner SET email = 'e"
                  + i
                  + "' WHERE id = (SELECT max(id) FROM res_partner)");
        }
      }
      assertEquals(300, p.db.count("SELECT count(*) FROM webhook_event"));
      p.startSidecar(Map.of());
      p.awaitStatus(100, "sent", WAIT);
      assertEquals(100, p.receiver.requests().size(), "one delivery per record: the writes merged");
    }
  }

  @Test
  void shouldAnswerAnyCommandLineWithOneLineAndAKnownExitCode() {
    try (Pipeline p = new Pipeline()) {
      String[] vocabulary = {
        "migrate",
        "track",
        "untrack",
        "subscriber",
        "add",
        "list",
        "status",
        "replay",
        "cancel",
        "cleanup",
        "help",
        "--help",
        "--name",
        "--url",
        "--secret",
        "--models",
        "--events",
        "--fields",
        "--timeout",
        "--max-retries",
        "--backoff-base",
        "--backoff-factor",
        "--rate-limit",
        "--concurrency",
        "--header",
        "--id",
        "--dead",
        "--failed",
        "--cancelled",
        "--subscriber",
        "--since",
        "--dry-run",
        "--table",
        "--ignore",
        "--db-url",
        "--poll-interval",
        "--workers",
        "--http-port",
        "--lease",
        "res.partner",
        "sale.order",
        "http://127.0.0.1:9/x",
        "https://",
        "whsec_",
        "whsec_" + "A".repeat(44),
        "create,write",
        "10s",
        "-1",
        "0",
        "1e9",
        "NaN",
        "",
        " ",
        "=",
        "--=",
        "--name=x",
        "ü",
        "\u0000",
        "'; DROP TABLE res_partner; --",
        "%s%n",
        "jdbc:postgresql://127.0.0.1:1/x",
        "2026-13-45T99:99:99Z"
      };
      Random random = new Random(42);
      int runs = 400;
      List<String> failures = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        String[] argv = new String[random.nextInt(6)];
        for (int j = 0; j < argv.length; j++) {
          argv[j] = vocabulary[random.nextInt(vocabulary.length)];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
          code =
              new Cli(
                      p.db.env(),
                      new PrintStream(out, true, StandardCharsets.UTF_8),
                      new PrintStream(err, true, StandardCharsets.UTF_8))
                  .run(argv);
        } catch (RuntimeException e) {
          failures.add(String.join(" ", argv) + " threw " + e);
          continue;
        }
        String e = err.toString(StandardCharsets.UTF_8).strip();
        boolean oneLine = e.lines().filter(l -> !l.startsWith("Note:")).count() <= 1;
        if (code < 0
            || code > 2
            || !oneLine
            || e.contains("Exception")
            || e.contains("\tat ")
            || (code != 0
                && e.isEmpty()
                && !out.toString(StandardCharsets.UTF_8).startsWith("odoo-webhook-sidecar"))) {
          failures.add(List.of(argv) + " -> exit " + code + ", stderr: " + e);
        }
      }
      assertTrue(
          failures.isEmpty(),
          failures.size()
              + " of "
              + runs
              + " command lines misbehaved:\n"
              + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
      assertTrue(
          p.db.value("SELECT to_regclass('res_partner') IS NOT NULL", Boolean.class),
          "and no input reached the database as SQL");
    }
  }
}
