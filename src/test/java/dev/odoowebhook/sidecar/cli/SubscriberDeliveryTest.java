// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.svix.Webhook;
import com.svix.exceptions.WebhookVerificationException;
import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.CommandLine.Result;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What pause, resume and rotate-secret do to deliveries, with an in-process sidecar and a real
 * receiver.
 */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class SubscriberDeliveryTest {
  static final Duration WAIT = Duration.ofSeconds(20);
  static TestDatabase db;
  static CommandLine cli;
  Receiver receiver;
  Sidecar sidecar;

  @BeforeEach
  void setUp() {
    db.exec(
        "SELECT webhook_track('res.partner'); TRUNCATE res_partner RESTART IDENTITY;"
            + " TRUNCATE webhook_subscriber, webhook_event CASCADE");
    receiver = new Receiver();
  }

  @AfterEach
  void tearDown() {
    if (sidecar != null) {
      sidecar.stop();
    }
    receiver.close();
  }

  private void startSidecar() throws Exception {
    sidecar = Sidecar.start(db.config(Map.of()));
  }

  private String statusOf(String subscriber) {
    return db.value(
        "SELECT d.status FROM webhook_delivery d JOIN webhook_subscriber s ON s.id = d.subscriber_id"
            + " WHERE s.name = ?",
        String.class,
        subscriber);
  }

  private String statuses() {
    return db.rows(
            "SELECT s.name, d.status, d.attempts FROM webhook_delivery d"
                + " JOIN webhook_subscriber s ON s.id = d.subscriber_id ORDER BY d.id")
        .toString();
  }

  @Test
  void shouldKeepAPausedSubscribersDeliveryPendingUntilResumed() throws Exception {
    db.addSubscriber("held", receiver.url() + "?to=held", WebhookSigner.newSecret(), "", "");
    db.addSubscriber("live", receiver.url() + "?to=live", WebhookSigner.newSecret(), "", "");
    assertEquals(Cli.OK, cli.run("subscriber", "pause", "held").code());
    startSidecar();
    db.exec("INSERT INTO res_partner (name) VALUES ('Azure Interior')");

    Await.until(
        "the live subscriber's delivery sent",
        WAIT,
        () -> "sent".equals(statusOf("live")),
        this::statuses);
    Thread.sleep(3000); // several dispatch rounds: the paused one must still wait
    assertEquals("pending", statusOf("held"), "routed, waiting: " + statuses());
    assertEquals(
        0,
        db.count(
            "SELECT attempts FROM webhook_delivery d JOIN webhook_subscriber s"
                + " ON s.id = d.subscriber_id WHERE s.name = 'held'"),
        "never attempted while paused");
    assertEquals(1, receiver.requests().size());

    Result resumed = cli.run("subscriber", "resume", "held");
    assertTrue(resumed.out().contains("its 1 waiting deliveries"), resumed.out());
    Await.until(
        "the paused subscriber's delivery sent after resume",
        WAIT,
        () -> "sent".equals(statusOf("held")),
        this::statuses);
    assertEquals(2, receiver.requests().size());
  }

  @Test
  void shouldSignWithTheNewAndTheOldSecretAfterARotation() throws Exception {
    String old = WebhookSigner.newSecret();
    db.addSubscriber("rotating", receiver.url(), old, "", "");
    Result rotated = cli.run("subscriber", "rotate-secret", "rotating", "--keep-old", "1h");
    assertEquals(Cli.OK, rotated.code(), rotated.toString());
    Matcher m = Pattern.compile("(whsec_[A-Za-z0-9+/=]+)").matcher(rotated.out());
    assertTrue(m.find(), rotated.out());
    String fresh = m.group(1);

    startSidecar();
    db.exec("INSERT INTO res_partner (name) VALUES ('Deco Addict')");
    Await.until("one delivery sent", WAIT, () -> receiver.requests().size() == 1, this::statuses);
    Receiver.Request r = receiver.requests().get(0);
    assertEquals(2, r.header("webhook-signature").split(" ").length, r.header("webhook-signature"));
    new Webhook(fresh)
        .verify(r.body(), r.headers()); // Svix's verifier: throws if no signature matches
    new Webhook(old).verify(r.body(), r.headers());
    assertThrows(
        WebhookVerificationException.class,
        () -> new Webhook(WebhookSigner.newSecret()).verify(r.body(), r.headers()),
        "the check is real");
  }
}
