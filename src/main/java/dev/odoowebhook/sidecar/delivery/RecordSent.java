// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import dev.odoowebhook.sidecar.delivery.DeliveryStore.SentDelivery;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records successful attempts in batches (sql/V9), on a thread of its own. A worker hands over its
 * success ({@link #submit}) and goes on with its next delivery; whatever arrives while one batch is
 * being written goes into the next. Under a light load a batch is a single delivery (nothing waits
 * for company); under a heavy one, one round trip and one commit serve many deliveries. The answer
 * comes as a future, completed on this thread once the batch is written.
 *
 * <p>A delivery the batch did not record (its row was busy, its lease was lost, it was deleted, the
 * database was away) is the caller's to record with webhook_finish_attempt, which waits for locks,
 * retries, and tells those cases apart.
 *
 * <p>Nothing depends on this thread without a bound: a delivery's answer is false after at most
 * {@link #MAX_WAIT}, and the caller records it itself; while a batch has taken longer than that, or
 * once the thread has stopped, the answer is false at once. An error in a batch is logged with its
 * cause (once, until a batch succeeds again) and the thread goes on; if the thread stops other than
 * by {@link #close()}, that is logged once too, and {@link #isWorking()} says so (for health
 * checks). Thread-safe.
 */
public final class RecordSent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecordSent.class);

  /** Bounds one transaction's row locks and one statement's arrays. */
  static final int MAX_BATCH = 64;

  /** How long a batch under load waits for company, and for how much. */
  private static final Duration LINGER = Duration.ofMillis(2);

  private static final int LINGER_TARGET = MAX_BATCH / 2;

  /**
   * How long a worker waits for its batch at most: a batch takes milliseconds, so this is a
   * recorder that is stuck (a statement that does not return), not one that is busy.
   */
  static final Duration MAX_WAIT = Duration.ofSeconds(5);

  /** Runs before each batch is written; tests make it fail or block. */
  static volatile Runnable beforeBatch = () -> {};

  private final DeliveryStore store;
  private final String sidecarId;
  private final BlockingQueue<Waiting> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private boolean open = true; // guarded by this: nothing is queued once closed

  /** System.nanoTime() when the batch being written started; 0 while none is. */
  private volatile long batchStartedAt;

  private volatile boolean stalledLogged;
  private boolean failing; // only the recording thread
  private int lastBatchSize; // only the recording thread

  private record Waiting(SentDelivery sent, CompletableFuture<Boolean> recorded) {}

  public RecordSent(DeliveryStore store, String sidecarId) {
    this.store = store;
    this.sidecarId = sidecarId;
    this.thread = new Thread(this::run, "webhook-recorder");
    thread.setDaemon(true);
  }

  /** Starts the recording thread; until then (and after {@link #close()}) workers record alone. */
  public void start() {
    thread.start();
  }

  /**
   * Whether the recorder records: its thread runs and no batch has taken longer than {@link
   * #MAX_WAIT}. When it does not, senders record their deliveries themselves (slower, one
   * transaction each, but nothing is lost or stalled).
   */
  public boolean isWorking() {
    long started = batchStartedAt;
    return thread.isAlive() && (started == 0 || System.nanoTime() - started < MAX_WAIT.toNanos());
  }

  /**
   * Queues a delivery's success for the next batch, without waiting. The future completes with true
   * once it is recorded (it is sent now), or with false if the caller must record it itself: the
   * batch left it, the recorder is stopped or stuck, or it has not answered within {@link
   * #MAX_WAIT}. It completes on the recorder's thread (or at once): keep what follows it short.
   */
  CompletableFuture<Boolean> submit(Delivery d, AttemptResult r) {
    Waiting w = new Waiting(new SentDelivery(d, r), new CompletableFuture<>());
    synchronized (this) {
      if (!open || !isWorking()) {
        return CompletableFuture.completedFuture(false);
      }
      queue.add(w);
    }
    // A timeout makes the batch's own answer, if it comes later, a no-op. The batch may then still
    // record the delivery; the caller's own call finds it sent already and reports the lease as
    // lost, and the batch finds it recorded: one attempt row either way.
    return w.recorded
        .orTimeout(MAX_WAIT.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(
            e -> {
              if (!stalledLogged) {
                stalledLogged = true;
                log.error(
                    "The recorder of sent deliveries has not answered within {}; senders record"
                        + " their deliveries themselves until it does.",
                    MAX_WAIT);
              }
              return false;
            });
  }

  private void run() {
    try {
      recordUntilClosed();
    } catch (Throwable t) {
      log.error(
          "The recorder of sent deliveries stopped; senders record their deliveries"
              + " themselves from now on.",
          t);
    } finally {
      synchronized (this) {
        if (open) {
          log.error(
              "The recorder of sent deliveries stopped before the sidecar did; senders"
                  + " record their deliveries themselves from now on.");
        }
      }
      // Nothing is recorded here any more: the workers record what is left themselves.
      Waiting w;
      while ((w = queue.poll()) != null) {
        w.recorded.complete(false);
      }
    }
  }

  private void recordUntilClosed() {
    List<Waiting> batch = new ArrayList<>(MAX_BATCH);
    while (true) {
      dev.odoowebhook.sidecar.metrics.LoopLiveness.alive(this); // /health fails when this stops
      Waiting first;
      try {
        first = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (first == null) {
        synchronized (this) {
          if (!open && queue.isEmpty()) {
            return;
          }
        }
        continue;
      }
      batch.add(first);
      queue.drainTo(batch, MAX_BATCH - 1);
      if (lastBatchSize > 1) {
        lingerForMore(batch);
      }
      lastBatchSize = batch.size();
      batchStartedAt = System.nanoTime();
      try {
        write(batch);
      } catch (Throwable t) {
        // The loop's edge: an error in one batch never ends the recorder. Its deliveries are
        // recorded by their workers.
        if (!failing) {
          failing = true;
          log.error(
              "Recording {} sent deliveries failed inside the sidecar; their senders record"
                  + " them one by one. Logged once until a batch succeeds.",
              batch.size(),
              t);
        }
        batch.forEach(w -> w.recorded.complete(false));
      } finally {
        batchStartedAt = 0;
        batch.clear();
      }
    }
  }

  /**
   * Under load (the last batch had company), waits up to {@link #LINGER} for the batch to fill to
   * {@link #LINGER_TARGET}: a batch's fixed cost dominates (measured: 160 successes took 2 to 5
   * times as long in batches of 8 as in batches of 32). Nobody waits for it: the senders went on
   * after handing their successes over, and the receivers have had their requests. Under a trickle
   * every success is recorded at once.
   */
  private void lingerForMore(List<Waiting> batch) {
    long deadline = System.nanoTime() + LINGER.toNanos();
    long left;
    while (batch.size() < LINGER_TARGET && (left = deadline - System.nanoTime()) > 0) {
      Waiting w;
      try {
        w = queue.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (w == null) {
        return;
      }
      batch.add(w);
      queue.drainTo(batch, MAX_BATCH - batch.size());
    }
  }

  private void write(List<Waiting> batch) {
    beforeBatch.run();
    Set<Long> done;
    try {
      done = store.finishSent(sidecarId, batch.stream().map(Waiting::sent).toList());
      if (failing || stalledLogged) {
        failing = false;
        stalledLogged = false;
        log.info("The recorder of sent deliveries records again.");
      }
    } catch (SQLException | RuntimeException e) {
      // Each worker records its own delivery instead, with retries over a database outage.
      log.debug(
          "Recording {} sent deliveries together failed ({}); recording them one by one.",
          batch.size(),
          e.toString());
      done = Set.of();
    }
    for (Waiting w : batch) {
      w.recorded.complete(done.contains(w.sent.delivery().id()));
    }
  }

  /** Records what is queued, then stops; later deliveries are recorded by their workers. */
  @Override
  public void close() {
    synchronized (this) {
      open = false;
    }
    if (!thread.isAlive()) {
      return; // never started
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      thread.interrupt();
    }
  }
}
