// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The demo's webhook receiver on 127.0.0.1: checks every request's Standard Webhooks signature with
 * the subscribers' secret (401 if it does not verify, or if its timestamp is more than five minutes
 * off), answers 204, and prints one line per delivery. On request it refuses the next delivery once
 * with 503, to show a retry. Thread-safe.
 */
final class VerifyingReceiver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long TOLERANCE_SECONDS = 300;

  private final String secret;
  private final PrintStream out;
  private final HttpServer server;
  private final ExecutorService executor =
      Executors.newFixedThreadPool(
          4,
          r -> {
            Thread t = new Thread(r, "demo-receiver");
            t.setDaemon(true);
            return t;
          });
  private int verified;
  private int refused;
  private int invalid;
  private boolean refuseNext;
  private long refusedDelivery = -1;

  VerifyingReceiver(String secret, PrintStream out) throws IOException {
    this.secret = secret;
    this.out = out;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next delivery, whichever it is, is answered 503 once. */
  synchronized void refuseNextOnce() {
    refuseNext = true;
  }

  synchronized int verified() {
    return verified;
  }

  synchronized int refused() {
    return refused;
  }

  synchronized int invalid() {
    return invalid;
  }

  /** Waits until {@code total} deliveries in all were verified; false if the time ran out. */
  synchronized boolean awaitVerified(int total, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (verified < total) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /** Waits until {@code total} deliveries in all were refused; false if the time ran out. */
  synchronized boolean awaitRefused(int total, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (refused < total) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange;
        InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readAllBytes();
      String subscriber = exchange.getRequestURI().getPath().replaceFirst("^/", "");
      String id = exchange.getRequestHeaders().getFirst("webhook-id");
      String problem =
          signatureProblem(
              id,
              exchange.getRequestHeaders().getFirst("webhook-timestamp"),
              exchange.getRequestHeaders().getFirst("webhook-signature"),
              body);
      int status = answer(subscriber, id, problem, body);
      exchange.sendResponseHeaders(status, -1);
    } catch (RuntimeException e) {
      out.println("  receiver: cannot read a request (" + e + ")");
      exchange.sendResponseHeaders(400, -1);
    }
  }

  private synchronized int answer(String subscriber, String id, String problem, byte[] body)
      throws IOException {
    String label = String.format("  %-16s ", subscriber);
    if (problem != null) {
      invalid++;
      out.println(label + "INVALID   " + problem + " [" + id + "]: answered 401");
      notifyAll();
      return 401;
    }
    JsonNode data = JSON.readTree(body).path("data");
    long delivery = data.path("delivery_id").asLong();
    if (refuseNext) {
      refuseNext = false;
      refused++;
      refusedDelivery = delivery;
      out.println(
          label
              + "REFUSED   "
              + describe(data)
              + " ["
              + id
              + "]: answered 503 on purpose;"
              + " the sidecar retries in about 2 s");
      notifyAll();
      return 503;
    }
    verified++;
    String retry = delivery == refusedDelivery ? ", the retry of the refused delivery" : "";
    out.println(label + "verified  " + describe(data) + " [" + id + retry + "]");
    notifyAll();
    return 204;
  }

  /** One readable line: the record, the event, merged events, and the changes. */
  static String describe(JsonNode data) {
    int merged = data.path("coalesced_count").asInt(1);
    StringBuilder line =
        new StringBuilder()
            .append(data.path("model").asText())
            .append(' ')
            .append(data.path("record_id").asLong())
            .append(' ')
            .append(data.path("event").asText());
    if (merged > 1) {
      line.append(" (").append(merged).append(" changes merged)");
    }
    List<String> changes = new ArrayList<>();
    for (Map.Entry<String, JsonNode> field : data.path("changes").properties()) {
      JsonNode old = field.getValue().path("old");
      JsonNode now = field.getValue().path("new");
      String event = data.path("event").asText();
      changes.add(
          field.getKey()
              + ": "
              + ("create".equals(event)
                  ? show(now)
                  : "unlink".equals(event) ? show(old) : show(old) + " -> " + show(now)));
    }
    if (!changes.isEmpty()) {
      line.append("  ").append(String.join(", ", changes));
    }
    return line.toString();
  }

  private static String show(JsonNode v) {
    return v == null || v.isMissingNode() || v.isNull()
        ? "null"
        : v.isTextual() ? "'" + v.asText() + "'" : v.toString();
  }

  /** Why a request's signature does not verify, or null when it does (Standard Webhooks). */
  private String signatureProblem(String id, String timestamp, String signatures, byte[] body) {
    if (id == null || timestamp == null || signatures == null) {
      return "no webhook-id, webhook-timestamp or webhook-signature header";
    }
    long ts;
    try {
      ts = Long.parseLong(timestamp);
    } catch (NumberFormatException e) {
      return "webhook-timestamp is not a number";
    }
    if (Math.abs(Instant.now().getEpochSecond() - ts) > TOLERANCE_SECONDS) {
      return "webhook-timestamp is more than 5 minutes off";
    }
    byte[] expected =
        WebhookSigner.signatureHeader(List.of(secret), id, ts, body)
            .getBytes(StandardCharsets.US_ASCII);
    for (String candidate : signatures.split(" ")) {
      if (MessageDigest.isEqual(expected, candidate.getBytes(StandardCharsets.US_ASCII))) {
        return null;
      }
    }
    return "no signature verifies with the subscriber's secret";
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
