// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import dev.odoowebhook.sidecar.delivery.AttemptResult;
import dev.odoowebhook.sidecar.delivery.ErrorType;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes to one nats:// subscriber's subjects in JetStream: {@code prefix.<model>.<record_id>}
 * ({@link BrokerUrl#natsSubject}), with webhook-id as {@code Nats-Msg-Id} so the stream drops a
 * repeat within its duplicate window, and the Standard Webhooks headers. A message counts as sent
 * when the stream acknowledges it (PubAck). A subject that no stream covers is the error type
 * {@code no_stream}, retried on the schedule: never a silent loss.
 *
 * <p>The connection is opened on the first publish and reconnects by itself; while it is down
 * publishes fail at once ({@code connection}) and are retried on the subscriber's schedule.
 * Thread-safe: the sender threads share the connection, and their publishes are pipelined on it.
 */
final class PublishToNats implements Publisher {
  private static final Logger log = LoggerFactory.getLogger(PublishToNats.class);
  private final BrokerUrl url;
  private final Options options;
  private volatile Connection connection;
  private volatile JetStream jetStream;
  private volatile boolean closed;

  PublishToNats(
      BrokerUrl url, BrokerCredentials credentials, String connectionName, Duration timeout) {
    this.url = url;
    Options.Builder b =
        new Options.Builder()
            .connectionName(connectionName)
            .connectionTimeout(timeout)
            .maxReconnects(-1)
            .reconnectWait(Duration.ofMillis(500))
            // No buffer while disconnected: a publish then fails at once (and is retried on the
            // schedule) instead of going out at the reconnect, possibly after a newer version of
            // the record that was published meanwhile.
            .reconnectBufferSize(0)
            // The client's own reports go to the sidecar's log, once per event, not to stderr.
            .errorListener(
                new ErrorListener() {
                  @Override
                  public void errorOccurred(Connection conn, String error) {
                    log.warn("NATS {}: {}", String.join(",", url.servers()), error);
                  }

                  @Override
                  public void exceptionOccurred(Connection conn, Exception exp) {
                    log.warn("NATS {}: {}", String.join(",", url.servers()), exp.toString());
                  }
                })
            .connectionListener(
                (conn, event) -> log.info("NATS {}: {}", String.join(",", url.servers()), event));
    for (String server : url.servers()) {
      // tls:// makes the client require TLS with the JVM's default trust store.
      b.server((url.tls() ? "tls://" : "nats://") + server);
    }
    if (credentials.token() != null) {
      b.token(credentials.token().toCharArray());
    } else if (credentials.username() != null) {
      b.userInfo(
          credentials.username().toCharArray(),
          (credentials.password() == null ? "" : credentials.password()).toCharArray());
    }
    this.options = b.build();
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
    String subject = BrokerUrl.natsSubject(url.target(), model, recordId);
    Headers h = new Headers();
    headers.forEach(h::put);
    PublishOptions opts =
        PublishOptions.builder()
            .messageId(headers.get("webhook-id"))
            .streamTimeout(timeout)
            .build();
    try {
      PublishAck ack = jetStream().publish(subject, h, body, opts);
      return Outcomes.sent(
          now,
          start,
          "stream "
              + ack.getStream()
              + ", sequence "
              + ack.getSeqno()
              + (ack.isDuplicate() ? ", duplicate" : ""));
    } catch (JetStreamApiException e) {
      return Outcomes.failure(
          now,
          start,
          ErrorType.BROKER_ERROR,
          "JetStream refused " + subject + ": " + e.getMessage());
    } catch (IOException e) {
      return fromIoException(e, subject, timeout, now, start);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcomes.stopping(now, start);
    } catch (IllegalStateException e) { // disconnected (nothing is buffered), or closed under it
      return Outcomes.failure(
          now,
          start,
          closed ? ErrorType.INTERRUPTED : ErrorType.CONNECTION,
          "NATS (" + String.join(",", url.servers()) + "): " + e.getMessage());
    }
  }

  private AttemptResult fromIoException(
      IOException e, String subject, Duration timeout, Instant now, long start) {
    String m = String.valueOf(e.getMessage());
    String lower = m.toLowerCase(Locale.ROOT);
    String servers = String.join(",", url.servers());
    if (lower.contains("no responders")) {
      // The server answers 503 at once: nothing listens on the subject, so no stream stores it.
      return Outcomes.failure(
          now,
          start,
          ErrorType.NO_STREAM,
          "No JetStream stream on "
              + servers
              + " covers the subject "
              + subject
              + ": add a stream with the subjects "
              + url.target()
              + ".> (nats stream add); retried on the schedule");
    }
    if (lower.contains("authorization") || lower.contains("authentication")) {
      return Outcomes.failure(
          now,
          start,
          ErrorType.BROKER_ERROR,
          "NATS ("
              + servers
              + ") refused the"
              + " credentials ("
              + m
              + "); fix webhook_broker_credential for this subscriber");
    }
    if (lower.contains("timeout") || lower.contains("timed out")) {
      return Outcomes.failure(
          now,
          start,
          ErrorType.TIMEOUT,
          "No acknowledgement from JetStream ("
              + servers
              + ") within "
              + timeout.toMillis()
              + " ms for "
              + subject);
    }
    return Outcomes.failure(now, start, ErrorType.CONNECTION, "NATS (" + servers + "): " + m);
  }

  /** The JetStream context, connecting first if need be. */
  private JetStream jetStream() throws IOException, InterruptedException {
    JetStream js = jetStream;
    if (js != null) {
      return js;
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      if (jetStream == null) {
        Connection c = Nats.connect(options);
        connection = c;
        jetStream = c.jetStream();
      }
      return jetStream;
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    Connection c = connection;
    if (c != null) {
      try {
        c.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
