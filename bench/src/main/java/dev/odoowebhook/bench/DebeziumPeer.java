// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The comparison peer: Debezium embedded (PostgreSQL connector, pgoutput) capturing res_partner
 * from the WAL. Its callback POSTs {"record_id": id} to the receiver, so its latency is measured at
 * the same point as the sidecar's (arrival at the receiver). No snapshot, in-memory offsets, the
 * replication slot is dropped when it stops.
 */
final class DebeziumPeer implements AutoCloseable {
  private static final Pattern AFTER_ID =
      Pattern.compile("\"after\"\\s*:\\s*\\{\\s*\"id\"\\s*:\\s*(\\d+)");
  private final DebeziumEngine<ChangeEvent<String, String>> engine;
  private final ExecutorService executor =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "debezium-engine");
            t.setDaemon(true);
            return t;
          });
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  volatile Throwable failure;

  DebeziumPeer(int port, String db, String slot, Integer pollIntervalMs, String url) {
    Properties p = new Properties();
    p.setProperty("name", "bench-" + slot);
    p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
    p.setProperty("offset.flush.interval.ms", "60000");
    p.setProperty("database.hostname", "127.0.0.1");
    p.setProperty("database.port", Integer.toString(port));
    p.setProperty("database.user", "postgres");
    p.setProperty("database.password", "unused-trust-auth");
    p.setProperty("database.dbname", db);
    p.setProperty("topic.prefix", "bench");
    p.setProperty("table.include.list", "public.res_partner");
    p.setProperty("plugin.name", "pgoutput");
    p.setProperty("slot.name", slot);
    p.setProperty("slot.drop.on.stop", "true");
    p.setProperty("publication.name", "bench_" + slot);
    p.setProperty("publication.autocreate.mode", "filtered");
    p.setProperty("snapshot.mode", "no_data");
    p.setProperty("converter.schemas.enable", "false");
    if (pollIntervalMs != null) {
      p.setProperty("poll.interval.ms", pollIntervalMs.toString());
    }
    URI target = URI.create(url);
    engine =
        DebeziumEngine.create(Json.class)
            .using(p)
            .notifying(record -> post(record, target))
            .using(
                (success, message, error) -> {
                  if (!success && error != null) {
                    failure = error;
                  }
                })
            .build();
    executor.execute(engine);
  }

  private void post(ChangeEvent<String, String> record, URI target) {
    String value = record.value();
    if (value == null) {
      return;
    }
    Matcher m = AFTER_ID.matcher(value);
    if (!m.find()) {
      return;
    }
    try {
      http.send(
          HttpRequest.newBuilder(target)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"record_id\":" + m.group(1) + "}"))
              .build(),
          HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      failure = e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return failure == null
        ? "Debezium engine (no error reported)"
        : "Debezium engine failed: " + failure;
  }

  @Override
  public void close() throws IOException {
    engine.close();
    executor.shutdown();
    try {
      executor.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
