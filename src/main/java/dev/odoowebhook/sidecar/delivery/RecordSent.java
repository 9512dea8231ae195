package dev.odoowebhook.sidecar.delivery;

import dev.odoowebhook.sidecar.delivery.DeliveryStore.SentDelivery;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records successful attempts in batches (sql/V9), on a thread of its own. A worker hands over
 * its success and waits for the answer; whatever arrives while one batch is being written goes
 * into the next. Under a light load a batch is a single delivery (nothing waits for company);
 * under a heavy one, one round trip and one commit serve many deliveries.
 *
 * <p>A delivery the batch did not record (its row was busy, its lease was lost, it was deleted,
 * the database was away) is the worker's to record with webhook_finish_attempt, which waits for
 * locks, retries, and tells those cases apart. Thread-safe.
 */
public final class RecordSent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecordSent.class);
  /** Bounds one transaction's row locks and one statement's arrays. */
  static final int MAX_BATCH = 64;

  private final DeliveryStore store;
  private final String sidecarId;
  private final BlockingQueue<Waiting> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private boolean open = true; // guarded by this: nothing is queued once closed

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
   * Whether the delivery's success was recorded (it is sent now); false if the caller must
   * record it itself. Blocks until its batch is written.
   */
  boolean recorded(Delivery d, AttemptResult r) {
    Waiting w = new Waiting(new SentDelivery(d, r), new CompletableFuture<>());
    synchronized (this) {
      if (!open || !thread.isAlive()) {
        return false;
      }
      queue.add(w);
    }
    try {
      return w.recorded.get();
    } catch (InterruptedException e) {
      // Stopping: the batch may still record it; the caller's own call then finds it sent
      // already and reports the lease as lost, which is what it looks like from here.
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      return false;
    }
  }

  private void run() {
    List<Waiting> batch = new ArrayList<>(MAX_BATCH);
    while (true) {
      dev.odoowebhook.sidecar.metrics.LoopLiveness.alive(this); // /health fails when this stops
      Waiting first;
      try {
        first = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        break;
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
      write(batch);
      batch.clear();
    }
    // Interrupted: nothing is recorded any more; the workers record what is left themselves.
    Waiting w;
    while ((w = queue.poll()) != null) {
      w.recorded.complete(false);
    }
  }

  private void write(List<Waiting> batch) {
    Set<Long> done;
    try {
      done = store.finishSent(sidecarId, batch.stream().map(Waiting::sent).toList());
    } catch (SQLException | RuntimeException e) {
      // Each worker records its own delivery instead, with retries over a database outage.
      log.debug("Recording {} sent deliveries together failed ({}); recording them one by one.",
          batch.size(), e.toString());
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
