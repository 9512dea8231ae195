// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.delivery.AttemptResult;
import dev.odoowebhook.sidecar.delivery.Delivery;
import dev.odoowebhook.sidecar.delivery.Payload;
import dev.odoowebhook.sidecar.delivery.Subscriber;
import dev.odoowebhook.sidecar.persistence.Database;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.BrokerMessage;
import dev.odoowebhook.sidecar.support.JetStreamServer;
import io.nats.client.api.StorageType;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * nats:// subscribers against the real NATS server with JetStream at 127.0.0.1:4222 (the tests fail
 * when it is absent). Each test makes its own stream, and deletes it after.
 */
class NatsDestinationTest extends BrokerDeliveryContract {
  private static JetStreamServer nats;
  private String stream;
  private String prefix;

  @BeforeAll
  static void connect() {
    nats = JetStreamServer.shared();
  }

  @AfterAll
  static void disconnect() {
    nats.close();
  }

  @AfterEach
  void dropStream() {
    p.stopSidecar();
    if (stream != null) {
      nats.deleteStream(stream);
    }
  }

  @Override
  String newDestination() {
    String tag = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    stream = "WEBHOOK_TEST_" + tag;
    prefix = "webhook_test." + tag;
    nats.createStream(stream, StorageType.Memory, prefix + ".>");
    return "nats://" + nats.hostPort() + "/" + prefix;
  }

  @Override
  List<BrokerMessage> published() {
    return nats.readAll(stream).stream().map(BrokerMessage::of).toList();
  }

  @Override
  String addressOf(String model, long recordId) {
    return prefix + "." + model.replace('.', '_') + "." + recordId;
  }

  @Test
  void shouldCarryTheWebhookIdAsNatsMsgIdSoARepeatIsDropped() {
    String url = newDestination();
    long subscriber = subscribe("dedup", url);
    Subscriber s =
        new Subscriber(
            subscriber,
            "dedup",
            URI.create(url),
            p.secret,
            null,
            null,
            true,
            Duration.ofSeconds(2),
            null,
            4,
            Map.of(),
            Instant.now());
    Delivery d =
        new Delivery(
            41,
            subscriber,
            "res.partner",
            7,
            "create",
            null,
            1,
            1,
            1,
            Instant.now(),
            Instant.now(),
            0,
            0,
            null,
            null,
            false);
    try (Database db = Database.open(p.db.config(Map.of()), 1, "test-brokers");
        BrokerDestinations brokers = new BrokerDestinations(db, "test")) {
      AttemptResult first =
          brokers.send(s, d, Payload.render(d), Duration.ofSeconds(2), Instant.now());
      AttemptResult again =
          brokers.send(s, d, Payload.render(d), Duration.ofSeconds(2), Instant.now());
      assertTrue(first.success(), first.toString());
      assertTrue(again.success(), "a repeat is acknowledged as sent: " + again);
      assertTrue(again.responseExcerpt().contains("duplicate"), again.responseExcerpt());
    }
    List<BrokerMessage> got = published();
    assertEquals(1, got.size(), "JetStream kept one message per Nats-Msg-Id");
    assertEquals(d.messageId(), got.get(0).header("Nats-Msg-Id"));
    assertEquals(d.messageId(), got.get(0).webhookId());
  }

