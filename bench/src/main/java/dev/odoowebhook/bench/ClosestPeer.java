// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import dev.odoowebhook.sidecar.support.SidecarProcess;
import java.sql.Connection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Scenario 8: the closest real peer, Debezium Server with its HTTP sink and Standard Webhooks
 * signatures, against the sidecar, on the same cluster and receiver. Sustained deliveries/s with
 * the writers of scenario 3 (30-row INSERTs every 10 ms), and a receiver outage longer than
 * Debezium's retries (its default behaviour: the sink throws, the engine stops, the process exits)
 * against the sidecar's (retries with backoff until the receiver is back: nothing lost). Its
 * latency at 200 events/s is a row of scenario 2.
 */
final class ClosestPeer {
  static final String SERVER = "Debezium Server";
  static final String SIDECAR = "sidecar";
  private static final int RETRIES = 3;
  private static final int RETRY_INTERVAL_MS = 1_000;

  /** Writes per second during and after the outage. */
  private static final int OUTAGE_RATE = 20;

  private final Bench b;
  private int slot;

  private static final String SUSTAINED_ROW =
      "S8 the closest peer, Debezium Server, sustained deliveries/s (writers of S3)";

  /** Debezium Server's sustained rate beside ours in the target table: a comparison, no verdict. */
  @SuppressWarnings("unchecked")
  private void sustainedComparison(Map<String, Object> sustained) {
    Map<String, Object> server = (Map<String, Object>) sustained.get(SERVER);
    Map<String, Object> ours = (Map<String, Object>) sustained.get(SIDECAR);
    b.comparison(
        SUSTAINED_ROW,
        "Debezium Server "
            + Stats.fmt((Double) server.get("delivered_per_s"))
            + "/s, ours "
            + Stats.fmt((Double) ours.get("delivered_per_s"))
            + "/s, of "
            + Stats.fmt((Double) ours.get("offered_per_s"))
            + "/s offered");
  }

  ClosestPeer(Bench b) {
    this.b = b;
  }

