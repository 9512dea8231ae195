// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import dev.failsafe.BulkheadFullException;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.RateLimitExceededException;
import dev.failsafe.RetryPolicy;
import dev.odoowebhook.sidecar.metrics.SidecarMetrics;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one claimed delivery: renders and signs the body, posts it through the subscriber's
 * Failsafe policies, and records the outcome. A call the policies refuse (breaker open, too many in
 * flight, over the rate limit) gives the delivery back without counting an attempt.
 *
 * <p>Anything else that stops the request from going out (a record that cannot be read, a body too
 * large, a URL that cannot be parsed or is refused, a secret that cannot sign, a failure inside the
 * sidecar) is an attempt like a failed request: recorded with its error type, it follows the
 * subscriber's schedule to dead instead of leaving the delivery in processing. Thread-safe; runs on
 * the dispatcher's worker threads.
 */
public final class SendDelivery {
  private static final Logger log = LoggerFactory.getLogger(SendDelivery.class);
  private static final Duration REFUSED_RETRY = Duration.ofMillis(250);
  private static final CompletableFuture<Boolean> SENT = CompletableFuture.completedFuture(true);
  private static final CompletableFuture<Boolean> NOT_SENT =
      CompletableFuture.completedFuture(false);

  /** Threads that record what a batch left; each may wait on a row lock or a database outage. */
  private static final int RECORD_ALONE_THREADS = 8;