  @Test
  void shouldRecordNoStreamAndRetryWithTheSameIdUntilAStreamCoversTheSubject() {
    String url = newDestination();
    nats.setSubjects(stream, "webhook_test.elsewhere.>"); // no stream covers the prefix now
    subscribe("waiting", url);
    p.db.addSubscriber("gives-up", url, p.secret, COLUMNS, "2000, 50, 1, 1, 'ids'");
    p.partner("Azure");
    p.startSidecar(SIDECAR);
    Await.until(
        "no_stream attempts recorded",
        WAIT,
        () ->
            p.db.count(
                    "SELECT count(*) FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id"
                        + " JOIN webhook_subscriber s ON s.id = d.subscriber_id"
                        + " WHERE s.name = 'waiting' AND a.error_type = 'no_stream'")
                >= 2,
        p::statuses);
    Await.until(
        "the subscriber with one retry is dead",
        WAIT,
        () ->
            p.db.count(
                    "SELECT count(*) FROM webhook_delivery d JOIN webhook_subscriber s ON s.id = d.subscriber_id"
                        + " WHERE s.name = 'gives-up' AND d.status = 'dead' AND d.attempts = 2"
                        + " AND d.last_error_type = 'no_stream'")
                == 1,
        p::statuses);
    assertTrue(
        p.db
            .value(
                "SELECT last_error FROM webhook_delivery d JOIN webhook_subscriber s"
                    + " ON s.id = d.subscriber_id WHERE s.name = 'gives-up'",
                String.class)
            .contains(prefix),
        "the error names the subject");

    nats.setSubjects(stream, prefix + ".>");
    Await.until(
        "sent once a stream covers it",
        WAIT,
        () ->
            p.db.count(
                    "SELECT count(*) FROM webhook_delivery d JOIN webhook_subscriber s ON s.id = d.subscriber_id"
                        + " WHERE s.name = 'waiting' AND d.status = 'sent'")
                == 1,
        p::statuses);
    List<BrokerMessage> got = published();
    assertEquals(1, got.size(), got.toString());
    assertEquals(
        p.db.value(
            "SELECT a.message_id FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id"
                + " JOIN webhook_subscriber s ON s.id = d.subscriber_id WHERE s.name = 'waiting'"
                + " ORDER BY a.id LIMIT 1",
            String.class),
        got.get(0).webhookId(),
        "the id of the first attempt: it does not change across retries");
  }

