// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import dev.odoowebhook.sidecar.delivery.AttemptResult;
import dev.odoowebhook.sidecar.delivery.ErrorType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes to one kafka:// subscriber's topic with an idempotent producer and acks=all: a message
 * counts as sent once every in-sync replica has it. The key is {@code model:record_id} (one record,
 * one partition, in order); the headers carry webhook-id (the deduplication id) and the Standard
 * Webhooks signature.
 *
 * <p>Batching: the sender threads publish one delivery each and wait for its acknowledgement; the
 * producer gathers what they publish while its requests are in flight into one request per
 * partition, so many deliveries in flight share one round trip. Thread-safe (one producer per
 * subscriber).
 */
final class PublishToKafka implements Publisher {
  /**
   * No waiting for more: each sender thread already waits for its acknowledgement, and what the
   * others publish while a request is in flight goes out together in the next one (measured: 2 ms
   * drained slower than 0 at 32 in flight, docs/brokers.md).
   */
  static final int LINGER_MS = 0;

  private final BrokerUrl url;
  private final Producer<String, byte[]> producer;

  PublishToKafka(BrokerUrl url, BrokerCredentials credentials, String clientId, Duration timeout) {
    this.url = url;
    this.producer =
        new KafkaProducer<>(
            config(url, credentials, clientId, timeout),
            new StringSerializer(),
            new ByteArraySerializer());
  }

  static Properties config(
      BrokerUrl url, BrokerCredentials credentials, String clientId, Duration timeout) {
    int timeoutMs = (int) Math.max(100, timeout.toMillis());
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", url.servers()));
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    // At most 5 with idempotence keeps the order of one partition across the producer's retries.
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
    p.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(LINGER_MS));
    // The subscriber's timeout bounds the wait for metadata (a broker down) and for the ack.
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Integer.toString(timeoutMs));
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(timeoutMs));
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.toString(timeoutMs + LINGER_MS));
    p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
    // Odoo's bodies are at most Payload.MAX_BYTES; the broker's own limit may be lower.
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(5 * 1024 * 1024));
    String protocol =
        url.sasl() == null
            ? (url.tls() ? "SSL" : "PLAINTEXT")
            : (url.tls() ? "SASL_SSL" : "SASL_PLAINTEXT");
    p.put("security.protocol", protocol);
    if (url.sasl() != null) {
      p.put("sasl.mechanism", url.sasl());
      String module =
          url.sasl().equals("PLAIN")
              ? "org.apache.kafka.common.security.plain.PlainLoginModule"
              : "org.apache.kafka.common.security.scram.ScramLoginModule";
      p.put(
          "sasl.jaas.config",
          module
              + " required username=\""
              + jaasQuoted(credentials.username())
              + "\" password=\""
              + jaasQuoted(credentials.password())
              + "\";");
    }
    return p;
  }

  private static String jaasQuoted(String s) {
    return s == null ? "" : s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  @Override
  public AttemptResult publish(
      String model,
      long recordId,
      Map<String, String> headers,
      byte[] body,
      Duration timeout,
      Instant now) {
    long start = System.nanoTime();
    ProducerRecord<String, byte[]> record =
        new ProducerRecord<>(url.target(), BrokerUrl.kafkaKey(model, recordId), body);
    headers.forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
    try {
      Future<RecordMetadata> acked = producer.send(record);
      RecordMetadata m = acked.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return Outcomes.sent(now, start, "partition " + m.partition() + ", offset " + m.offset());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcomes.stopping(now, start);
    } catch (java.util.concurrent.TimeoutException e) {
      return Outcomes.failure(
          now,
          start,
          ErrorType.TIMEOUT,
          "No acknowledgement from Kafka ("
              + String.join(",", url.servers())
              + ") within "
              + timeout.toMillis()
              + " ms");
    } catch (ExecutionException e) {
      return classify(e.getCause(), now, start, timeout);
    } catch (KafkaException | IllegalStateException e) {
      return classify(e, now, start, timeout);
    }
  }

  private AttemptResult classify(Throwable e, Instant now, long start, Duration timeout) {
    String servers = String.join(",", url.servers());
    if (e instanceof UnknownTopicOrPartitionException) {
      return Outcomes.failure(
          now,
          start,
          ErrorType.NO_STREAM,
          "Kafka ("
              + servers
              + ") has no topic "
              + url.target()
              + ": create it (or turn on auto-creation); retried on the schedule");
    }
    if (e instanceof org.apache.kafka.common.errors.TimeoutException) {
      // Also what a topic that does not exist looks like while auto-creation is off.
      return Outcomes.failure(
          now,
          start,
          ErrorType.TIMEOUT,
          "Kafka ("
              + servers
              + ") did not acknowledge"
              + " within "
              + timeout.toMillis()
              + " ms: are the brokers up, and does the topic "
              + url.target()
              + " exist? ("
              + e.getMessage()
              + ")");
    }
    if (e instanceof RecordTooLargeException) {
      return Outcomes.giveUp(
          now,
          start,
          ErrorType.PAYLOAD_TOO_LARGE,
          "Kafka refused the message as too large (the topic's max.message.bytes): "
              + e.getMessage());
    }
    if (e instanceof AuthenticationException || e instanceof AuthorizationException) {
      return Outcomes.failure(
          now,
          start,
          ErrorType.BROKER_ERROR,
          "Kafka ("
              + servers
              + ") refused the"
              + " credentials or the right to write to "
              + url.target()
              + ": "
              + e.getMessage()
              + "; fix webhook_broker_credential or the broker's ACLs");
    }
    return Outcomes.failure(
        now,
        start,
        ErrorType.BROKER_ERROR,
        "Kafka (" + servers + "): " + e.getClass().getSimpleName() + ": " + e.getMessage());
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
