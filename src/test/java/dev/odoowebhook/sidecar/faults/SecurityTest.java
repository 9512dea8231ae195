// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.odoowebhook.sidecar.support.Await;
import dev.odoowebhook.sidecar.support.Pipeline;
import dev.odoowebhook.sidecar.support.SidecarProcess;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Secrets stay secret, TLS is verified, internal targets can be refused. */
@Tag("faults")
class SecurityTest {

  @Test
  void shouldRefuseInternalTargetsWhenAskedUnlessAllowListed() {
    try (Pipeline p = new Pipeline()) {
      p.subscribe("internal", "", "");
      p.startSidecar(Map.of("WEBHOOK_BLOCK_PRIVATE_TARGETS", "true"));
      p.partner("blocked");
      p.awaitStatus(1, "dead", Duration.ofSeconds(20));
      assertEquals(
          "blocked_target",
          p.db.value("SELECT last_error_type FROM webhook_delivery", String.class));
      assertTrue(
          p.db
              .value("SELECT last_error FROM webhook_delivery", String.class)
              .contains("WEBHOOK_TARGET_ALLOWLIST"));
      assertEquals(0, p.receiver.requests().size(), "nothing was sent to the internal address");
      p.stopSidecar();

      p.startSidecar(
          Map.of("WEBHOOK_BLOCK_PRIVATE_TARGETS", "true", "WEBHOOK_TARGET_ALLOWLIST", "127.0.0.1"));
      p.partner("allowed");
      Await.until(
          "allow-listed target delivered",
          Duration.ofSeconds(20),
          () -> p.receiver.requests().size() == 1);
    }
  }

  @Test
  void shouldRejectAReceiverWithAnUntrustedCertificate() throws Exception {
    Path dir = Files.createTempDirectory("tls");
    Path keystore = dir.resolve("self-signed.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "receiver",
                "-keyalg",
                "EC",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    assertEquals(0, keytool.waitFor(), new String(keytool.getInputStream().readAllBytes()));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(keystore.toFile())) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(tls));
    AtomicInteger hits = new AtomicInteger();
    https.createContext(
        "/",
        ex -> {
          hits.incrementAndGet();
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    https.start();
    try (Pipeline p = new Pipeline()) {
      p.db.addSubscriber(
          "tls",
          "https://127.0.0.1:" + https.getAddress().getPort() + "/hook",
          p.secret,
          "max_retries",
          "0");
      p.startSidecar(Map.of());
      p.partner("over tls");
      p.awaitStatus(1, "dead", Duration.ofSeconds(20));
      String error = p.db.value("SELECT error_message FROM webhook_attempt", String.class);
      assertEquals(
          "connection", p.db.value("SELECT error_type FROM webhook_attempt", String.class));
      assertTrue(error.toLowerCase().contains("certif") || error.contains("PKIX"), error);
      assertEquals(0, hits.get(), "no request reached a server whose certificate is not trusted");
    } finally {
      https.stop(0);
    }
  }

  @Test
  void shouldKeepSecretsOutOfLogsMetricsAndErrors() throws Exception {
    try (Pipeline p = new Pipeline()) {
      p.subscribe(
          "secretive",
          "max_retries, backoff_base_ms, headers",
          "1, 50, '{\"Authorization\": \"Bearer hdr-t0ken-42\"}'");
      p.receiver.respondWith(
          r -> new dev.odoowebhook.sidecar.support.Receiver.Response(500, Map.of(), "no", 0));
      int port;
      try (ServerSocket free = new ServerSocket(0)) {
        port = free.getLocalPort();
      }
      Map<String, String> env = new HashMap<>(p.db.env());
      env.put("WEBHOOK_DB_PASSWORD", "db-pa55word-42");
      env.put("WEBHOOK_HTTP_PORT", Integer.toString(port));
      env.put("WEBHOOK_POLL_INTERVAL", "500ms");
      try (SidecarProcess sidecar = SidecarProcess.start(env)) {
        p.partner("a");
        p.awaitStatus(1, "dead", Duration.ofSeconds(30));
        HttpClient http = HttpClient.newHttpClient();
        String metrics =
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        String health =
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        assertEquals(0, sidecar.terminate(30));
        String everything =
            sidecar.log()
                + metrics
                + health
                + p.db.rows("SELECT * FROM webhook_attempt")
                + p.db.rows("SELECT last_error FROM webhook_delivery");
        assertTrue(sidecar.log().contains("WEBHOOK_DB_PASSWORD=<masked>"), sidecar.log());
        for (String secret :
            new String[] {p.secret, p.secret.substring(6), "db-pa55word-42", "hdr-t0ken-42"}) {
          assertFalse(
              everything.contains(secret), "a secret leaked: " + secret.substring(0, 4) + "...");
        }
      }
    }
  }
}