  void run() throws Exception {
    StringBuilder md = new StringBuilder("## 8. The closest peer: Debezium Server\n\n");
    Map<String, Object> raw = new LinkedHashMap<>();
    if (!b.peerServer.available()) {
      md.append("Not measured ").append(b.peerServer.missing()).append(".\n");
      raw.put("not_measured", b.peerServer.missing());
      b.results.put("closest_peer", raw);
      b.section(md.toString());
      Progress.say("S8 not measured %s", b.peerServer.missing());
      b.comparison(SUSTAINED_ROW, "not measured " + b.peerServer.missing());
      return;
    }
    raw.put("version", b.peerServer.version());
    Map<String, Object> sustained = new LinkedHashMap<>();
    sustained.put(SERVER, sustained(SERVER));
    sustained.put(SIDECAR, sustained(SIDECAR));
    raw.put("sustained", sustained);
    sustainedComparison(sustained);
    Map<String, Object> outage = new LinkedHashMap<>();
    outage.put(SERVER, outage(SERVER));
    outage.put(SIDECAR, outage(SIDECAR));
    raw.put("outage", outage);
    b.results.put("closest_peer", raw);

    md.append("Debezium Server ")
        .append(b.peerServer.version())
        .append(
            " (`io.debezium:debezium-server-dist` tar.gz from Maven Central, unpacked by `mvn -Pdebezium-server`),"
                + " run as its own process on Java 21+ (`io.debezium.server.Main`, `config/application.properties`"
                + " written by the harness): PostgreSQL source (pgoutput, `snapshot.mode=no_data`, `poll.interval.ms=5`,"
                + " a slot and a filtered publication of its own on `res_partner`), HTTP sink to the same receiver with"
                + " `authentication.type=standard-webhooks`, JSON values without schema, one POST per change event,")
        .append(" `retries=")
        .append(RETRIES)
        .append("`, `retry.interval.ms=")
        .append(RETRY_INTERVAL_MS)
        .append(
            "`. The sidecar: the shaded jar, default settings, one subscriber (`max_concurrency` 32, retries"
                + " every 500 ms). Each on a fresh copy of the database, one at a time.\n\n");
    md.append("**Sustained**: writers offer ")
        .append(b.mode.steadyOfferedPerSecond())
        .append(" events/s (a 30-row INSERT every 10 ms) for ")
        .append(b.mode.steadySeconds())
        .append(" s, the first ")
        .append(b.mode.steadyWarmupSeconds())
        .append(" s not measured.\n\n");
    md.append(
        "| system | offered/s | delivered/s in the window | not delivered at the end | delivered ÷ offered |\n|---|---|---|---|---|\n");
    for (String s : List.of(SERVER, SIDECAR)) {
      @SuppressWarnings("unchecked")
      Map<String, Object> r = (Map<String, Object>) sustained.get(s);
      double offered = (double) r.get("offered_per_s");
      double delivered = (double) r.get("delivered_per_s");
      md.append("| ")
          .append(s)
          .append(" | ")
          .append(Stats.fmt(offered))
          .append(" | ")
          .append(Stats.fmt(delivered))
          .append(" | ")
          .append(r.get("not_delivered_at_end"))
          .append(" | ")
          .append(Stats.fmt(delivered / offered))
          .append(" |\n");
    }
    md.append("\n**Receiver outage**: ")
        .append(OUTAGE_RATE)
        .append(" INSERTs/s; the receiver answers 503 for ")
        .append(outageSeconds())
        .append(" s (longer than Debezium's ")
        .append(RETRIES)
        .append(" retries ")
        .append(RETRY_INTERVAL_MS)
        .append(" ms apart), then 200 again while the writes go on for ")
        .append(afterSeconds())
        .append(" s; then up to 30 s for the rest to arrive.\n\n");
    md.append(
        "| system | records written | delivered (2xx) | lost or stuck | process after the outage | its log says |\n"
            + "|---|---|---|---|---|---|\n");
    for (String s : List.of(SERVER, SIDECAR)) {
      @SuppressWarnings("unchecked")
      Map<String, Object> r = (Map<String, Object>) outage.get(s);
      md.append("| ")
          .append(s)
          .append(" | ")
          .append(r.get("written"))
          .append(" | ")
          .append(r.get("delivered"))
          .append(" | ")
          .append(r.get("missing"))
          .append(" | ")
          .append(r.get("process"))
          .append(" | ")
          .append(String.valueOf(r.get("log")).replace("|", "\\|"))
          .append(" |\n");
    }
    md.append(
        "\nDebezium Server's HTTP sink gives up after its retries: the engine stops and the process exits; what"
            + " it had not delivered waits in its replication slot (PostgreSQL keeps the WAL) until someone restarts it."
            + " The sidecar keeps each delivery in the database and retries until the receiver answers.\n");
    b.section(md.toString());
  }

  private int outageSeconds() {
    return b.mode.name().equals("full") ? 20 : 8;
  }

  private int afterSeconds() {
    return b.mode.name().equals("full") ? 10 : 4;
  }

  private AutoCloseable start(String system, Connection c, String db, String path)
      throws Exception {
    slot++;
    if (system.equals(SERVER)) {
      return new DebeziumServer(
          b.peerServer,
          b.workDir,
          b.pg,
          db,
          "bench_s8_" + slot,
          b.receiver.url(path),
          Schema.newSecret(),
          5,
          RETRIES,
          RETRY_INTERVAL_MS);
    }
    Schema.addSubscriber(c, "s8", b.receiver.url(path), 10_000, 32);
    return b.startSidecar(db, "s8-" + slot);
  }

