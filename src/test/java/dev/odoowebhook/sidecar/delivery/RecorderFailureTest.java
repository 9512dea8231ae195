// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.PipelineTest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Workers never wait without a bound on the thread that records sent deliveries in batches. */
class RecorderFailureTest extends PipelineTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @AfterEach
  void restoreRecorder() {
    RecordSent.beforeBatch = () -> {};
  }

  @Test
  void shouldStillSendEveryDeliveryAfterTheRecorderDied() {
    AtomicBoolean killed = new AtomicBoolean();
    RecordSent.beforeBatch =
        () -> {
          if (killed.compareAndSet(false, true)) {
            throw new OutOfMemoryError("the recorder dies (test)");
          }
        };
    p.subscribe("crm", "", "");
    p.startSidecar(Map.of());
    for (int i = 0; i < 10; i++) {
      p.partner("partner " + i);
    }
    p.awaitStatus(10, "sent", WAIT);
    assertEquals(true, killed.get(), "the recorder was made to die");
    assertEquals(10, p.db.count("SELECT count(*) FROM webhook_attempt WHERE status_code = 200"));
  }

  @Test
  void shouldStillSendEveryDeliveryWhileTheRecorderIsStuck() {
    CountDownLatch never = new CountDownLatch(1);
    RecordSent.beforeBatch =
        () -> {
          try {
            never.await(); // a statement that never returns
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    try {
      p.subscribe("crm", "", "");
      p.startSidecar(Map.of());
      for (int i = 0; i < 10; i++) {
        p.partner("partner " + i);
      }
      p.awaitStatus(10, "sent", WAIT);
      assertEquals(10, p.db.count("SELECT count(*) FROM webhook_attempt WHERE status_code = 200"));
    } finally {
      never.countDown();
    }
  }

  @Test
  void shouldClaimAtMostTwiceTheWorkersWhileOutcomesAwaitRecording() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    RecordSent.beforeBatch =
        () -> {
          try {
            release.await(); // the recorder is slow: sent deliveries wait to be recorded
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    try {
      p.subscribe("crm", "max_concurrency", "32");
      p.startSidecar(Map.of("WEBHOOK_WORKERS", "2"));
      for (int i = 0; i < 10; i++) {
        p.partner("partner " + i);
      }
      // Well within RecordSent.MAX_WAIT, after which senders would record for themselves.
      long most = 0;
      long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < until) {
        most =
            Math.max(
                most,
                p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'processing'"));
        Thread.sleep(20);
      }
      assertEquals(
          4, most, "2 workers: 2 sending and 2 awaiting recording at most, and no more claimed");
      assertTrue(p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'pending'") >= 6);
    } finally {
      release.countDown();
    }
    p.awaitStatus(10, "sent", WAIT);
  }
}
