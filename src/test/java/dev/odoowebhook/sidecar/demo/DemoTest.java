// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.OdooWebhookSidecar;
import dev.odoowebhook.sidecar.support.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The `demo` command as a user runs it: a process that prints verified deliveries, answers /health
 * and /metrics, and on SIGTERM stops everything, exits 0 and leaves nothing behind.
 */
class DemoTest {
  private static final int DELIVERIES = 8;

  @Test
  void shouldDeliverVerifiedWebhooksAndLeaveNothingBehindOnSigterm() throws Exception {
    int adminPort = freePort();
    Path log = Files.createTempFile("demo-", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                OdooWebhookSidecar.class.getName(),
                "demo")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("WEBHOOK_HTTP_PORT", Integer.toString(adminPort));
    Process demo = pb.start();
    try {
      Await.until(
          DELIVERIES + " verified deliveries",
          Duration.ofSeconds(120),
          () -> read(log).contains("Done: "),
          () -> read(log));
      String out = read(log);
      assertEquals(DELIVERIES, count(out, " verified  "), out);
      assertTrue(
          out.contains(
              "Done: "
                  + DELIVERIES
                  + " deliveries verified, 1 refused once and retried, 0 with a bad signature"),
          out);
      assertTrue(out.contains("REFUSED   sale.order 1 write"), "a refusal:\n" + out);
      assertTrue(
          out.contains("(4 changes merged)  amount_total: 1200.0 -> 1500.0"),
          "merged into the retry:\n" + out);
      assertTrue(out.contains("the retry of the refused delivery"), out);
      assertTrue(
          out.contains("confirmed-orders verified  sale.order 1 write  state: 'draft' -> 'sale'"),
          out);
      assertEquals(1, count(out, "confirmed-orders verified"), "only the confirmation:\n" + out);
      assertTrue(out.contains("res.partner 3 unlink"), out);
      assertTrue(
          out.contains("(nothing arrived, as it should)"), "the rollback sent nothing:\n" + out);
      assertFalse(out.contains("still waiting"), out);

      String admin = "http://127.0.0.1:" + adminPort;
      assertTrue(out.contains("health " + admin + "/health, metrics " + admin + "/metrics"), out);
      assertEquals(200, get(admin + "/health").statusCode());
      HttpResponse<String> metrics = get(admin + "/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("webhook_"), metrics.body());

      Path data = Path.of(match(out, "data in (\\S+)"));
      int pgPort = Integer.parseInt(match(out, "jdbc:postgresql://127.0.0.1:(\\d+)/odoo_demo"));
      assertTrue(Files.isDirectory(data), data + " exists while it runs");
      assertFalse(processesMentioning(data.toString()).isEmpty(), "its PostgreSQL runs");

      demo.destroy(); // SIGTERM, as Ctrl-C's SIGINT
      assertTrue(demo.waitFor(60, TimeUnit.SECONDS), "stopped within 60 s:\n" + read(log));
      assertEquals(0, demo.exitValue(), read(log));
      assertTrue(
          read(log).contains("Stopped: PostgreSQL stopped, " + data + " removed."), read(log));
      assertFalse(Files.exists(data), "data folder removed");
      assertEquals(List.of(), processesMentioning(data.toString()), "no PostgreSQL process left");
      assertFalse(listening(pgPort), "nothing listens on PostgreSQL's port any more");
      assertFalse(listening(adminPort), "nor on the admin port");
    } finally {
      if (demo.isAlive()) { // a failed assertion: SIGTERM still, so its PostgreSQL stops too
        demo.destroy();
        if (!demo.waitFor(60, TimeUnit.SECONDS)) {
          demo.destroyForcibly();
          demo.waitFor(10, TimeUnit.SECONDS);
        }
      }
      Files.deleteIfExists(log);
    }
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /** Process ids whose command line names {@code text} (Linux /proc). */
  private static List<String> processesMentioning(String text) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs
          .filter(p -> p.getFileName().toString().matches("\\d+"))
          .filter(
              p -> {
                try {
                  return new String(
                          Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                      .contains(text);
                } catch (IOException e) {
                  return false; // ended meanwhile
                }
              })
          .map(p -> p.getFileName().toString())
          .toList();
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      return s.isConnected();
    } catch (IOException e) {
      return false;
    }
  }

  private static String match(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertTrue(m.find(), regex + " in:\n" + text);
    return m.group(1);
  }

  private static int count(String text, String part) {
    return text.split(Pattern.quote(part), -1).length - 1;
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
