// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP layer on its own, against a raw socket server on 127.0.0.1 whose answers it controls
 * byte by byte: what the receiver gets, what a slow or huge answer costs, connection reuse.
 */
class PostWebhookTest {
  private static final byte[] BODY =
      "{\"type\":\"res.partner.write\"}".getBytes(StandardCharsets.UTF_8);

  /** How the raw server answers each request: it writes to the socket itself. */
  private interface Answer {
    void write(OutputStream out) throws IOException, InterruptedException;
  }

  private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
  private final AtomicInteger connections = new AtomicInteger();
  private final List<List<String>> requestHeaders = new CopyOnWriteArrayList<>();
  private volatile Answer answer = out -> out.write(ok("ok"));
  private final PostWebhook http =
      new PostWebhook(Duration.ofSeconds(2), "test", TargetPolicy.allowAll(), 4);

  PostWebhookTest() throws IOException {
    Thread accept =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket s = server.accept();
                  connections.incrementAndGet();
                  Thread t = new Thread(() -> serve(s));
                  t.setDaemon(true);
                  t.start();
                } catch (IOException closed) {
                  return;
                }
              }
            });
    accept.setDaemon(true);
    accept.start();
  }

  @AfterEach
  void close() throws IOException {
    http.close();
    server.close();
  }

  private void serve(Socket s) {
    try (s;
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1))) {
      while (true) {
        List<String> headers = new ArrayList<>();
        String line;
        int length = 0;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
          headers.add(line);
          if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        if (line == null) {
          return;
        }
        in.skip(length);
        requestHeaders.add(headers);
        answer.write(s.getOutputStream());
        s.getOutputStream().flush();
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      // The client hung up (a deadline, a test's end).
    }
  }

  private static byte[] ok(String body) {
    return ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  private Subscriber subscriber(Map<String, String> headers, Duration timeout) {
    return new Subscriber(
        1,
        "test",
        URI.create("http://127.0.0.1:" + server.getLocalPort() + "/hook"),
        WebhookSigner.newSecret(),
        null,
        null,
        true,
        timeout,
        null,
        4,
        headers,
        Instant.now());
  }

  private AttemptResult post(Subscriber s) {
    return http.post(s, "msg_1_0", BODY, s.timeout(), Instant.now());
  }

  @Test
  void shouldReuseOneConnectionForRequestsInARow() {
    for (int i = 0; i < 50; i++) {
      assertTrue(post(subscriber(Map.of(), Duration.ofSeconds(2))).success());
    }
    assertEquals(50, requestHeaders.size());
    assertEquals(1, connections.get(), "keep-alive: one connection for 50 requests in a row");
  }

  @Test
  void shouldGiveUpOnABodyThatTricklesPastTheTimeout() {
    answer =
        out -> {
          out.write(
              "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                  .getBytes(StandardCharsets.ISO_8859_1));
          for (int i = 0;
              i < 100;
              i++) { // one byte every 50 ms: each read is quick, the whole is 5 s
            out.write('x');
            out.flush();
            Thread.sleep(50);
          }
        };
    long start = System.nanoTime();
    AttemptResult r = post(subscriber(Map.of(), Duration.ofMillis(400)));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(ErrorType.TIMEOUT, r.errorType(), r.toString());
    assertTrue(tookMs < 2_000, "the deadline bounds the whole answer, took " + tookMs + " ms");
    answer = out -> out.write(ok("ok"));
    assertTrue(
        post(subscriber(Map.of(), Duration.ofSeconds(2))).success(), "the next request works");
  }

  @Test
  void shouldKeepAnExcerptOfAHugeAnswerAndGoOn() {
    String huge = "e".repeat(5_000_000);
    answer =
        out ->
            out.write(
                ("HTTP/1.1 500 Boom\r\nContent-Length: " + huge.length() + "\r\n\r\n" + huge)
                    .getBytes(StandardCharsets.ISO_8859_1));
    AttemptResult r = post(subscriber(Map.of(), Duration.ofSeconds(5)));
    assertEquals(ErrorType.HTTP_ERROR, r.errorType());
    assertEquals(PostWebhook.EXCERPT_BYTES, r.responseExcerpt().length());
    answer = out -> out.write(ok("ok"));
    assertTrue(post(subscriber(Map.of(), Duration.ofSeconds(2))).success());
  }

  @Test
  void shouldSendCustomHeadersButKeepTheSignatureHeadersItsOwn() {
    AttemptResult r =
        post(subscriber(Map.of("X-Tenant", "acme", "webhook-id", "forged"), Duration.ofSeconds(2)));
    assertTrue(r.success(), r.toString());
    List<String> h = requestHeaders.get(0);
    assertTrue(h.contains("X-Tenant: acme"), h.toString());
    assertEquals(
        List.of("webhook-id: msg_1_0"),
        h.stream().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("webhook-id:")).toList());
    assertTrue(h.contains("Content-Type: application/json"), h.toString());
    assertTrue(h.contains("User-Agent: odoo-webhook-sidecar/test"), h.toString());
  }

  @Test
  void shouldRefuseACustomHeaderThatWouldBreakTheRequestsFraming() {
    AttemptResult r = post(subscriber(Map.of("Content-Length", "1"), Duration.ofSeconds(2)));
    assertEquals(ErrorType.INVALID_URL, r.errorType());
    assertTrue(r.giveUp());
    assertTrue(r.errorMessage().contains("Content-Length"), r.errorMessage());
    assertEquals(0, requestHeaders.size(), "nothing was sent");
  }
}