  @Test
  void shouldLoseNothingWhenTheStreamStopsCoveringTheSubjectsMidStream() {
    String url = newDestination();
    subscribe("outage", url);
    p.startSidecar(SIDECAR);
    int n = 150;
    for (int i = 0; i < n; i++) {
      p.partner("p" + i);
      if (i == n / 3) {
        Await.until(
            "some sent",
            WAIT,
            () -> p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'sent'") > 0);
        nats.setSubjects(stream, "webhook_test.elsewhere.>");
      }
      if (i == 2 * n / 3) {
        Await.until(
            "no_stream recorded",
            WAIT,
            () ->
                p.db.count("SELECT count(*) FROM webhook_attempt WHERE error_type = 'no_stream'")
                    > 0,
            p::statuses);
        nats.setSubjects(stream, prefix + ".>");
      }
    }
    awaitAllSent(n);
    Set<Long> expected =
        LongStream.rangeClosed(1, n).boxed().collect(Collectors.toCollection(TreeSet::new));
    Set<Long> got =
        published().stream()
            .map(BrokerMessage::recordId)
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(expected, got);
  }

  @Test
  void shouldLoseNothingAcrossARestartOfTheNatsServer() {
    Assumptions.assumeTrue(
        JetStreamServer.binaryOnPath(),
        "nats-server is not on the PATH: the restart is covered by the stream outage test only");
    try (JetStreamServer own = JetStreamServer.startOwn()) {
      String tag = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
      String ownStream = "WEBHOOK_RESTART_" + tag;
      own.createStream(ownStream, StorageType.File, "restart." + tag + ".>");
      subscribe("restart", "nats://" + own.hostPort() + "/restart." + tag);
      p.startSidecar(SIDECAR);
      int n = 150;
      for (int i = 0; i < n; i++) {
        p.partner("p" + i);
        if (i == n / 2) {
          Await.until(
              "some sent",
              WAIT,
              () -> p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'sent'") > 0);
          own.restart();
        }
      }
      awaitAllSent(n);
      List<BrokerMessage> got = own.readAll(ownStream).stream().map(BrokerMessage::of).toList();
      Set<Long> ids =
          got.stream().map(BrokerMessage::recordId).collect(Collectors.toCollection(TreeSet::new));
      Set<Long> expected =
          LongStream.rangeClosed(1, n).boxed().collect(Collectors.toCollection(TreeSet::new));
      assertEquals(expected, ids);
      assertEquals(
          got.size(),
          got.stream().map(BrokerMessage::webhookId).distinct().count(),
          "no repeats: the stream dropped resends by Nats-Msg-Id");
    }
  }

  @Test
  void shouldLogInWithTheCredentialsStoredForTheSubscriber() {
    Assumptions.assumeTrue(
        JetStreamServer.binaryOnPath(),
        "nats-server is not on the PATH: no server with a login to test against");
    try (JetStreamServer own = JetStreamServer.startOwn("svc-odoo", "s3cret-pw")) {
      String tag = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
      own.createStream("WEBHOOK_LOGIN_" + tag, StorageType.Memory, "login." + tag + ".>");
      long id = subscribe("login", "nats://" + own.hostPort() + "/login." + tag);
      p.partner("Azure");
      p.startSidecar(SIDECAR);
      Await.until(
          "refused without credentials",
          WAIT,
          () ->
              p.db.count("SELECT count(*) FROM webhook_attempt WHERE error_type = 'broker_error'")
                  > 0,
          p::statuses);
      String error = p.db.value("SELECT last_error FROM webhook_delivery", String.class);
      assertTrue(error.contains("webhook_broker_credential"), error);
      assertTrue(!error.contains("s3cret-pw"), error);
      p.db.exec(
          "INSERT INTO webhook_broker_credential (subscriber_id, username, password)"
              + " VALUES ("
              + id
              + ", 'svc-odoo', 's3cret-pw')");
      p.awaitStatus(1, "sent", WAIT); // picked up without a restart
      assertEquals(1, own.readAll("WEBHOOK_LOGIN_" + tag).size());
    }
  }

  /**
   * Credentials set with `subscriber add` (the password read from the environment): the subscriber
   * publishes to the shared server at 127.0.0.1:4222, which requires no login and so cannot tell
   * whether they were used; the same CLI call against a private server that requires them proves
   * that the publisher logs in with what the CLI stored.
   */
  private static final Map<String, String> NATS_LOGIN = Map.of("NATS_PASSWORD", "s3cret-pw");

  private static final String[] LOGIN_FROM_ENV = {
    "--broker-user", "svc-odoo", "--broker-password", "env:NATS_PASSWORD"
  };

  @Test
  void shouldPublishWithCredentialsSetThroughTheCli() {
    addThroughTheCli("shared", newDestination(), NATS_LOGIN, null, LOGIN_FROM_ENV);
    Assumptions.assumeTrue(
        JetStreamServer.binaryOnPath(),
        "nats-server is not on the PATH: no server with a login to test against");
    try (JetStreamServer own = JetStreamServer.startOwn("svc-odoo", "s3cret-pw")) {
      String tag = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
      own.createStream("WEBHOOK_CLI_" + tag, StorageType.Memory, "cli." + tag + ".>");
      addThroughTheCli(
          "own", "nats://" + own.hostPort() + "/cli." + tag, NATS_LOGIN, null, LOGIN_FROM_ENV);
      assertEquals(
          List.of("svc-odoo:s3cret-pw:", "svc-odoo:s3cret-pw:"),
          p
              .db
              .rows(
                  "SELECT concat_ws(':', username, password, coalesce(token, '')) AS c"
                      + " FROM webhook_broker_credential ORDER BY subscriber_id")
              .stream()
              .map(row -> row.get("c"))
              .toList(),
          "stored as given");
      long partner = p.partner("Azure");
      p.startSidecar(SIDECAR);
      p.awaitStatus(2, "sent", WAIT);
      assertEquals(1, published().size(), "the shared server has it");
      List<BrokerMessage> own1 =
          own.readAll("WEBHOOK_CLI_" + tag).stream().map(BrokerMessage::of).toList();
      assertEquals(1, own1.size(), "the server that requires the login has it");
      assertEquals("cli." + tag + ".res_partner." + partner, own1.get(0).address());
      assertEquals(
          0,
          p.db.count("SELECT count(*) FROM webhook_attempt WHERE error_type IS NOT NULL"),
          "no attempt was refused");
    }
  }
}
