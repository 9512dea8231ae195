// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.support.Pipeline;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /health of a sidecar started on a copy of its database: failing until an admin confirms. */
class HealthOfACopyTest {
  static Pipeline p;

  @BeforeAll
  static void start() {
    p = new Pipeline();
  }

  @AfterAll
  static void stop() {
    p.close();
  }

  private static JsonNode health(int port, int status) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(status, r.statusCode(), r.body());
    return new ObjectMapper().readTree(r.body());
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void shouldFailHealthNamingTheInstallationWhileACopyHoldsItsDeliveries() throws Exception {
    int port = freePort();
    Sidecar sidecar = p.startSidecar(Map.of("WEBHOOK_HTTP_PORT", Integer.toString(port)));
    assertEquals("original", health(port, 200).path("installation").asText());
    p.stopSidecar();
    // As if this database had been restored elsewhere: its recorded identity is another's.
    p.db.exec("UPDATE webhook_installation SET database_oid = 1");
    sidecar = p.startSidecar(Map.of("WEBHOOK_HTTP_PORT", Integer.toString(port)));
    JsonNode held = health(port, 503);
    assertEquals("installation", held.path("failing").asText(), held.toString());
    assertTrue(held.path("installation_message").asText().contains("confirm"), held.toString());
    p.db.exec("SELECT webhook_confirm_copy()");
    assertEquals("ok", health(port, 200).path("status").asText());
    assertTrue(sidecar.adminPort() == port);
  }
}
