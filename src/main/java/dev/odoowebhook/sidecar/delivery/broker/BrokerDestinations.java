// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import dev.odoowebhook.sidecar.delivery.AttemptResult;
import dev.odoowebhook.sidecar.delivery.Delivery;
import dev.odoowebhook.sidecar.delivery.Destination;
import dev.odoowebhook.sidecar.delivery.ErrorType;
import dev.odoowebhook.sidecar.delivery.Subscriber;
import dev.odoowebhook.sidecar.persistence.Database;
import java.net.URI;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker destinations: kafka:// and nats:// subscribers, each with one client (a Kafka
 * producer, a NATS connection) opened on its first delivery and shared by the sender threads. A
 * client is rebuilt when its subscriber's URL, timeout or credentials change (credentials are
 * re-read at most every few seconds, like the subscribers). The sidecar's {@code SendDelivery}
 * calls this for broker URLs at the point where it would post, so the Failsafe policies, attempts,
 * retry schedule and dead letters are the HTTP ones. Thread-safe.
 */
public final class BrokerDestinations implements Destination, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BrokerDestinations.class);
  private static final Duration CREDENTIALS_MAX_AGE = Duration.ofSeconds(2);

  /** One subscriber's client and what it was built from. */
  private record Client(
      String url, BrokerCredentials credentials, Duration timeout, Publisher client) {
    boolean builtFor(String url, BrokerCredentials credentials, Duration timeout) {
      return this.url.equals(url)
          && this.credentials.equals(credentials)
          && this.timeout.equals(timeout);
    }
  }

  private final Database db;
  private final String clientName;
  private final Map<Long, Client> clients = new ConcurrentHashMap<>();
  private volatile Map<Long, BrokerCredentials> credentials = Map.of();
  private volatile Instant credentialsReadAt = Instant.EPOCH;
  private volatile boolean closed;

  /**
   * @param db where webhook_broker_credential is read
   * @param clientName the client id / connection name the brokers see, e.g. the instance id
   */
  public BrokerDestinations(Database db, String clientName) {
    this.db = db;
    this.clientName = clientName;
  }

  @Override
  public boolean handles(URI url) {
    return BrokerUrl.isBroker(url);
  }

  @Override
  public AttemptResult send(Subscriber s, Delivery d, byte[] body, Duration timeout, Instant now) {
    long start = System.nanoTime();
    BrokerUrl url;
    try {
      url = BrokerUrl.parse(s.url().toString());
    } catch (IllegalArgumentException e) {
      return Outcomes.giveUp(
          now,
          start,
          ErrorType.INVALID_URL,
          "The subscriber's broker URL is not valid: " + e.getMessage() + "; fix it and replay.");
    }
    if (closed) {
      return Outcomes.stopping(now, start);
    }
    Map<String, String> headers = SignedHeaders.of(s, d.messageId(), body, now);
    return clientFor(s, url, timeout).publish(d.model(), d.recordId(), headers, body, timeout, now);
  }

  private Publisher clientFor(Subscriber s, BrokerUrl url, Duration timeout) {
    BrokerCredentials creds = credentialsOf(s.id());
    String key = s.url().toString();
    Client c = clients.get(s.id());
    if (c != null && c.builtFor(key, creds, timeout)) {
      return c.client();
    }
    synchronized (this) {
      c = clients.get(s.id());
      if (c != null && c.builtFor(key, creds, timeout)) {
        return c.client();
      }
      String name = "odoo-webhook-sidecar-" + clientName + "-" + s.id();
      Publisher fresh =
          url.kind() == BrokerUrl.Kind.KAFKA
              ? new PublishToKafka(url, creds, name, timeout)
              : new PublishToNats(url, creds, name, timeout);
      clients.put(s.id(), new Client(key, creds, timeout, fresh));
      if (c != null) {
        log.info(
            "Subscriber {} ({}): its broker settings changed; reconnecting to {}.",
            s.id(),
            s.name(),
            s.url());
        closeQuietly(c);
      }
      return fresh;
    }
  }

  private BrokerCredentials credentialsOf(long subscriberId) {
    if (Duration.between(credentialsReadAt, Instant.now()).compareTo(CREDENTIALS_MAX_AGE) > 0) {
      synchronized (this) {
        if (Duration.between(credentialsReadAt, Instant.now()).compareTo(CREDENTIALS_MAX_AGE) > 0) {
          try {
            credentials = BrokerCredentials.readAll(db);
          } catch (SQLException e) {
            // Keep the last ones: a short database outage must not drop a broker's login.
            log.warn(
                "Cannot re-read broker credentials (keeping the last read): {}", e.getMessage());
          }
          credentialsReadAt = Instant.now();
        }
      }
    }
    return Objects.requireNonNullElse(credentials.get(subscriberId), BrokerCredentials.NONE);
  }

  private static void closeQuietly(Client c) {
    try {
      c.client().close();
    } catch (RuntimeException e) {
      log.warn("Closing the broker client for {} failed: {}", c.url(), e.toString());
    }
  }

  /** Closes every client; publishes still waiting for an acknowledgement are given up. */
  @Override
  public synchronized void close() {
    closed = true;
    clients.values().forEach(BrokerDestinations::closeQuietly);
    clients.clear();
  }
}
