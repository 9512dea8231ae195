// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import dev.odoowebhook.sidecar.support.SidecarProcess;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Scenario 7, the pull API for apps: (a) devices syncing a backlog over five models (creates, then
 * writes, then unlinks) to empty with pull + acknowledge, 1 / 8 / 32 at once, half of them by the
 * 'sales' profile, with limit 500 and 1000: round trips per second and their latency, each device
 * checked to end with exactly the records that exist and to have read every event once; (b) commit
 * → visible-in-pull latency for a device polling while Odoo writes 200 rows a second; (c) requests
 * per second of the event list and the check-updates summary. No target exists for these: the
 * figures are reported.
 */
final class PullPath {
  /**
   * The backlog's models; the 'sales' profile (sale.order, sale.order.line, res.partner, product.*)
   * covers all but stock.picking.
   */
  private static final List<String> MODELS =
      List.of("res.partner", "sale.order", "sale.order.line", "product.product", "stock.picking");

  private static final List<String> SALES =
      List.of("res.partner", "sale.order", "sale.order.line", "product.product");

  /** Share of the backlog's created records per model (Odoo-like: more lines than orders). */
  private static final double[] SHARE = {0.25, 0.15, 0.35, 0.10, 0.15};

  private static final Pattern CHANGE = Pattern.compile("\\{[^{}]*\\}");
  private static final Pattern MODEL = Pattern.compile("\"model\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern EVENT = Pattern.compile("\"event\"\\s*:\\s*\"([a-z]+)\"");
  private static final Pattern EVENTS_READ = Pattern.compile("\"events_read\"\\s*:\\s*(\\d+)");
  private static final Pattern RESYNC = Pattern.compile("\"resync_required\"\\s*:\\s*true");
  private static final Pattern RECORD_ID = Pattern.compile("\"record_id\"\\s*:\\s*(\\d+)");
  private static final Pattern NEXT_CURSOR = Pattern.compile("\"next_cursor\"\\s*:\\s*(\\d+)");
  private static final Pattern HAS_MORE = Pattern.compile("\"has_more\"\\s*:\\s*(true|false)");

  private final Bench b;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final AtomicBoolean stopPolling = new AtomicBoolean();
  private String base;
  private String token;

  PullPath(Bench b) {
    this.b = b;
  }

