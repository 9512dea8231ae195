// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.JetStreamServer;
import dev.odoowebhook.sidecar.support.KafkaBroker;
import dev.odoowebhook.sidecar.support.Pipeline;
import io.nats.client.api.StorageType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The drain rate of a backlog to each destination kind, side by side on this machine: HTTP to a
 * local receiver, NATS JetStream (the shared server, a file stream), Kafka (the broker the tests
 * start, with the JVM settings of Kafka's own script). Each run routes a backlog of creates while
 * no sidecar runs, starts a sidecar and waits until every delivery is sent; the rate is deliveries
 * over the time from the first sent_at to the last. Prints the runs and the medians; asserts only
 * that everything was sent.
 *
 * <p>Not in the default run: mvn -B test -Dgroups=long -DexcludedGroups=none
 * -Dtest=BrokerDrainBenchmark [-Ddrain.deliveries=10000 -Ddrain.runs=3 -Ddrain.concurrency=4]
 */
@Tag("long")
class BrokerDrainBenchmark {
  private static final Duration WAIT = Duration.ofMinutes(5);

  @Test
  void shouldPrintTheDrainRatesOfHttpNatsAndKafka() {
    int n = Integer.getInteger("drain.deliveries", 10_000);
    int runs = Integer.getInteger("drain.runs", 3);
    int concurrency = Integer.getInteger("drain.concurrency", 4);
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    try (Pipeline p = new Pipeline();
        JetStreamServer nats = JetStreamServer.shared();
        KafkaBroker kafka = KafkaBroker.startForBenchmark()) {
      kafka.createTopic("odoo.drain", 3);
      for (int run = 1; run <= runs; run++) {
        nats.createStream("WEBHOOK_DRAIN", StorageType.File, "webhook_drain.>");
        Map<String, String> urls = new LinkedHashMap<>();
        urls.put("http", p.receiver.url());
        urls.put("nats", "nats://" + nats.hostPort() + "/webhook_drain");
        urls.put("kafka", "kafka://" + kafka.bootstrap() + "/odoo.drain");
        for (Map.Entry<String, String> u : urls.entrySet()) {
          p.reset();
          p.receiver.sendAnsweredTo(r -> {}); // keep nothing: 10,000 bodies are not the point
          p.db.addSubscriber(
              "drain-" + u.getKey(),
              u.getValue(),
              p.secret,
              "max_concurrency",
              Integer.toString(concurrency));
          for (int from = 1; from <= n; from += 5000) {
            p.db.exec(
                "INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series("
                    + from
                    + ", "
                    + Math.min(n, from + 4999)
                    + ") g");
          }
          while (p.db.count("SELECT webhook_route_events(5000)") > 0) {
            // route the backlog before the clock starts
          }
          assertEquals(n, p.db.count("SELECT count(*) FROM webhook_delivery"));
          p.startSidecar(Map.of("WEBHOOK_LOG_DELIVERIES", "false"));
          Await.until(
              n + " sent to " + u.getKey(),
              WAIT,
              () -> p.db.count("SELECT count(*) FROM webhook_delivery WHERE status = 'sent'") == n,
              p::statuses);
          double seconds =
              p.db.value(
                  "SELECT extract(epoch FROM max(sent_at) - min(sent_at))::float8"
                      + " FROM webhook_delivery",
                  Double.class);
          p.stopSidecar();
          double rate = n / seconds;
          rates.computeIfAbsent(u.getKey(), k -> new ArrayList<>()).add(rate);
          System.out.printf(
              "drain run %d %-5s %,d deliveries in %.2f s: %,.0f/s%n",
              run, u.getKey(), n, seconds, rate);
        }
        nats.deleteStream("WEBHOOK_DRAIN");
      }
    }
    rates.forEach(
        (kind, r) -> {
          List<Double> sorted = r.stream().sorted().toList();
          System.out.printf(
              "drain median %-5s %,.0f/s over %d runs %s (max_concurrency %d)%n",
              kind,
              sorted.get(sorted.size() / 2),
              r.size(),
              r.stream().map(x -> String.format("%,.0f", x)).toList(),
              concurrency);
        });
  }
}
