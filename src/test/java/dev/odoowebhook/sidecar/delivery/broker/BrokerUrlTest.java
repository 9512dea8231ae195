// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Broker URLs: what they name, what they refuse, and where one record's messages go. */
@ExtendWith(MigratedDatabase.class)
class BrokerUrlTest {
  static TestDatabase db;

  @Test
  void shouldReadServersTopicAndOptionsOfAKafkaUrl() {
    BrokerUrl u =
        BrokerUrl.parse("kafka://k1:9092,k2:9093/odoo.changes?tls=true&sasl=scram-sha-512");
    assertEquals(BrokerUrl.Kind.KAFKA, u.kind());
    assertEquals(List.of("k1:9092", "k2:9093"), u.servers());
    assertEquals("odoo.changes", u.target());
    assertTrue(u.tls());
    assertEquals("SCRAM-SHA-512", u.sasl());
  }

  @Test
  void shouldReadAPrefixOfANatsUrl() {
    BrokerUrl u = BrokerUrl.parse("nats://127.0.0.1:4222/odoo.changes");
    assertEquals(BrokerUrl.Kind.NATS, u.kind());
    assertEquals("odoo.changes", u.target());
    assertFalse(u.tls());
  }

  @Test
  void shouldKeepOneRecordOnOneKeyAndOneSubject() {
    assertEquals("res.partner:7", BrokerUrl.kafkaKey("res.partner", 7));
    assertEquals(
        "odoo.changes.sale_order_line.12",
        BrokerUrl.natsSubject("odoo.changes", "sale.order.line", 12));
  }

  @Test
  void shouldRefuseWhatItCannotUseWithWhatToFix() {
    Map<String, String> refused =
        Map.of(
            "kafka://k1:9092", "names no topic",
            "kafka://k1/topic", "is not host:port",
            "kafka://user:pw@k1:9092/t", "webhook_broker_credential",
            "kafka://k1:9092/bad$topic", "not a Kafka topic name",
            "kafka://k1:9092/t?sasl=GSSAPI", "sasl must be one of",
            "nats://n1:4222/odoo.*", "not a NATS subject prefix",
            "nats://n1:4222/odoo..x", "not a NATS subject prefix",
            "nats://n1:4222/", "names no subject prefix",
            "nats://n1:4222/x?sasl=PLAIN", "unknown option",
            "nats://n1:99999/x", "from 1 to 65535");
    refused.forEach(
        (url, why) -> {
          String problem = DestinationUrls.problemWith(url);
          assertTrue(problem != null && problem.contains(why), url + " -> " + problem);
        });
    assertNull(DestinationUrls.problemWith("kafka://127.0.0.1:9092/odoo"));
    assertNull(DestinationUrls.problemWith("nats://127.0.0.1:4222/odoo.changes?tls=true"));
    assertTrue(DestinationUrls.problemWith("ftp://x/y").contains("kafka://"));
  }

  @Test
  void shouldNeverPrintCredentials() {
    BrokerCredentials c = new BrokerCredentials("svc-odoo", "hunter2", null);
    assertFalse(
        c.toString().contains("hunter2") || c.toString().contains("svc-odoo"), c.toString());
    Properties config =
        PublishToKafka.config(
            BrokerUrl.parse("kafka://k:9092/t?sasl=PLAIN"), c, "id", Duration.ofSeconds(1));
    assertEquals("SASL_PLAINTEXT", config.get("security.protocol"));
    assertTrue(config.get("sasl.jaas.config").toString().contains("username=\"svc-odoo\""));
  }

  @Test
  void shouldAcceptBrokerUrlsAndKeepCredentialsOutOfTheSubscriberTable() {
    String secret = WebhookSigner.newSecret();
    long id =
        db.addSubscriber(
            "kafka-" + System.nanoTime(), "kafka://k1:9092,k2:9092/odoo", secret, "", "");
    db.addSubscriber(
        "nats-" + System.nanoTime(), "nats://127.0.0.1:4222/odoo.changes", secret, "", "");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> db.addSubscriber("bad-" + System.nanoTime(), "kafka://k1:9092", secret, "", ""));
    assertTrue(e.getMessage().contains("webhook_subscriber_url_check"), e.getMessage());
    db.exec(
        "INSERT INTO webhook_broker_credential (subscriber_id, username, password) VALUES ("
            + id
            + ", 'svc', 'pw')");
    assertThrows(
        IllegalStateException.class,
        () ->
            db.exec(
                "INSERT INTO webhook_broker_credential (subscriber_id, password) VALUES ("
                    + id
                    + ", 'pw')"));
    db.exec("DELETE FROM webhook_subscriber WHERE id = " + id);
    assertEquals(
        0, db.count("SELECT count(*) FROM webhook_broker_credential"), "gone with its subscriber");
  }
}