  void run() throws Exception {
    boolean full = b.mode.name().equals("full");
    int backlogEvents = full ? 20_000 : 1_500;
    List<Integer> deviceCounts = full ? List.of(1, 8, 32) : List.of(1, 4);
    List<Integer> limits = List.of(500, 1000);
    int steadySeconds = full ? 15 : 3;
    int listSeconds = full ? 10 : 2;

    String db = b.freshDatabase("s7_pull");
    for (String model : MODELS.subList(1, MODELS.size())) {
      // Stand-ins for the other models' tables: what the capture and the pull read is the same.
      b.pg.exec(
          db,
          "CREATE TABLE "
              + table(model)
              + " (id serial PRIMARY KEY, name varchar, state varchar,"
              + " create_date timestamp, write_date timestamp, write_uid integer)",
          "SELECT webhook_track('" + model + "')");
    }
    String out =
        Bench.sidecarCommand(
            b.sidecarJar,
            b.pg.url(db),
            60,
            "token",
            "create",
            "--name",
            "bench",
            "--models",
            "res.partner,sale.order,sale.order.line,product.*,stock.picking");
    Matcher m = Pattern.compile("(whpt_[A-Za-z0-9_-]{43})").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("token create printed no token: " + out);
    }
    token = m.group(1);
    int port = freePort();
    base = "http://127.0.0.1:" + port;
    Map<String, Object> raw = new LinkedHashMap<>();
    StringBuilder md = new StringBuilder("## 7. Pull API for apps\n\n");
    try (SidecarProcess sidecar =
            b.startSidecar(
                db,
                "pull",
                Map.of(
                    "WEBHOOK_PULL_PORT",
                    Integer.toString(port),
                    "WEBHOOK_PULL_RATE_LIMIT",
                    "100000"),
                List.of());
        Connection c = b.pg.connect(db)) {
      if (!Bench.waitFor(60_000, this::answers)) {
        throw new IllegalStateException(
            "the pull API did not answer within 60 s: " + sidecar.tail(15));
      }

      // (a) a backlog, synced to empty by several devices at once.
      Progress.say(
          "S7 pull: committing a backlog of about %,d events over %d models, then routing it",
          backlogEvents, MODELS.size());
      commitBacklog(c, backlogEvents);
      if (!Bench.waitFor(
          120_000,
          () -> count(c, "SELECT count(*) FROM webhook_event WHERE routed_seq IS NULL") == 0)) {
        throw new IllegalStateException("the backlog was not routed within 120 s");
      }
      // What every device must end with: the backlog's records that still exist, per model.
      Map<String, Set<Long>> existing = new HashMap<>();
      for (String model : MODELS) {
        existing.put(model, ids(c, "SELECT id FROM " + table(model) + " WHERE name LIKE 'Pull %'"));
      }
      Map<String, Long> eventsPerModel = new HashMap<>();
      Map<String, Long> eventsPerKind = new LinkedHashMap<>();
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT model, event, count(*) FROM webhook_event GROUP BY 1, 2"
                      + " ORDER BY CASE event WHEN 'create' THEN 1 WHEN 'write' THEN 2 ELSE 3 END")) {
        while (rs.next()) {
          eventsPerModel.merge(rs.getString(1), rs.getLong(3), Long::sum);
          eventsPerKind.merge(rs.getString(2), rs.getLong(3), Long::sum);
        }
      }
      long totalEvents = eventsPerModel.values().stream().mapToLong(Long::longValue).sum();
      raw.put("backlog_events", eventsPerKind);
      md.append("**(a) Devices syncing a backlog to empty.** The backlog: ")
          .append(String.format("%,d", totalEvents))
          .append(" events (")
          .append(
              eventsPerKind.entrySet().stream()
                  .map(e -> String.format("%,d %s", e.getValue(), e.getKey()))
                  .collect(Collectors.joining(", ")))
          .append(") over ")
          .append(String.join(", ", MODELS))
          .append(", committed in that order (creates, then a")
          .append(
              " write of every third record, then an unlink of every tenth) while the devices were offline.")
          .append(
              " Each device pulls and acknowledges until `has_more` is false, starting from cursor 0; odd-numbered")
          .append(
              " devices pull by the `sales` profile (all but stock.picking), the others list the five models.")
          .append(
              " Every device applies each page to a local copy as an app would (create adds a record, write")
          .append(
              " needs it present, unlink removes it) and is checked at the end: it holds exactly the records")
          .append(
              " that exist in the database for its models, never saw a create of a record it held or a write")
          .append(" or unlink of one it did not, and read every event of its models exactly once")
          .append(
              " (the sum of `events_read`). Round trip = pull + ack, without the client's own processing. An unmeasured")
          .append(" sync of 4 devices warms the sidecar up first.\n\n")
          .append(
              "| `limit` | devices at once | round trips | round trips/s | changes/s (all devices) |")
          .append(
              " round trip p50 ms | round trip p99 ms | pull p50 ms | ack p50 ms | every device exact |\n")
          .append("|---|---|---|---|---|---|---|---|---|---|\n");
      // Unmeasured: the sidecar's JIT and pools warm up on one full sync of 4 devices, so the first
      // measured run is not the only one paying for it.
      ExecutorService warm = Executors.newFixedThreadPool(4);
      List<Future<Replica>> warming = new ArrayList<>();
      for (int d = 0; d < 4; d++) {
        String device = "warm-up-" + d;
        boolean sales = d % 2 == 1;
        warming.add(
            warm.submit(
                () -> syncToEmpty(device, sales, 500, new ArrayList<>(), new ArrayList<>())));
      }
      for (Future<Replica> f : warming) {
        f.get();
      }
      warm.shutdown();
      Map<String, Object> sync = new LinkedHashMap<>();
      Map<String, Map<Integer, Double>> chart = new LinkedHashMap<>();
      List<String> problems = new ArrayList<>();
      for (int limit : limits) {
        Map<String, Object> perLimit = new LinkedHashMap<>();
        for (int devices : deviceCounts) {
          List<Double> pulls = Collections.synchronizedList(new ArrayList<>());
          List<Double> acks = Collections.synchronizedList(new ArrayList<>());
          ExecutorService pool = Executors.newFixedThreadPool(devices);
          long t0 = System.nanoTime();
          List<Future<Replica>> replicas = new ArrayList<>();
          for (int d = 0; d < devices; d++) {
            String device = "sync-" + limit + "-" + devices + "-" + d;
            boolean sales = d % 2 == 1;
            replicas.add(pool.submit(() -> syncToEmpty(device, sales, limit, pulls, acks)));
          }
          long changes = 0;
          List<String> wrong = new ArrayList<>();
          for (Future<Replica> f : replicas) {
            Replica r = f.get();
            changes += r.changes;
            wrong.addAll(r.verify(existing, eventsPerModel));
          }
          pool.shutdown();
          double seconds = (System.nanoTime() - t0) / 1e9;
          double[] pullMs = Stats.toArray(pulls);
          double[] ackMs = Stats.toArray(acks);
          double[] tripMs = new double[pullMs.length];
          for (int i = 0; i < tripMs.length; i++) {
            tripMs[i] = pullMs[i] + ackMs[i];
          }
          boolean exact = wrong.isEmpty();
          problems.addAll(wrong);
          md.append("| ")
              .append(limit)
              .append(" | ")
              .append(devices)
              .append(" | ")
              .append(tripMs.length)
              .append(" | ")
              .append(Stats.fmt(tripMs.length / seconds))
              .append(" | ")
              .append(Stats.fmt(changes / seconds))
              .append(" | ")
              .append(Stats.fmt(Stats.percentile(tripMs, 50)))
              .append(" | ")
              .append(Stats.fmt(Stats.percentile(tripMs, 99)))
              .append(" | ")
              .append(Stats.fmt(Stats.percentile(pullMs, 50)))
              .append(" | ")
              .append(Stats.fmt(Stats.percentile(ackMs, 50)))
              .append(" | ")
              .append(exact ? "yes" : "**no**: " + wrong.get(0))
              .append(" |\n");
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("round_trips", tripMs.length);
          r.put("seconds", seconds);
          r.put("round_trips_per_s", tripMs.length / seconds);
          r.put("changes_per_s", changes / seconds);
          r.put("round_trip_p50_ms", Stats.percentile(tripMs, 50));
          r.put("round_trip_p99_ms", Stats.percentile(tripMs, 99));
          r.put("pull_p50_ms", Stats.percentile(pullMs, 50));
          r.put("pull_p99_ms", Stats.percentile(pullMs, 99));
          r.put("ack_p50_ms", Stats.percentile(ackMs, 50));
          r.put("ack_p99_ms", Stats.percentile(ackMs, 99));
          r.put("every_device_exact", exact);
          r.put("problems", wrong.subList(0, Math.min(5, wrong.size())));
          perLimit.put(devices + "_devices", r);
          chart
              .computeIfAbsent("limit " + limit, k -> new LinkedHashMap<>())
              .put(devices, tripMs.length / seconds);
          Progress.say(
              "S7 pull: limit %d, %d device(s) synced to empty in %.1f s: %.0f round trips/s, p50 %.1f ms,"
                  + " p99 %.1f ms; every device exact: %s",
              limit,
              devices,
              seconds,
              tripMs.length / seconds,
              Stats.percentile(tripMs, 50),
              Stats.percentile(tripMs, 99),
              exact ? "yes" : "NO, " + wrong.size() + " problem(s), the first: " + wrong.get(0));
        }
        sync.put("limit_" + limit, perLimit);
      }
      raw.put("backlog_sync", sync);
      b.target(
          "S7 every pull device ends with exactly the existing records and reads every event once",
          problems.isEmpty() ? "all devices" : problems.size() + " problem(s)",
          problems.isEmpty());
      md.append("\n![pull round trips](s7_pull.png)\n");
      Charts.groupedBars(
          "Pull API: pull + ack round trips per second, devices syncing a backlog",
          "devices at once",
          "round trips/s",
          chart,
          b.outDir.resolve("s7_pull.png"),
          false);
      // (b) commit → visible in a pull, a device polling while Odoo writes 200 rows a second.
      Progress.say(
          "S7 pull: commit → pull latency, 200 inserts/s for %d s, one device polling",
          steadySeconds);
      String device = "poller";
      syncToEmpty(device, true, 1000, new ArrayList<>(), new ArrayList<>());
      Map<Long, Long> committedAt = new ConcurrentHashMap<>();
      Map<Long, Long> seenAt = new ConcurrentHashMap<>();
      Thread poller = new Thread(() -> poll(device, seenAt), "pull-poller");
      poller.start();
      try (PreparedStatement ins =
          c.prepareStatement("INSERT INTO res_partner (name) VALUES ('Steady') RETURNING id")) {
        long next = System.nanoTime();
        long end = next + Duration.ofSeconds(steadySeconds).toNanos();
        while (next < end) {
          Bench.sleepUntil(next);
          try (ResultSet rs = ins.executeQuery()) {
            rs.next();
            committedAt.put(rs.getLong(1), System.nanoTime());
          }
          next += 5_000_000; // 200 a second
        }
      }
      Bench.waitFor(10_000, () -> seenAt.keySet().containsAll(committedAt.keySet()));
      stopPolling.set(true);
      poller.join(5_000);
      List<Double> lat = new ArrayList<>();
      int missing = 0;
      for (Map.Entry<Long, Long> e : committedAt.entrySet()) {
        Long s = seenAt.get(e.getKey());
        if (s == null) {
          missing++;
        } else {
          lat.add((s - e.getValue()) / 1e6);
        }
      }
      double[] latMs = Stats.toArray(lat);
      md.append(
              "\n**(b) Commit → visible in a pull** (one device of the `sales` profile pulling (`limit` 1000) and")
          .append(" acknowledging in a loop, 200")
          .append(" single-row INSERT transactions/s for ")
          .append(steadySeconds)
          .append(" s; latency = the pull")
          .append(" that first returned the record − the writer's clock after COMMIT):\n\n")
          .append(
              "| samples | p50 ms | p90 ms | p99 ms | max ms | not seen within 10 s |\n|---|---|---|---|---|---|\n| ")
          .append(latMs.length)
          .append(" | ")
          .append(Stats.fmt(Stats.percentile(latMs, 50)))
          .append(" | ")
          .append(Stats.fmt(Stats.percentile(latMs, 90)))
          .append(" | ")
          .append(Stats.fmt(Stats.percentile(latMs, 99)))
          .append(" | ")
          .append(Stats.fmt(Stats.percentile(latMs, 100)))
          .append(" | ")
          .append(missing)
          .append(" |\n");
      Map<String, Object> steady = new LinkedHashMap<>();
      steady.put("samples", latMs.length);
      steady.put("p50_ms", Stats.percentile(latMs, 50));
      steady.put("p99_ms", Stats.percentile(latMs, 99));
      steady.put("not_seen", missing);
      raw.put("commit_to_pull", steady);
      Progress.say(
          "S7 pull: commit → pull p50 %.1f ms, p99 %.1f ms, %d not seen",
          Stats.percentile(latMs, 50), Stats.percentile(latMs, 99), missing);

      // (c) the event list and the check-updates summary, 8 clients each.
      md.append("\n**(c) Read endpoints** (8 clients for ")
          .append(listSeconds)
          .append(" s each):\n\n")
          .append("| request | requests/s | p50 ms | p99 ms | non-200 |\n|---|---|---|---|---|\n");
      String hourAgo = Instant.now().minusSeconds(3600).toString();
      String secondsAgo = Instant.now().minusSeconds(10).toString();
      for (String[] q :
          List.of(
              new String[] {
                "GET /v1/events?model=res.partner&limit=100",
                "/v1/events?model=res.partner&limit=100"
              },
              new String[] {
                "GET /v1/updates?since=(an hour ago: counts the whole backlog)",
                "/v1/updates?since=" + hourAgo
              },
              new String[] {
                "GET /v1/updates?since=(10 s ago)&profile=sales",
                "/v1/updates?profile=sales&since=" + secondsAgo
              })) {
        double[] r = hammer(q[1], 8, listSeconds);
        md.append("| `")
            .append(q[0])
            .append("` | ")
            .append(Stats.fmt(r[0]))
            .append(" | ")
            .append(Stats.fmt(r[1]))
            .append(" | ")
            .append(Stats.fmt(r[2]))
            .append(" | ")
            .append((long) r[3])
            .append(" |\n");
        raw.put(
            q[0], Map.of("requests_per_s", r[0], "p50_ms", r[1], "p99_ms", r[2], "non_200", r[3]));
        Progress.say("S7 pull: %s: %.0f requests/s, p50 %.1f ms", q[0], r[0], r[1]);
      }
      md.append(
              "\nThe sidecar runs from the shaded jar with default settings (pull API threads: 8, pool of 8),")
          .append(" the same machine running PostgreSQL and the clients.\n\n");
      sidecar.checkAlive();
    }
    b.results.put("pull_api", raw);
    b.section(md.toString());
  }

  /**
   * Pulls and acknowledges until has_more is false, applying every page to a replica; records each
   * pull's and each ack's latency.
   */
  private Replica syncToEmpty(
      String device, boolean sales, int limit, List<Double> pulls, List<Double> acks)
      throws Exception {
    Replica replica = new Replica(device, sales ? SALES : MODELS);
    for (int i = 0; i < 100_000; i++) {
      long t = System.nanoTime();
      HttpResponse<String> p = post("/v1/devices/" + device + "/pull", selection(sales, limit));
      double pullMs = (System.nanoTime() - t) / 1e6;
      check(p);
      String body = p.body();
      if (RESYNC.matcher(body).find()) {
        throw new IllegalStateException(device + " was told to resync: " + body);
      }
      replica.eventsRead += number(EVENTS_READ, body);
      Matcher change = CHANGE.matcher(body);
      change.region(body.indexOf("\"changes\""), body.length());
      while (change.find()) {
        String o = change.group();
        replica.apply(text(MODEL, o), number(RECORD_ID, o), text(EVENT, o));
      }
      String ack = "{\"cursor\":" + number(NEXT_CURSOR, body) + "}";
      t = System.nanoTime();
      HttpResponse<String> a = post("/v1/devices/" + device + "/ack", ack);
      double ackMs = (System.nanoTime() - t) / 1e6;
      check(a);
      synchronized (pulls) { // pulls[i] and acks[i] stay one round trip
        pulls.add(pullMs);
        acks.add(ackMs);
      }
      Matcher more = HAS_MORE.matcher(body);
      if (!more.find() || more.group(1).equals("false")) {
        break;
      }
    }
    return replica;
  }

  /** The body of a pull: by the 'sales' profile, or listing the five models. */
  private static String selection(boolean sales, int limit) {
    return sales
        ? "{\"profile\":\"sales\",\"limit\":" + limit + "}"
        : "{\"models\":["
            + MODELS.stream().map(x -> "\"" + x + "\"").collect(Collectors.joining(","))
            + "],\"limit\":"
            + limit
            + "}";
  }

  /** What a device holds after applying the changes it pulled, as an app's local store would. */
  private static final class Replica {
    final String device;
    final List<String> models;
    final Map<String, Set<Long>> held = new HashMap<>();
    final List<String> problems = new ArrayList<>();
    long eventsRead;
    long changes;

    Replica(String device, List<String> models) {
      this.device = device;
      this.models = models;
    }

    void apply(String model, long id, String event) {
      changes++;
      Set<Long> ids = held.computeIfAbsent(model, k -> new HashSet<>());
      boolean fits =
          switch (event) {
            case "create" -> ids.add(id); // a second create would be a duplicate
            case "write" ->
                ids.contains(id); // a write of a record never created: a create was missed
            case "unlink" -> ids.remove(id);
            default -> false;
          };
      if (!fits) {
        problems.add(
            device
                + ": "
                + event
                + " of "
                + model
                + " "
                + id
                + (ids.contains(id) ? ", already held" : ", not held"));
      }
    }

    /** Problems found: while applying, in the final records, in the count of events read. */
    List<String> verify(Map<String, Set<Long>> existing, Map<String, Long> eventsPerModel) {
      List<String> all = new ArrayList<>(problems);
      for (String model : MODELS) {
        Set<Long> want = models.contains(model) ? existing.get(model) : Set.of();
        Set<Long> got = held.getOrDefault(model, Set.of());
        if (!got.equals(want)) {
          all.add(
              device
                  + ": holds "
                  + got.size()
                  + " "
                  + model
                  + " records, the database has "
                  + want.size());
        }
      }
      long expected = models.stream().mapToLong(x -> eventsPerModel.getOrDefault(x, 0L)).sum();
      if (eventsRead != expected) {
        all.add(device + ": read " + eventsRead + " events, its models have " + expected);
      }
      return all;
    }
  }

  /**
   * Creates, then writes every third record, then unlinks every tenth: about {@code events} events.
   */
  private static void commitBacklog(Connection c, int events) throws Exception {
    long creates = Math.round(events / (1 + 1 / 3.0 + 1 / 10.0));
    try (Statement st = c.createStatement()) {
      for (int i = 0; i < MODELS.size(); i++) {
        st.execute(
            "INSERT INTO "
                + table(MODELS.get(i))
                + " (name, create_date, write_date, write_uid)"
                + " SELECT 'Pull ' || g, now(), now(), 2 FROM generate_series(1, "
                + Math.round(creates * SHARE[i])
                + ") g");
      }
      for (String model : MODELS) {
        String field = model.equals("res.partner") ? "phone = '+32 2 555'" : "state = 'done'";
        st.execute(
            "UPDATE "
                + table(model)
                + " SET "
                + field
                + ", write_date = now() WHERE name LIKE 'Pull %' AND id % 3 = 0");
      }
      for (String model : MODELS) {
        st.execute("DELETE FROM " + table(model) + " WHERE name LIKE 'Pull %' AND id % 10 = 0");
      }
    }
  }

  private static String table(String model) {
    return model.replace('.', '_');
  }

  private void poll(String device, Map<Long, Long> seenAt) {
    try {
      while (!stopPolling.get()) {
        HttpResponse<String> p = post("/v1/devices/" + device + "/pull", selection(true, 1000));
        long now = System.nanoTime();
        check(p);
        Matcher r = RECORD_ID.matcher(p.body());
        while (r.find()) {
          seenAt.putIfAbsent(Long.parseLong(r.group(1)), now);
        }
        check(
            post(
                "/v1/devices/" + device + "/ack",
                "{\"cursor\":" + number(NEXT_CURSOR, p.body()) + "}"));
      }
    } catch (Exception e) {
      Progress.say("S7 pull: the polling device failed: %s", e);
    }
  }

  /** {requests/s, p50 ms, p99 ms, non-200 answers} of GETs from several clients. */
  private double[] hammer(String path, int clients, int seconds) throws Exception {
    List<Double> ms = Collections.synchronizedList(new ArrayList<>());
    long[] bad = {0};
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      fs.add(
          pool.submit(
              () -> {
                while (System.nanoTime() < end) {
                  long t = System.nanoTime();
                  HttpResponse<String> r = get(path);
                  ms.add((System.nanoTime() - t) / 1e6);
                  if (r.statusCode() != 200) {
                    synchronized (bad) {
                      bad[0]++;
                    }
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    double[] a = Stats.toArray(ms);
    return new double[] {
      a.length / (double) seconds, Stats.percentile(a, 50), Stats.percentile(a, 99), bad[0]
    };
  }

  private boolean answers() {
    try {
      return get("/v1/events?limit=1").statusCode() == 200;
    } catch (Exception notYet) {
      return false;
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token)
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void check(HttpResponse<String> r) {
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          r.request().uri().getPath() + " answered " + r.statusCode() + ": " + r.body());
    }
  }

  private static long number(Pattern p, String body) {
    Matcher m = p.matcher(body);
    if (!m.find()) {
      throw new IllegalStateException("no " + p + " in " + body);
    }
    return Long.parseLong(m.group(1));
  }

  private static String text(Pattern p, String body) {
    Matcher m = p.matcher(body);
    if (!m.find()) {
      throw new IllegalStateException("no " + p + " in " + body);
    }
    return m.group(1);
  }

  private static long count(Connection c, String sql) throws Exception {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Set<Long> ids(Connection c, String sql) throws Exception {
    Set<Long> ids = new HashSet<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
