// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The device cursor (routed_seq) never skips nor repeats an event, although event ids commit out of
 * order: a lower id can commit after a higher one was already pulled.
 */
class CursorTest extends PullTestBase {
  private static final Map<String, Object> PARTNERS = Map.of("models", List.of("res.partner"));

  @Test
  void shouldNotSkipAnEventWhoseTransactionCommitsAfterALaterOnePulled() throws Exception {
    PullApi api = new PullApi(startPull(Map.of()), token("app", "res.partner"));
    assertEquals(List.of(), pullAndAck(api, "tablet-1", PARTNERS));
    try (Connection slow = p.db.connect()) {
      slow.setAutoCommit(false);
      long slowId;
      try (PreparedStatement ps =
              slow.prepareStatement("INSERT INTO res_partner (name) VALUES ('slow') RETURNING id");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        slowId = rs.getLong(1);
      }
      long fastId = p.partner("fast"); // a higher event id, committed first
      awaitRouted();
      List<JsonNode> first = pullAndAck(api, "tablet-1", PARTNERS);
      assertEquals("res.partner/" + fastId + ":create", describe(first));
      slow.commit();
      awaitRouted();
      List<JsonNode> second = pullAndAck(api, "tablet-1", PARTNERS);
      assertEquals(
          "res.partner/" + slowId + ":create",
          describe(second),
          "the event with the lower id, committed later, is not skipped");
      assertTrue(
          p.db.count("SELECT min(id) FROM webhook_event WHERE record_id = ?", slowId)
              < p.db.count("SELECT min(id) FROM webhook_event WHERE record_id = ?", fastId));
    }
    assertEquals(List.of(), pullAndAck(api, "tablet-1", PARTNERS));
  }

  @Test
  void shouldNeverSkipOrRepeatAnEventUnderConcurrentWriters() throws Exception {
    PullApi api = new PullApi(startPull(Map.of()), token("app", "res.partner"));
    pullAndAck(api, "phone-1", PARTNERS);
    int writers = 6;
    int perWriter = 60;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<List<Long>>> written = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int seed = w;
      written.add(pool.submit(() -> write(seed, perWriter)));
    }
    List<Long> seen = new ArrayList<>();
    List<Long> seqs = new ArrayList<>();
    AtomicBoolean done = new AtomicBoolean(false);
    pool.shutdown();
    // Pull in small pages while the writers write, until they are done and nothing is left.
    while (true) {
      boolean writersDone = pool.awaitTermination(5, TimeUnit.MILLISECONDS);
      if (writersDone && !done.get()) {
        done.set(true);
        awaitRouted();
        continue; // one more round after the last event was routed
      }
      PullApi.Answer a =
          api.post(
              "/v1/devices/phone-1/pull", Map.of("models", List.of("res.partner"), "limit", 7));
      assertEquals(200, a.status(), a.toString());
      for (JsonNode ch : a.body().path("changes")) {
        seen.add(ch.path("record_id").asLong());
        seqs.add(ch.path("seq").asLong());
      }
      assertEquals(
          200,
          api.post(
                  "/v1/devices/phone-1/ack",
                  Map.of("cursor", a.body().path("next_cursor").asLong()))
              .status());
      if (done.get()
          && !a.body().path("has_more").asBoolean()
          && a.body().path("changes").isEmpty()) {
        break;
      }
    }
    Set<Long> expected = new TreeSet<>();
    for (Future<List<Long>> f : written) {
      expected.addAll(f.get());
    }
    assertEquals(writers * perWriter, expected.size());
    assertEquals(expected.size(), seen.size(), "each event exactly once (no repeat)");
    assertEquals(expected, new TreeSet<>(seen), "no event skipped");
    List<Long> sorted = new ArrayList<>(seqs);
    Collections.sort(sorted);
    assertEquals(sorted, seqs, "in routed_seq order");
    long outOfOrder =
        p.db.count(
            "SELECT count(*) FROM (SELECT id < lag(id) OVER (ORDER BY routed_seq) AS back"
                + " FROM webhook_event) x WHERE back");
    assertTrue(
        outOfOrder > 0, "the writers made ids commit out of order, so the test means something");
  }

  /** Inserts partners, each in its own transaction, some held open a little before commit. */
  private static List<Long> write(int seed, int count) throws Exception {
    Random random = new Random(seed);
    List<Long> ids = new ArrayList<>();
    try (Connection c = p.db.connect()) {
      c.setAutoCommit(false);
      for (int i = 0; i < count; i++) {
        try (PreparedStatement ps =
            c.prepareStatement("INSERT INTO res_partner (name) VALUES (?) RETURNING id")) {
          ps.setString(1, "w" + seed + "-" + i);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            ids.add(rs.getLong(1));
          }
        }
        if (random.nextInt(4) == 0) {
          Thread.sleep(random.nextInt(15)); // others commit higher ids meanwhile
        }
        c.commit();
      }
    }
    return ids;
  }
}
