// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.SidecarProcess;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;

/**
 * Disk-ish pressure: a backlog of 1,000,000 events written while no sidecar runs, then drained by a
 * sidecar whose heap is capped far below what the backlog would need in memory, with Odoo still
 * writing meanwhile. Nothing may be lost and the process must stay small: the sidecar works in
 * bounded batches, so its memory must not depend on the backlog's size.
 *
 * <p>Not in the default run (minutes): mvn -B test -Dgroups=long -DexcludedGroups=none
 * -Dtest=LargeBacklogTest [-Dbacklog.records=200000 -Dbacklog.edits=5 -Dbacklog.heap=128m]
 */
@Tag("long")
@ExtendWith(MigratedDatabase.class)
class LargeBacklogTest {

  @Test
  void shouldDrainAMillionEventBacklogWithBoundedMemoryAndLoseNothing(TestDatabase db)
      throws Exception {
    int records = Integer.getInteger("backlog.records", 200_000);
    int edits = Integer.getInteger("backlog.edits", 5); // the create, then edits - 1 updates
    String heap = System.getProperty("backlog.heap", "128m");
    int chunk = 50_000;

    try (Receiver receiver = new Receiver()) {
      // 1. The backlog, as Odoo would write it with no sidecar running: creates, then updates
      // of every record, in statements of 50,000 rows.
      db.exec("SELECT webhook_track('res.partner')");
      long t0 = System.nanoTime();
      for (int from = 1; from <= records; from += chunk) {
        db.exec(
            "INSERT INTO res_partner (id, name) SELECT g, 'p' || g FROM generate_series("
                + from
                + ", "
                + Math.min(records, from + chunk - 1)
                + ") g");
      }
      db.exec("SELECT setval('res_partner_id_seq', " + records + ")");
      for (int round = 1; round < edits; round++) {
        for (int from = 1; from <= records; from += chunk) {
          db.exec(
              "UPDATE res_partner SET email = 'e"
                  + round
                  + "', write_date = now() WHERE id BETWEEN "
                  + from
                  + " AND "
                  + (from + chunk - 1));
        }
      }
      long backlog = db.count("SELECT count(*) FROM webhook_event");
      assertEquals((long) records * edits, backlog, "events written");
      System.out.printf(
          "backlog: %,d events of %,d records written in %.0f s%n",
          backlog, records, (System.nanoTime() - t0) / 1e9);

      // 2. A receiver that keeps only what reconciliation needs (record, event range, webhook-id).
      StringBuilder ranges = new StringBuilder();
      Set<String> ids = ConcurrentHashMap.newKeySet();
      AtomicInteger duplicates = new AtomicInteger();
      receiver.sendAnsweredTo(
          r -> {
            if (!r.answered2xx()) {
              return;
            }
            if (!ids.add(r.header("webhook-id"))) {
              duplicates.incrementAndGet();
            }
            JsonNode d = r.data();
            String line =
                d.get("record_id").asLong()
                    + "\t"
                    + d.get("first_event_id").asLong()
                    + "\t"
                    + d.get("last_event_id").asLong()
                    + "\n";
            synchronized (ranges) {
              ranges.append(line);
            }
          });
      db.addSubscriber("erp", receiver.url(), WebhookSigner.newSecret(), "max_concurrency", "32");

      // 3. The sidecar with a small heap, Odoo writing 20 times a second for the first minute.
      Map<String, String> env = new HashMap<>(db.env());
      env.put("WEBHOOK_LOG_DELIVERIES", "false");
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger writes = new AtomicInteger();
      AtomicReference<Exception> writeFailure = new AtomicReference<>();
      Thread writer =
          new Thread(
              () -> writeSteadily(db, records, writing, writes, writeFailure), "odoo-writes");
      long peakRssKb = 0;
      long drainStart = System.nanoTime();
      try (SidecarProcess sidecar =
          SidecarProcess.startWithJvmOptions(List.of("-Xmx" + heap), env)) {
        writer.start();
        long deadline = System.nanoTime() + Duration.ofMinutes(45).toNanos();
        System.out.println(
            "drain: seconds, unrouted events, unsent deliveries, sent, sidecar RSS MiB");
        while (true) {
          long seconds = (System.nanoTime() - drainStart) / 1_000_000_000L;
          if (seconds >= 60) {
            writing.set(false);
          }
          long rssKb = statusKb(sidecar.pid(), "VmRSS:");
          peakRssKb = Math.max(peakRssKb, rssKb);
          long unrouted = db.count("SELECT count(*) FROM webhook_event WHERE routed_at IS NULL");
          long unsent = db.count("SELECT count(*) FROM webhook_delivery WHERE status <> 'sent'");
          long sent = db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'sent'");
          System.out.printf(
              "drain: %d, %d, %d, %d, %d%n", seconds, unrouted, unsent, sent, rssKb / 1024);
          if (!writing.get() && !writer.isAlive() && unrouted == 0 && unsent == 0) {
            break;
          }
          assertTrue(sidecar.isAlive(), "the sidecar died:\n" + tail(sidecar.log()));
          assertTrue(
              System.nanoTime() < deadline,
              "not drained within 45 minutes:\n" + tail(sidecar.log()));
          Thread.sleep(5_000);
        }
        peakRssKb = Math.max(peakRssKb, statusKb(sidecar.pid(), "VmHWM:"));
        assertEquals(0, sidecar.terminate(60));
        assertFalse(sidecar.log().contains("OutOfMemoryError"), tail(sidecar.log()));
      }
      double drainSeconds = (System.nanoTime() - drainStart) / 1e9;

      // 4. Exact reconciliation in SQL: every event inside the range of an answered delivery.
      long lost;
      long events;
      try (Connection c = db.connect();
          Statement st = c.createStatement()) {
        st.execute(
            "CREATE TEMP TABLE answered (record_id bigint, first_event_id bigint, last_event_id bigint)");
        c.unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn("COPY answered FROM STDIN", new StringReader(ranges.toString()));
        st.execute("CREATE INDEX ON answered (record_id)");
        st.execute("ANALYZE answered");
        events = db.count("SELECT count(*) FROM webhook_event");
        try (var rs =
            st.executeQuery(
                "SELECT count(*) FROM webhook_event e WHERE NOT EXISTS ("
                    + " SELECT 1 FROM answered a WHERE a.record_id = e.record_id"
                    + " AND e.id BETWEEN a.first_event_id AND a.last_event_id)")) {
          rs.next();
          lost = rs.getLong(1);
        }
      }
      System.out.printf(
          "large backlog: %,d events (%,d written during the drain), %,d deliveries answered,"
              + " %d duplicates, %d lost; drained in %.0f s with -Xmx%s, peak RSS %d MiB%n",
          events,
          events - backlog,
          ids.size() + duplicates.get(),
          duplicates.get(),
          lost,
          drainSeconds,
          heap,
          peakRssKb / 1024);
      assertEquals(null, writeFailure.get(), "Odoo's writes never fail because of the sidecar");
      assertTrue(writes.get() > 0, "Odoo kept writing during the drain");
      assertEquals(0, lost, "events not covered by any answered delivery");
      // No process was killed: a duplicate can only come from a request that timed out.
      assertTrue(
          duplicates.get() <= 32, "duplicates bounded by what was in flight: " + duplicates.get());
      // The heap cap bounds the JVM's heap; the whole process (heap, metaspace, threads, the
      // netty buffers of the LISTEN connection) must stay within a few times it.
      assertTrue(peakRssKb < 512 * 1024, "peak RSS " + peakRssKb / 1024 + " MiB");
    }
  }

  /** About 20 Odoo-like writes a second to random records until told to stop. */
  private static void writeSteadily(
      TestDatabase db,
      int records,
      AtomicBoolean writing,
      AtomicInteger writes,
      AtomicReference<Exception> failure) {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      while (writing.get()) {
        int id = 1 + ThreadLocalRandom.current().nextInt(records);
        st.execute(
            "UPDATE res_partner SET phone = '"
                + writes.incrementAndGet()
                + "', write_date = now() WHERE id = "
                + id);
        Thread.sleep(50);
      }
    } catch (Exception e) {
      failure.set(e);
    }
  }

  /** A kB figure of /proc/PID/status (Linux), e.g. VmRSS: (now) or VmHWM: (peak). */
  private static long statusKb(long pid, String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith(field)) {
        return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalStateException(field + " not in /proc/" + pid + "/status");
  }

  private static String tail(String log) {
    return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
  }
}
