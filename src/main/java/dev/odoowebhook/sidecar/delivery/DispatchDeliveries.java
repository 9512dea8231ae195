// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import dev.odoowebhook.sidecar.capture.Wakeup;
import dev.odoowebhook.sidecar.metrics.SidecarMetrics;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatcher loop: claims due deliveries (as many as it has free workers) and hands each to a
 * worker that sends it. It wakes when the router made deliveries, when a worker frees up, when the
 * next retry is due, and at least every poll interval (other sidecars' work).
 *
 * <p>Fair share: a subscriber never has more requests in flight than the smaller of its
 * max_concurrency and the workers divided by the active subscribers ({@link
 * SubscriberDirectory#fairShare}), so one whose endpoint hangs until its timeout cannot hold the
 * workers the others need.
 *
 * <p>Leases: while a delivery's request runs (and its outcome is being recorded), its lease is
 * renewed every third of WEBHOOK_LEASE, all of them in one statement, so lease recovery (this
 * sidecar's or another's) never re-queues a delivery still in flight, whatever the lease and the
 * subscriber's timeout (invariant 3). Renewal stops after {@link #MAX_RENEWAL}: a worker still busy
 * then is stuck, and its delivery is left to lease recovery.
 *
 * <p>A worker is free again as soon as its request is over: a success is recorded in a batch
 * ({@link RecordSent}) while the worker sends the next delivery, and stays claimed, with its lease
 * renewed, until it is. At most twice as many deliveries as there are workers are claimed and not
 * yet recorded (as many as there are workers sending, as many again awaiting recording); beyond
 * that nothing more is claimed until some are recorded, so memory and rows in flight stay bounded.
 *
 * <p>Stopping: {@link #stopClaiming()} ends claiming; {@link #drain(Duration)} waits for the
 * workers and the recording of their outcomes, and gives back, without counting an attempt,
 * whatever did not finish in time.
 */
public final class DispatchDeliveries implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(DispatchDeliveries.class);

  /** Shortest pause when work is due but blocked (its record has a delivery in flight). */
  private static final Duration MIN_PAUSE = Duration.ofMillis(25);

  /** How long a claim waits for more workers to free up, so claims come in batches. */
  private static final Duration BATCH_PAUSE = Duration.ofMillis(3);

  /**
   * How long the lease of one delivery is renewed at most: longer than the longest request (a
   * subscriber's timeout is at most 5 minutes) and the recording's own retries (1 minute).
   */
  static final Duration MAX_RENEWAL = Duration.ofMinutes(10);

  private static final Duration MIN_RENEWAL_EVERY = Duration.ofMillis(10);

  private static final CompletableFuture<Boolean> NOT_SENT =
      CompletableFuture.completedFuture(false);

  /** How the dispatcher works: its name in leases, its workers, its lease, its fallback poll. */
  public record Settings(String sidecarId, int workers, Duration lease, Duration pollInterval) {}

  private final DeliveryStore store;
  private final ReadRecords readRecords;
  private final SubscriberDirectory subscribers;
  private final SendDelivery sender;
  private final PostWebhook http;
  private final Wakeup wakeup;
  private final SidecarMetrics metrics;
  private final String sidecarId;
  private final int workers;
  private final Duration lease;
  private final Duration pollInterval;
  private final ExecutorService pool;

  /** Deliveries a worker holds: claimed and handed to a worker, request not over yet. */
  private final AtomicInteger inFlight = new AtomicInteger();

  /**
   * Every delivery claimed and not yet recorded, with when it was claimed: its lease is renewed.
   * Guarded by itself, as is {@link #sending}.
   */
  private final Map<Delivery, Instant> running = new LinkedHashMap<>();

  /**
   * The deliveries of {@link #running} a worker holds: how many requests each subscriber has in
   * flight from this sidecar (its fair share counts these, not those awaiting recording).
   */
  private final Set<Delivery> sending = new HashSet<>();

  /** Renews the leases of what runs; its thread starts with the first renewal. */
  private final ScheduledExecutorService renewer;

  private boolean renewalFailing; // only the renewer's thread
  private volatile boolean claiming = true;

  /**
   * When the next delivery is due, as last read (null: none waits), and when it was read. Read
   * again when a worker's outcome was anything but sent (a failure schedules a retry), when that
   * time is near, and at least every poll interval (other sidecars' failures); a success or a newly
   * routed delivery changes nothing here. Without this, every delivery under a trickle cost two
   * more round trips: one after its claim and one after it was sent.
   */
  private Instant nextDueAt;

  private Instant nextDueReadAt = Instant.MIN;

  /** The subscribers nextDueAt was read for: those that could take more work then. */
  private Set<Long> nextDueReadFor = Set.of();

  private volatile boolean scheduleChanged = true;

  /**
   * True while the end of a request or of its recording may let the dispatcher claim more: it waits
   * for a free worker, for room under the bound of claimed deliveries not yet recorded, for a
   * subscriber's share, or for a delivery in flight whose record has its next one due. Only then do
   * those ends wake it: under a trickle each woke it for a claim that found nothing (about 2.1
   * claims per delivery at 200 events/s instead of 1). Set before the capacity is read, so that a
   * worker finishing meanwhile sees it (both are volatile).
   */
  private volatile boolean waitingForCapacity = true;

  /**
   * @param http the client {@code sender} posts with: {@link #drain} closes it to end the requests
   *     it abandons
   * @param wakeup signalled by the router when it made deliveries
   */
  public DispatchDeliveries(
      DeliveryStore store,
      SendDelivery sender,
      PostWebhook http,
      SubscriberDirectory subscribers,
      Wakeup wakeup,
      SidecarMetrics metrics,
      Settings settings) {
    this.store = store;
    this.readRecords = new ReadRecords(store, subscribers);
    this.sender = sender;
    this.http = http;
    this.subscribers = subscribers;
    this.wakeup = wakeup;
    this.metrics = metrics;
    this.sidecarId = settings.sidecarId();
    this.workers = settings.workers();
    this.lease = settings.lease();
    this.pollInterval = settings.pollInterval();
    this.pool =
        Executors.newFixedThreadPool(
            workers,
            r -> {
              Thread t = new Thread(r, "webhook-sender");
              t.setDaemon(true);
              return t;
            });
    this.renewer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "webhook-lease-renewer");
              t.setDaemon(true);
              return t;
            });
  }

  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public void run() {
    scheduleLeaseRenewal();
    while (claiming) {
      dev.odoowebhook.sidecar.metrics.LoopLiveness.alive(this); // /health fails when this stops
      try {
        Duration pause = claimAndSend();
        if (pause != null) {
          wakeup.await(pause);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Throwable t) {
        // The loop must outlive any error (a database restart, a bug): log, count, go on.
        metrics.loopErrors.inc();
        log.error("Dispatching failed: {}; retrying in {}.", t.toString(), pollInterval);
        sleepQuietly(pollInterval);
      }
    }
  }

  /** One round; returns how long to wait before the next, or null to go on at once. */
  private Duration claimAndSend() throws SQLException {
    waitingForCapacity = true;
    int free = freeWorkers();
    if (free <= 0) {
      return pollInterval; // a finishing worker or a recorded outcome signals the wakeup
    }
    // Claim in batches: a claim costs about as much for 8 deliveries as for 32 (its fixed part
    // dominates), and one per finished delivery would cost a transaction each. While half the
    // workers or more are busy, give more of them a moment to free up.
    free = freeWorkersAfterBatchPause(free);
    Map<Long, Integer> bySubscriber = new HashMap<>();
    int unfinished;
    synchronized (running) {
      sending.forEach(d -> bySubscriber.merge(d.subscriberId(), 1, Integer::sum));
      unfinished = running.size();
    }
    Map<Long, Integer> slots = subscribers.freeSlots(bySubscriber, workers);
    if (slots.isEmpty()) {
      return pollInterval; // a finishing worker or a new subscriber wakes it earlier
    }
    int wanted = Math.min(free, slots.values().stream().mapToInt(Integer::intValue).sum());
    metrics.claims.inc();
    List<Delivery> claimed = readRecords.attach(store.claim(sidecarId, free, lease, slots));
    for (Delivery d : claimed) {
      start(d);
    }
    if (claimed.size() >= wanted) {
      return null; // a full batch: more may be due, look again before asking when the next one is
    }
    // Fewer than asked for: nothing else could be claimed as of this claim. The end of a request or
    // of its recording may still let more be claimed if one claimed before is unfinished (a
    // record's next delivery waits for the one in flight, a subscriber at its share for its
    // requests), or if a subscriber got all the room it had (more of its deliveries may be due).
    waitingForCapacity = unfinished > 0 || anyGotAllItsRoom(claimed, slots);
    Duration due = nextDueIn(slots.keySet());
    if (due == null || due.compareTo(pollInterval) > 0) {
      return pollInterval;
    }
    return due.compareTo(MIN_PAUSE) < 0 ? MIN_PAUSE : due;
  }

  private static boolean anyGotAllItsRoom(List<Delivery> claimed, Map<Long, Integer> slots) {
    Map<Long, Integer> got = new HashMap<>();
    claimed.forEach(d -> got.merge(d.subscriberId(), 1, Integer::sum));
    return got.entrySet().stream().anyMatch(e -> e.getValue() >= slots.get(e.getKey()));
  }

  /**
   * How long until the next delivery of one of {@code claimable} is due, or null if none waits;
   * read when it may have changed. Only subscribers that can take more work count: the due backlog
   * of one at its share or its concurrency waits for one of its workers to finish (which wakes the
   * dispatcher), not for a pause of a few milliseconds that finds it blocked again.
   */
  private Duration nextDueIn(Set<Long> claimable) throws SQLException {
    Instant now = Instant.now();
    boolean near = nextDueAt != null && nextDueAt.isBefore(now.plus(MIN_PAUSE));
    if (scheduleChanged
        || near
        || !claimable.equals(nextDueReadFor)
        || now.isAfter(nextDueReadAt.plus(pollInterval))) {
      scheduleChanged = false; // before reading: a change during the read is not lost
      Duration due = store.nextDueIn(claimable);
      nextDueReadFor = Set.copyOf(claimable);
      nextDueReadAt = now;
      nextDueAt = due == null ? null : now.plus(due);
      return due;
    }
    return nextDueAt == null ? null : Duration.between(now, nextDueAt);
  }

  /**
   * How many more deliveries may be claimed now: a worker must be free for each, and at most twice
   * {@link #workers} may be claimed and not yet recorded. (Counting those against the workers
   * capped each claim at what one recording batch had not yet written, about 20 of 32 while a
   * backlog drained: the dispatcher then went round more often for fewer deliveries.)
   */
  private int freeWorkers() {
    int claimedNotRecorded;
    synchronized (running) {
      claimedNotRecorded = running.size();
    }
    return Math.min(workers - inFlight.get(), 2 * workers - claimedNotRecorded);
  }

  /**
   * While fewer than half the workers are free and some are busy, waits for more of them, at most
   * {@link #BATCH_PAUSE}; the free workers then (never fewer than {@code free}: while the
   * dispatcher waits, nothing is claimed, so workers and recorded outcomes only free up). A
   * finishing worker signals the wakeup, so this ends as soon as the batch is in: against a fast
   * receiver the whole batch is over in about a millisecond, and a fixed pause left the workers
   * idle for the rest of it (a backlog drained at 4,300/s with the 32 workers waiting for work 94%
   * of the time, the dispatcher asleep in the pause a third of its time).
   */
  private int freeWorkersAfterBatchPause(int free) {
    long until = System.nanoTime() + BATCH_PAUSE.toNanos();
    long left;
    while (free < Math.max(1, workers / 2)
        && inFlight.get() > 0
        && (left = until - System.nanoTime()) > 0) {
      try {
        wakeup.await(Duration.ofNanos(left));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      free = freeWorkers();
    }
    return free;
  }

  private void start(Delivery d) {
    inFlight.incrementAndGet();
    synchronized (running) {
      running.put(d, Instant.now());
      sending.add(d);
    }
    pool.execute(
        () -> {
          CompletableFuture<Boolean> recorded = NOT_SENT;
          try {
            recorded = sender.send(d);
          } catch (Throwable t) {
            failedInside(d, t);
          } finally {
            synchronized (running) {
              sending.remove(d);
            }
            inFlight.decrementAndGet();
            if (waitingForCapacity) {
              wakeup.signal(); // a worker is free
            }
          }
          recorded.whenComplete((sent, error) -> finished(d, sent, error));
        });
  }

  /** The end of a delivery here: its outcome is recorded (or left to its lease). */
  private void finished(Delivery d, Boolean sent, Throwable error) {
    if (error != null) {
      failedInside(d, error);
    }
    // Any outcome but sent (failed, dead, given back, lease lost) may change when one is next due.
    boolean scheduleMayHaveChanged = !Boolean.TRUE.equals(sent);
    if (scheduleMayHaveChanged) {
      scheduleChanged = true;
    }
    synchronized (running) {
      running.remove(d);
      running.notifyAll(); // drain() waits for running to empty
    }
    if (scheduleMayHaveChanged || waitingForCapacity) {
      wakeup.signal();
    }
  }

  private void failedInside(Delivery d, Throwable t) {
    metrics.loopErrors.inc();
    log.error(
        "Delivery {} to subscriber {}: sending failed inside the sidecar; its lease"
            + " will expire and it will be sent again.",
        d.id(),
        d.subscriberId(),
        t);
  }

  public void stopClaiming() {
    claiming = false;
    wakeup.signal();
  }

  /**
   * Waits up to {@code grace} for in-flight deliveries, then gives back the rest (their requests
   * are abandoned; the receiver may still get them once more later: at-least-once).
   */
  public void drain(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    pool.shutdown();
    try {
      if (!pool.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)
          || !recordedBy(deadline)) {
        List<Delivery> unfinished;
        synchronized (running) {
          unfinished = new ArrayList<>(running.keySet());
        }
        // Give back first: a worker recording afterwards then finds its lease gone.
        for (Delivery d : unfinished) {
          try {
            store.release(d.id(), sidecarId, Instant.now());
            log.info(
                "Delivery {} did not finish within {}: given back to the queue.", d.id(), grace);
          } catch (SQLException e) {
            log.warn(
                "Delivery {} could not be given back ({}); its lease will expire instead.",
                d.id(),
                e.getMessage());
          }
        }
        http.close(); // ends the abandoned requests: their workers see "interrupted"
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      renewer.shutdownNow();
      http.close();
    }
  }

  /** Waits until every outcome is recorded, at most until {@code deadline}; whether they were. */
  private boolean recordedBy(long deadline) throws InterruptedException {
    synchronized (running) {
      long left;
      while (!running.isEmpty() && (left = deadline - System.nanoTime()) > 0) {
        TimeUnit.NANOSECONDS.timedWait(running, left);
      }
      return running.isEmpty();
    }
  }

  private void scheduleLeaseRenewal() {
    Duration every = lease.dividedBy(3);
    if (every.compareTo(MIN_RENEWAL_EVERY) < 0) {
      every = MIN_RENEWAL_EVERY;
    }
    renewer.scheduleWithFixedDelay(
        this::renewLeases, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    log.info(
        "Leases of deliveries in flight ({}) are renewed every {} ms while their requests run.",
        lease,
        every.toMillis());
  }

  /** Extends the leases of the deliveries this sidecar is still sending, in one statement. */
  private void renewLeases() {
    Instant stuckBefore = Instant.now().minus(MAX_RENEWAL);
    List<Long> ids = new ArrayList<>();
    synchronized (running) {
      running.forEach(
          (d, claimedAt) -> {
            if (claimedAt.isAfter(stuckBefore)) {
              ids.add(d.id());
            }
          });
    }
    if (ids.isEmpty()) {
      return;
    }
    try {
      store.renewLeases(sidecarId, ids, lease);
      if (renewalFailing) {
        renewalFailing = false;
        log.info("Renewing leases works again.");
      }
    } catch (Throwable t) {
      // Runs on a scheduler: an exception would cancel every later renewal.
      metrics.loopErrors.inc();
      if (!renewalFailing) {
        renewalFailing = true;
        log.warn(
            "Renewing the leases of {} deliveries in flight failed; they expire after {} unless a"
                + " later renewal succeeds, and may then be sent again.",
            ids.size(),
            lease,
            t);
      }
    }
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
