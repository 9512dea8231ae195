// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import dev.odoowebhook.sidecar.support.Receiver;
import dev.odoowebhook.sidecar.support.Receiver.Request;
import dev.odoowebhook.sidecar.support.Receiver.Response;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The receiver every scenario posts to: the tests' {@link Receiver} (a hand-written HTTP/1.1
 * keep-alive server, shared through the sidecar's test jar), told not to keep requests but to count
 * them per path, each path an {@link Endpoint}. A body names its record by {@code record_id} (the
 * sidecar, the dispatchers) or, from Debezium Server, by the {@code id} of {@code after}.
 */
final class Endpoints implements AutoCloseable {
  private static final Pattern RECORD_ID = Pattern.compile("\"record_id\"\\s*:\\s*(\\d+)");
  private static final Pattern LAST_EVENT_ID = Pattern.compile("\"last_event_id\"\\s*:\\s*(\\d+)");

  /** Debezium's change event (JSON, no schema): the record is "after"'s first column, id. */
  private static final Pattern AFTER_ID =
      Pattern.compile("\"after\"\\s*:\\s*\\{\\s*\"id\"\\s*:\\s*(\\d+)");

  private static final Pattern DELIVERY_ID = Pattern.compile("\"delivery_id\"\\s*:\\s*(\\d+)");
  private static final Response OK = new Response(200, Map.of(), "", 0);
  private static final Response DOWN = new Response(503, Map.of("Retry-After", "1"), "", 0);

  private final Receiver receiver = new Receiver();
  private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();

  Endpoints() {
    receiver.respondWith(this::respond);
    receiver.sendAnsweredTo(this::record);
  }

  int port() {
    return receiver.port();
  }

  String url(String path) {
    return receiver.url(path);
  }

  Endpoint endpoint(String path) {
    return endpoints.computeIfAbsent(path, p -> new Endpoint());
  }

  private Response respond(Request r) {
    Endpoint e = endpoint(r.path());
    e.requests.incrementAndGet();
    long sleep = e.sleepMs;
    if (e.down) {
      return sleep > 0 ? new Response(503, DOWN.headers(), "", sleep) : DOWN;
    }
    return sleep > 0 ? new Response(200, Map.of(), "", sleep) : OK;
  }

  private void record(Request r) {
    if (!r.answered2xx()) {
      return;
    }
    Endpoint e = endpoint(r.path());
    long now = r.nanos();
    String text = r.body();
    long record = find(RECORD_ID, text);
    if (record < 0) {
      record = find(AFTER_ID, text);
    }
    if (record >= 0) {
      e.firstArrival.putIfAbsent(record, now);
      long last = find(LAST_EVENT_ID, text);
      if (last >= 0) {
        e.lastEventId.merge(record, last, Math::max);
      }
    }
    long delivery = find(DELIVERY_ID, text);
    if (delivery >= 0) {
      e.deliveries.merge(delivery, 1, Integer::sum);
    }
    synchronized (e) {
      if (e.firstOkNanos == 0) {
        e.firstOkNanos = now;
      }
      e.lastOkNanos = Math.max(e.lastOkNanos, now);
    }
    e.ok.incrementAndGet();
  }

  private static long find(Pattern p, String text) {
    Matcher m = p.matcher(text);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  @Override
  public void close() {
    receiver.close();
  }
}