  /** Recording an outcome outlives a short database outage; after that the lease resends. */
  private static final RetryPolicy<Object> RECORD_RETRY =
      RetryPolicy.builder()
          .handle(SQLException.class)
          .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(5))
          .withMaxDuration(Duration.ofSeconds(60))
          .withMaxRetries(-1)
          .build();

  private final SubscriberDirectory subscribers;
  private final DeliveryStore store;
  private final RecordSent recordSent;
  private final PostWebhook http;

  /** kafka:// and nats:// subscribers (delivery.broker, issue 23); null sends HTTP only. */
  private final Destination brokers;

  private final SidecarMetrics metrics;
  private final String sidecarId;
  private final boolean logEachOutcome;

  /**
   * Records the successes a batch left, one by one. Rare (a row busy, a lease lost, the database
   * away); the dispatcher bounds how many deliveries await recording, and so this queue.
   */
  private final ExecutorService recordAlone;

  public SendDelivery(
      SubscriberDirectory subscribers,
      DeliveryStore store,
      RecordSent recordSent,
      PostWebhook http,
      SidecarMetrics metrics,
      String sidecarId,
      boolean logEachOutcome) {
    this(subscribers, store, recordSent, http, null, metrics, sidecarId, logEachOutcome);
  }

  /** With broker destinations (issue 23): a subscriber whose URL they handle is published to. */
  public SendDelivery(
      SubscriberDirectory subscribers,
      DeliveryStore store,
      RecordSent recordSent,
      PostWebhook http,
      Destination brokers,
      SidecarMetrics metrics,
      String sidecarId,
      boolean logEachOutcome) {
    this.subscribers = subscribers;
    this.store = store;
    this.recordSent = recordSent;
    this.http = http;
    this.brokers = brokers;
    this.metrics = metrics;
    this.sidecarId = sidecarId;
    this.logEachOutcome = logEachOutcome;
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            RECORD_ALONE_THREADS,
            RECORD_ALONE_THREADS,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "webhook-record-alone");
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true); // no threads while every batch records all it is given
    this.recordAlone = pool;
  }

  /**
   * Sends one delivery and has its outcome recorded. Returns once the request is over; the future
   * completes once the outcome is recorded, with true if the delivery was recorded as sent and
   * false for any other outcome (failed, dead, given back, lease lost, deleted), each of which may
   * have changed when some delivery is next due. A success is recorded in a batch ({@link
   * RecordSent}), so the caller's thread is free for the next delivery meanwhile; anything else is
   * recorded before this returns.
   */
  CompletableFuture<Boolean> send(Delivery d) throws SQLException {
    SubscriberDirectory.Entry entry = subscribers.get(d.subscriberId());
    if (entry == null) {
      // Deleted subscriber: its deliveries went with it (ON DELETE CASCADE).
      return NOT_SENT;
    }
    Subscriber s = entry.subscriber();
    AttemptResult result = null;
    byte[] body = null;
    try {
      body = Payload.render(withRecordIfWanted(d, s), s.payload());
    } catch (SQLException e) {
      result =
          AttemptResult.failure(
              Instant.now(),
              0,
              ErrorType.RECORD_UNREADABLE,
              "The record could not be read for the payload: " + e.getMessage());
    } catch (RuntimeException e) {
      result = internalFailure("The body could not be made", e);
    }
    String secretProblem =
        s.signingSecrets(Instant.now()).stream()
            .map(WebhookSigner::problemWith)
            .filter(java.util.Objects::nonNull)
            .findFirst()
            .orElse(null);
    if (result == null && secretProblem != null) {
      result =
          AttemptResult.failure(
              Instant.now(),
              0,
              ErrorType.INTERNAL,
              "The subscriber's secret"
                  + " cannot sign: "
                  + secretProblem
                  + "; set a valid one (subscriber rotate-secret) and replay.");
    }
    if (body != null && body.length > Payload.MAX_BYTES) {
      result =
          new AttemptResult(
              Instant.now(),
              0,
              null,
              ErrorType.PAYLOAD_TOO_LARGE,
              "The body would be "
                  + body.length
                  + " bytes, more than "
                  + Payload.MAX_BYTES
                  + "; send fewer record fields.",
              null,
              null,
              true);
    }
    if (result != null) {
      return record(d, s, result);
    }
    byte[] signed = body;
    try {
      // Issue 23 hook, the one dispatch point: a broker URL publishes, anything else posts.
      result =
          entry
              .executor()
              .get(
                  () ->
                      timed(
                          () ->
                              brokers != null && brokers.handles(s.url())
                                  ? brokers.send(s, d, signed, s.timeout(), Instant.now())
                                  : http.post(
                                      s, d.messageId(), signed, s.timeout(), Instant.now())));
    } catch (CircuitBreakerOpenException e) {
      // Half-open lets one trial through and refuses the rest with no delay left: wait a little.
      Duration wait = entry.breaker().getRemainingDelay();
      giveBack(
          d,
          wait.compareTo(REFUSED_RETRY) < 0 ? REFUSED_RETRY : wait,
          "its circuit breaker is open");
      return NOT_SENT;
    } catch (BulkheadFullException | RateLimitExceededException e) {
      giveBack(d, REFUSED_RETRY, "it is at its concurrency or rate limit");
      return NOT_SENT;
    } catch (RuntimeException e) {
      // The request could not even be made (post() answers every failure of the receiver).
      result = internalFailure("The request could not be made", e);
    }
    if (result.errorType() == ErrorType.INTERRUPTED) {
      giveBack(d, Duration.ZERO, "the sidecar is stopping");
      return NOT_SENT;
    }
    return record(d, s, result);
  }

  /** Counts and records an attempt; the future says whether the delivery is sent now. */
  private CompletableFuture<Boolean> record(Delivery d, Subscriber s, AttemptResult result) {
    metrics.attempts.inc();
    if (!result.success()) {
      // A failure may merge newer news into the delivery: recorded one by one, at once.
      return CompletableFuture.completedFuture(recordByItself(d, s, result));
    }
    // Successes are recorded in batches; anything the batch left is recorded one by one, on a
    // thread of its own (never the recorder's, which a wait for a row lock would hold up).
    return recordSent
        .submit(d, result)
        .thenCompose(
            recorded -> {
              if (!recorded) {
                return CompletableFuture.supplyAsync(
                    () -> recordByItself(d, s, result), recordAlone);
              }
              count(d, s, result, AttemptOutcome.SENT);
              return SENT;
            });
  }

  /** Records an attempt with webhook_finish_attempt (retrying over a database outage). */
  private boolean recordByItself(Delivery d, Subscriber s, AttemptResult result) {
    AttemptOutcome outcome =
        Failsafe.with(RECORD_RETRY).get(() -> store.finish(d, sidecarId, result));
    count(d, s, result, outcome);
    return outcome == AttemptOutcome.SENT;
  }

  private static AttemptResult internalFailure(String what, RuntimeException e) {
    Throwable cause =
        e instanceof dev.failsafe.FailsafeException && e.getCause() != null ? e.getCause() : e;
    log.error("{} inside the sidecar; recorded as an attempt of error type internal.", what, cause);
    return AttemptResult.failure(Instant.now(), 0, ErrorType.INTERNAL, what + ": " + cause);
  }

  /**
   * For payload record, the delivery with its record as it is now; for an unlink, the values the
   * record had when it was deleted.
   */
  private Delivery withRecordIfWanted(Delivery d, Subscriber s) throws SQLException {
    if (s.payload() != PayloadMode.RECORD || d.record() != null) {
      return d; // not wanted, or read already with the rest of its claim (ReadRecords)
    }
    if ("unlink".equals(d.event())) {
      return d.withRecord(store.lastValues(d.lastEventId()));
    }
    return d.withRecord(store.readRecord(d.model(), s.recordFields(), d.recordId()));
  }

  private AttemptResult timed(java.util.function.Supplier<AttemptResult> call) {
    com.codahale.metrics.Timer.Context timing = metrics.httpDuration.time();
    try {
      return call.get();
    } finally {
      timing.stop();
    }
  }

  private void giveBack(Delivery d, Duration after, String why) throws SQLException {
    metrics.deliveriesReleased.inc();
    store.release(d.id(), sidecarId, Instant.now().plus(after));
    log.debug(
        "Delivery {} given back for {}: subscriber {} {}.", d.id(), after, d.subscriberId(), why);
  }

  private void count(Delivery d, Subscriber s, AttemptResult r, AttemptOutcome outcome) {
    switch (outcome) {
      case SENT:
        metrics.deliveriesSent.inc();
        metrics.deliveryLatency.update(Duration.between(d.firstCapturedAt(), Instant.now()));
        if (logEachOutcome) {
          log.info(
              "Delivery {} sent to subscriber {} ({}): {} {} #{}, HTTP {} in {} ms.",
              d.id(),
              s.id(),
              s.name(),
              d.model(),
              d.event(),
              d.recordId(),
              r.statusCode(),
              r.durationMs());
        }
        break;
      case DELETED:
        log.info(
            "Delivery {}: its subscriber {} was deleted while it was being sent.", d.id(), s.id());
        break;
      case LEASE_LOST:
        metrics.leaseLost.inc();
        log.warn(
            "Delivery {} to subscriber {} ({}): the lease ran out before the outcome was"
                + " recorded, another sidecar took it over; raise WEBHOOK_LEASE if this repeats.",
            d.id(),
            s.id(),
            s.name());
        break;
      default: // FAILED or DEAD
        if (outcome == AttemptOutcome.DEAD) {
          metrics.deliveriesDead.inc();
        } else {
          metrics.deliveriesFailed.inc();
        }
        log.warn(
            "Delivery {} to subscriber {} ({}) {}: attempt {} {} ({}).",
            d.id(),
            s.id(),
            s.name(),
            outcome == AttemptOutcome.DEAD ? "is dead, replay it by hand" : "failed, will retry",
            d.attempts(),
            r.errorType().sqlName(),
            r.errorMessage());
    }
  }
}
