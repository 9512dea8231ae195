// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.route;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The router's pause while a writer that skipped its NOTIFY is open: 1 ms for a lone writer
 * (latency), doubling while writers stay open pass after pass (few passes under load).
 */
class WriterPauseTest {
  private static Duration ms(long ms) {
    return Duration.ofMillis(ms);
  }

  @Test
  void shouldLookAgainAfterOneMillisecondForALoneWriter() {
    WriterPause pause = new WriterPause();
    assertEquals(ms(1), pause.writerOpen(1));
    pause.otherwise(); // its event came and the router went back to waiting
    assertEquals(ms(1), pause.writerOpen(0), "the next lone writer: 1 ms again");
  }

  @Test
  void shouldBatchEveryTenMillisecondsWhileWritersStayBusyAndEventsCome() {
    WriterPause pause = new WriterPause();
    assertEquals(ms(1), pause.writerOpen(3));
    assertEquals(ms(2), pause.writerOpen(3));
    assertEquals(ms(4), pause.writerOpen(5));
    assertEquals(ms(8), pause.writerOpen(10));
    for (int i = 0; i < 20; i++) {
      assertEquals(ms(10), pause.writerOpen(30), "pass " + i + " of a stream of writes");
    }
  }

  @Test
  void shouldBackOffToFortyMillisecondsWhileALongTransactionStaysOpen() {
    WriterPause pause = new WriterPause();
    for (long expected : new long[] {1, 2, 4, 8, 16, 32, 40, 40}) {
      assertEquals(ms(expected), pause.writerOpen(0));
    }
    assertEquals(ms(10), pause.writerOpen(5), "events came: at most 10 ms");
  }
}
