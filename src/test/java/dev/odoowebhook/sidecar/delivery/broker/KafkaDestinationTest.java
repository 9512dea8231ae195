// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.BrokerMessage;
import dev.odoowebhook.sidecar.support.KafkaBroker;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kafka:// subscribers against a real Apache Kafka broker (KRaft, one node) that this class starts
 * from the test class path and removes after; topics are made per test, 3 partitions.
 */
class KafkaDestinationTest extends BrokerDeliveryContract {
  private static KafkaBroker kafka;
  private String topic;

  @BeforeAll
  static void startKafka() {
    kafka = KafkaBroker.start();
  }

  @AfterAll
  static void stopKafka() {
    kafka.close();
  }

  @AfterEach
  void stopSidecar() {
    p.stopSidecar(); // its producers go before the topic does
  }

  @Override
  String newDestination() {
    topic = "odoo.changes." + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(topic, 3);
    return "kafka://" + kafka.bootstrap() + "/" + topic;
  }

  @Override
  List<BrokerMessage> published() {
    return kafka.readAll(topic).stream().map(BrokerMessage::of).toList();
  }

  @Override
  String addressOf(String model, long recordId) {
    return model + ":" + recordId;
  }

  @Test
  void shouldLoseNothingAcrossARestartOfTheBrokerMidStream() {
    String url = newDestination();
    subscribe("restart", url);
    p.startSidecar(SIDECAR);
    int n = 150;
    for (int i = 0; i < n; i++) {
      p.partner("p" + i);
      if (i == n / 3) {
        Await.until(
            "some sent",
            WAIT,
            () -> p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'sent'") > 0);
        kafka.restart();
      }
    }
    awaitAllSent(n);
    List<BrokerMessage> got = published();
    Set<Long> expected =
        LongStream.rangeClosed(1, n).boxed().collect(Collectors.toCollection(TreeSet::new));
    Set<Long> ids =
        got.stream().map(BrokerMessage::recordId).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(expected, ids);
    // A resend after a lost acknowledgement may repeat a message; it repeats its webhook-id.
    Map<String, Long> perId =
        got.stream()
            .collect(Collectors.groupingBy(BrokerMessage::webhookId, Collectors.counting()));
    assertEquals(n, perId.size(), "one webhook-id per delivery");
  }

  @Test
  void shouldRetryAMissingTopicWithTheSameIdUntilItExists() {
    topic = "odoo.missing." + UUID.randomUUID().toString().substring(0, 8);
    p.db.addSubscriber(
        "early",
        "kafka://" + kafka.bootstrap() + "/" + topic,
        p.secret,
        COLUMNS,
        "1000, 100, 1, 100, 'ids'");
    long id = p.partner("Azure");
    p.startSidecar(SIDECAR);
    Await.until(
        "failed attempts recorded",
        WAIT,
        () -> p.db.count("SELECT count(*) FROM webhook_attempt WHERE error_type IS NOT NULL") >= 2,
        p::statuses);
    String error = p.db.value("SELECT last_error FROM webhook_delivery", String.class);
    assertTrue(error.contains(topic), "the error names the topic: " + error);
    kafka.createTopic(topic, 3);
    p.awaitStatus(1, "sent", WAIT);
    List<BrokerMessage> got = published();
    assertEquals(1, got.size(), got.toString());
    assertEquals("res.partner:" + id, got.get(0).address());
    assertEquals(
        // The id of the first attempt, the one that found no topic.
        p.db.value("SELECT message_id FROM webhook_attempt ORDER BY id LIMIT 1", String.class),
        got.get(0).webhookId(),
        "the id does not change across retries");
  }

  @Test
  void shouldLogInWithSaslAsTheCredentialsStoredForTheSubscriber() {
    String url = newDestination().replace(kafka.bootstrap(), kafka.saslBootstrap()) + "?sasl=PLAIN";
    long id = subscribe("login", url);
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
    p.db.exec(
        "INSERT INTO webhook_broker_credential (subscriber_id, username, password) VALUES ("
            + id
            + ", '"
            + KafkaBroker.SASL_USER
            + "', '"
            + KafkaBroker.SASL_PASSWORD
            + "')");
    p.awaitStatus(1, "sent", WAIT); // picked up without a restart
    assertEquals(1, published().size());
    assertTrue(
        !p.db
            .value(
                "SELECT string_agg(coalesce(error_message, ''), ' ') FROM webhook_attempt",
                String.class)
            .contains(KafkaBroker.SASL_PASSWORD),
        "no password in any attempt");
  }

  /** SASL/PLAIN credentials set with `subscriber add`, the password read from stdin. */
  @Test
  void shouldLogInWithSaslCredentialsSetThroughTheCli() {
    String url = newDestination().replace(kafka.bootstrap(), kafka.saslBootstrap()) + "?sasl=PLAIN";
    addThroughTheCli(
        "login",
        url,
        Map.of(),
        KafkaBroker.SASL_PASSWORD + "\n",
        "--broker-user",
        KafkaBroker.SASL_USER,
        "--broker-password",
        "stdin");
    p.partner("Azure");
    p.startSidecar(SIDECAR);
    p.awaitStatus(1, "sent", WAIT);
    assertEquals(1, published().size());
    assertEquals(
        0,
        p.db.count("SELECT count(*) FROM webhook_attempt WHERE error_type IS NOT NULL"),
        "logged in at the first attempt");
  }
}
