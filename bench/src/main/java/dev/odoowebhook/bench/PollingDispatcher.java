// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The cron / Hasura-default approach: every second, select the webhook_event rows newer than the
 * last one seen and POST each to the receiver, one after the other.
 */
final class PollingDispatcher implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;
  volatile Throwable failure;

  PollingDispatcher(TempCluster pg, String db, String url) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    URI target = URI.create(url);
    thread =
        new Thread(
            () -> {
              try (Connection c = pg.connect(db);
                  PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT id, record_id FROM webhook_event WHERE id > ? ORDER BY id")) {
                long last;
                try (var st = c.createStatement();
                    var rs = st.executeQuery("SELECT coalesce(max(id), 0) FROM webhook_event")) {
                  rs.next();
                  last = rs.getLong(1);
                }
                long next = System.nanoTime();
                while (running.get()) {
                  ps.setLong(1, last);
                  try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                      last = rs.getLong(1);
                      http.send(
                          HttpRequest.newBuilder(target)
                              .header("Content-Type", "application/json")
                              .POST(
                                  HttpRequest.BodyPublishers.ofString(
                                      "{\"record_id\":"
                                          + rs.getLong(2)
                                          + ",\"last_event_id\":"
                                          + last
                                          + "}"))
                              .build(),
                          HttpResponse.BodyHandlers.discarding());
                    }
                  }
                  next += 1_000_000_000L;
                  while (running.get() && System.nanoTime() < next) {
                    Thread.sleep(Math.max(1, Math.min(50, (next - System.nanoTime()) / 1_000_000)));
                  }
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (Exception e) {
                failure = e;
              }
            },
            "poll-every-second");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(10_000);
  }
}
