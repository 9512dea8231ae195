// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import dev.odoowebhook.sidecar.support.SidecarProcess;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scenario 3's content variants (issue 20): the router with an Odoo domain on every one of 10
 * subscribers against the same without domains, and a drain in payload mode {@code record} against
 * {@code ids}. Each on a fresh copy of the database with the same captured fields, the backlog
 * committed while the sidecar is stopped.
 */
final class ContentThroughput {
  static final int SUBSCRIBERS = 10;
  static final String DOMAIN = "[('active', '=', True)]";

  private final Bench b;
  final Map<String, Object> raw = new LinkedHashMap<>();
  final StringBuilder md = new StringBuilder();

  ContentThroughput(Bench b) {
    this.b = b;
  }

  private int events() {
    return b.mode.name().equals("full") ? 20_000 : 2_000;
  }

  void run() throws Exception {
    double plain = route(false);
    double domains = route(true);
    double ids = drain("ids");
    double record = drain("record");
    raw.put("events", events());
    raw.put("router_events_per_s_10_subscribers_no_domain", plain);
    raw.put("router_events_per_s_10_subscribers_with_domain", domains);
    raw.put("router_domain_ratio", domains / plain);
    raw.put("drain_ids_per_s", ids);
    raw.put("drain_record_per_s", record);
    raw.put("drain_record_ratio", record / ids);
    md.append(
            "\n**Content variants** (issue 20), each on a fresh copy of the database with `active` and four more"
                + " fields of res.partner captured (")
        .append(String.join(", ", CaptureOverhead.FIVE_FIELDS))
        .append("), a backlog of ")
        .append(String.format("%,d", events()))
        .append(" INSERTs committed while the sidecar was stopped, then the sidecar started:\n\n")
        .append("| measure | without | with | with ÷ without | target |\n|---|---|---|---|---|\n")
        .append("| router, ")
        .append(SUBSCRIBERS)
        .append(
            " paused subscribers of res.partner (routed, not sent),"
                + " events routed/s; with: `domain = ")
        .append(DOMAIN)
        .append("` on every one | ")
        .append(Stats.fmt(plain))
        .append(" | ")
        .append(Stats.fmt(domains))
        .append(" | ")
        .append(Stats.fmt(domains / plain))
        .append(" | ≥ 0.8× |\n")
        .append(
            "| drain, one subscriber (`max_concurrency` 32), deliveries/s; without: payload `ids`, with: payload"
                + " `record` (the captured fields read when sending) | ")
        .append(Stats.fmt(ids))
        .append(" | ")
        .append(Stats.fmt(record))
        .append(" | ")
        .append(Stats.fmt(record / ids))
        .append(" | record ≥ 2,000/s |\n");
    b.target(
        "S3 router with a domain on each of 10 subscribers ≥ 0.8× without",
        Stats.fmt(domains / plain) + "×",
        domains / plain >= 0.8);
    b.target(
        "S3 drain in payload mode record ≥ 2,000 deliveries/s",
        Stats.fmt(record) + "/s",
        record >= 2000);
  }

  private String prepare(String name) throws Exception {
    String db = b.freshDatabase(name);
    b.pg.exec(
        db,
        "SELECT webhook_set_captured_fields('res.partner', ARRAY['"
            + String.join("', '", CaptureOverhead.FIVE_FIELDS)
            + "'])");
    return db;
  }

  /**
   * Events routed per second by one sidecar, 10 paused subscribers, with or without a domain each.
   */
  private double route(boolean withDomain) throws Exception {
    String db = prepare(withDomain ? "s3_route_domain" : "s3_route_plain");
    int n = events();
    try (Connection c = b.pg.connect(db)) {
      for (int i = 0; i < SUBSCRIBERS; i++) {
        long id =
            Schema.addSubscriber(c, "route-" + i, b.receiver.url("/s3/route/" + i), 10_000, 4);
        try (PreparedStatement ps =
            c.prepareStatement(
                "UPDATE webhook_subscriber SET paused = true, domain = ? WHERE id = ?")) {
          ps.setString(1, withDomain ? DOMAIN : null);
          ps.setLong(2, id);
          ps.executeUpdate();
        }
      }
      Schema.insertPartners(c, n);
      Progress.say(
          "S3 router, %d subscribers %s: routing %,d events",
          SUBSCRIBERS, withDomain ? "with a domain each" : "without domains", n);
      List<long[]> samples = new ArrayList<>();
      try (SidecarProcess s = b.startSidecar(db, withDomain ? "route-domain" : "route-plain")) {
        boolean done =
            Bench.waitFor(
                60_000L + n * 5L,
                () -> {
                  s.checkAlive();
                  long left =
                      b.pg.queryLong(
                          db, "SELECT count(*) FROM webhook_event WHERE routed_at IS NULL");
                  samples.add(new long[] {System.nanoTime(), left});
                  return left == 0;
                });
        if (!done) {
          throw new IllegalStateException(
              "the router did not route " + n + " events in time: " + s.tail(15));
        }
      }
      long deliveries = b.pg.queryLong(db, "SELECT count(*) FROM webhook_delivery");
      if (deliveries < (long) n * SUBSCRIBERS) {
        throw new IllegalStateException(
            "expected " + n * SUBSCRIBERS + " deliveries, found " + deliveries);
      }
      // From the first sample where routing had begun to the one where it ended.
      long[] first = samples.stream().filter(x -> x[1] < n).findFirst().orElse(samples.get(0));
      long[] before = samples.get(Math.max(0, samples.indexOf(first) - 1));
      long[] last = samples.get(samples.size() - 1);
      double secs = (last[0] - before[0]) / 1e9;
      double rate = (before[1] - last[1]) / Math.max(secs, 0.05);
      Progress.say(
          "S3 router %s: %.0f events/s (%,d deliveries made)",
          withDomain ? "with domains" : "without domains", rate, deliveries);
      return rate;
    }
  }

  /** Deliveries per second draining the backlog with one subscriber in the given payload mode. */
  private double drain(String payload) throws Exception {
    String db = prepare("s3_drain_" + payload);
    int n = events();
    String path = "/s3/drain/" + payload;
    Endpoint end = b.receiver.endpoint(path);
    end.reset();
    try (Connection c = b.pg.connect(db)) {
      long id = Schema.addSubscriber(c, "drain-" + payload, b.receiver.url(path), 10_000, 32);
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE webhook_subscriber SET payload = ? WHERE id = ?")) {
        ps.setString(1, payload);
        ps.setLong(2, id);
        ps.executeUpdate();
      }
      Schema.insertPartners(c, n);
      Progress.say("S3 drain in payload mode %s: %,d deliveries", payload, n);
      try (SidecarProcess s = b.startSidecar(db, "drain-" + payload)) {
        if (!Bench.waitFor(
            60_000L + n * 5L,
            () -> {
              s.checkAlive();
              return end.ok.get() >= n;
            })) {
          throw new IllegalStateException(
              "payload "
                  + payload
                  + ": "
                  + end.ok.get()
                  + " of "
                  + n
                  + " delivered in time: "
                  + s.tail(15));
        }
      }
      double rate = end.okRate();
      Progress.say("S3 drain in payload mode %s: %.0f deliveries/s", payload, rate);
      return rate;
    }
  }
}