  private Map<String, Object> sustained(String system) throws Exception {
    String path = "/s8/sustained/" + (system.equals(SERVER) ? "server" : "sidecar");
    Endpoint end = b.receiver.endpoint(path);
    end.reset();
    String db = b.freshDatabase("s8_sustained_" + (system.equals(SERVER) ? "server" : "sidecar"));
    Map<String, Object> raw = new LinkedHashMap<>();
    try (Connection c = b.pg.connect(db);
        AutoCloseable running = start(system, c, db, path)) {
      if (!Bench.awaitFirstDelivery(c, end, 90_000)) {
        throw new IllegalStateException(system + " delivered nothing within 90 s: " + running);
      }
      int offered = b.mode.steadyOfferedPerSecond();
      int seconds = b.mode.steadySeconds();
      int warmup = b.mode.steadyWarmupSeconds();
      Progress.say(
          "S8 sustained, %s: offering %d events/s for %d s (first %d s not measured)",
          system, offered, seconds, warmup);
      int perTick = offered / 100;
      long firstId = maxId(c);
      long start = System.nanoTime();
      long okAtWindowStart = 0;
      long windowStart = start;
      int ticks = seconds * 100;
      for (int i = 0; i < ticks; i++) {
        Bench.sleepUntil(start + i * 10_000_000L);
        if (i == warmup * 100) {
          okAtWindowStart = end.ok.get();
          windowStart = System.nanoTime();
        }
        try (var st = c.createStatement()) {
          st.execute(
              "INSERT INTO res_partner (name, create_date, write_date, create_uid, write_uid)"
                  + " SELECT 'Sustained ' || g, now(), now(), 2, 2 FROM generate_series(1, "
                  + perTick
                  + ") g");
        }
      }
      long windowEnd = System.nanoTime();
      double delivered = (end.ok.get() - okAtWindowStart) / ((windowEnd - windowStart) / 1e9);
      long written = maxId(c) - firstId;
      long notDelivered =
          written - end.firstArrival.keySet().stream().filter(id -> id > firstId).count();
      raw.put("offered_per_s", perTick * (double) ticks / ((windowEnd - start) / 1e9));
      raw.put("delivered_per_s", delivered);
      raw.put("not_delivered_at_end", notDelivered);
      Progress.say(
          "S8 sustained, %s: %.0f deliveries/s; %d of %d not delivered when the writers stopped",
          system, delivered, notDelivered, written);
    }
    return raw;
  }

  private static long maxId(Connection c) throws Exception {
    try (var st = c.createStatement();
        var rs = st.executeQuery("SELECT max(id) FROM res_partner")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private Map<String, Object> outage(String system) throws Exception {
    String path = "/s8/outage/" + (system.equals(SERVER) ? "server" : "sidecar");
    Endpoint end = b.receiver.endpoint(path);
    end.reset();
    String db = b.freshDatabase("s8_outage_" + (system.equals(SERVER) ? "server" : "sidecar"));
    Map<String, Object> raw = new LinkedHashMap<>();
    try (Connection c = b.pg.connect(db);
        AutoCloseable running = start(system, c, db, path)) {
      if (!Bench.awaitFirstDelivery(c, end, 90_000)) {
        throw new IllegalStateException(system + " delivered nothing within 90 s: " + running);
      }
      Thread.sleep(500);
      end.reset();
      Progress.say(
          "S8 outage, %s: receiver down for %d s at %d writes/s, then up for %d s",
          system, outageSeconds(), OUTAGE_RATE, afterSeconds());
      end.down = true;
      RateWriter during = new RateWriter();
      during.run(c, OUTAGE_RATE, outageSeconds());
      end.down = false;
      RateWriter after = new RateWriter();
      after.run(c, OUTAGE_RATE, afterSeconds());
      Set<Long> written = new HashSet<>(during.committedAt.keySet());
      written.addAll(after.committedAt.keySet());
      Bench.waitFor(
          30_000,
          () ->
              end.firstArrival.keySet().containsAll(written)
                  || (running instanceof DebeziumServer d && !d.isAlive()));
      long delivered = written.stream().filter(end.firstArrival::containsKey).count();
      raw.put("written", written.size());
      raw.put("delivered", delivered);
      raw.put("missing", written.size() - delivered);
      raw.put("requests_answered_503", end.requests.get() - end.ok.get());
      if (running instanceof DebeziumServer d) {
        raw.put("process", d.isAlive() ? "running" : "exited (code " + d.process.exitValue() + ")");
        List<String> gaveUp = d.logLines("Exceeded maximum number of attempts");
        raw.put("log", gaveUp.isEmpty() ? "(no give-up line)" : shorten(gaveUp.get(0)));
      } else {
        SidecarProcess s = (SidecarProcess) running;
        raw.put("process", s.isAlive() ? "running" : "exited");
        raw.put("log", "retried with backoff, delivered after the receiver came back");
      }
      Progress.say(
          "S8 outage, %s: %d written, %d delivered, %d missing; process %s",
          system, written.size(), delivered, written.size() - delivered, raw.get("process"));
    }
    return raw;
  }

  private static String shorten(String line) {
    int at = line.indexOf("Exceeded");
    String s = at >= 0 ? line.substring(at) : line;
    return s.length() > 140 ? s.substring(0, 140) + "…" : s;
  }
}
