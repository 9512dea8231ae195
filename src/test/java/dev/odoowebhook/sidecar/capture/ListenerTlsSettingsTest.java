// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.odoowebhook.sidecar.config.JdbcUrl;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** pgjdbc's TLS parameters of WEBHOOK_DB_URL, as the LISTEN connection (pgjdbc-ng) takes them. */
class ListenerTlsSettingsTest {
  private static String mode(String url) {
    return ListenerDataSource.sslMode(JdbcUrl.parse(url).parameters());
  }

  @Test
  void shouldUsePgjdbcsEffectiveSslmode() {
    assertEquals(
        "prefer", mode("jdbc:postgresql://h/db"), "pgjdbc's default, not pgjdbc-ng's disable");
    assertEquals("verify-full", mode("jdbc:postgresql://h/db?ssl=true"));
    assertEquals("prefer", mode("jdbc:postgresql://h/db?ssl=false"));
    assertEquals("require", mode("jdbc:postgresql://h/db?sslmode=require&ssl=true"));
    assertEquals("verify-ca", mode("jdbc:postgresql://h/db?sslmode=verify-ca"));
    assertEquals(
        "require",
        mode("jdbc:postgresql://h/db?ssl=true&sslfactory=org.postgresql.ssl.NonValidatingFactory"));
    assertThrows(
        IllegalArgumentException.class, () -> mode("jdbc:postgresql://h/db?sslmode=sometimes"));
  }

  @Test
  void shouldNameTheTlsParametersItCannotFollow() {
    Map<String, String> p =
        JdbcUrl.parse(
                "jdbc:postgresql://h/db?sslmode=require&sslrootcert=/r.crt"
                    + "&sslhostnameverifier=x.Y&sslfactory=x.Factory&connectTimeout=3")
            .parameters();
    assertEquals(
        List.of("sslhostnameverifier", "sslfactory"), ListenerDataSource.ignoredTlsParameters(p));
  }
}
