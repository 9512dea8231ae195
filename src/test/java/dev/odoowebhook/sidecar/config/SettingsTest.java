// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.persistence.DatabaseErrors;
import java.net.ConnectException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The settings table and the configuration built from it, without a database. */
class SettingsTest {
  private static SidecarConfig config(String... pairs) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return SidecarConfig.fromEnvironment(env);
  }

  private static String refusal(String... pairs) {
    return assertThrows(ConfigException.class, () -> config(pairs)).getMessage();
  }

  @Test
  void shouldRefuseAMisspeltVariableNamingTheClosestSetting() {
    String message = refusal("WEBHOOK_BLOCK_PRIVATE_TARGET", "true");
    assertTrue(
        message.contains(
            "WEBHOOK_BLOCK_PRIVATE_TARGET (did you mean WEBHOOK_BLOCK_PRIVATE_TARGETS?)"),
        message);
    assertFalse(message.contains("\n"), message);
    message = refusal("WEBHOOK_POLL_INTERVALL", "2s", "WEBHOOK_WORKER", "4");
    assertTrue(message.contains("did you mean WEBHOOK_POLL_INTERVAL?"), message);
    assertTrue(message.contains("did you mean WEBHOOK_WORKERS?"), message);
  }

  @Test
  void shouldAcceptTheVariablesThatAreNotSettings() {
    assertNotNull(
        config(
            "WEBHOOK_LOG_LEVEL",
            "DEBUG",
            "WEBHOOK_TEST_DB_URL",
            "x",
            "WEBHOOK_SECRET",
            "x",
            "OTHER_VARIABLE",
            "x"));
  }

  @Test
  void shouldKeepEveryDefaultWithinItsBounds() {
    for (Setting s : Setting.values()) {
      assertEquals(null, SidecarConfig.problemWith(s, s.defaultValue()), s.env());
      if (s.kind().isBounded()) {
        assertEquals(null, SidecarConfig.problemWith(s, s.min()), s.env() + " min");
        assertEquals(null, SidecarConfig.problemWith(s, s.max()), s.env() + " max");
      }
    }
  }

  @Test
  void shouldRefuseDurationsAndNumbersBeyondTheirBounds() {
    for (Setting s : Setting.values()) {
      if (s.kind() == Setting.Kind.DURATION) {
        assertTrue(Durations.parse(s.max()).compareTo(Duration.ofDays(3650)) <= 0, s.env());
        String beyond = Durations.parse(s.max()).plusMillis(1).toMillis() + "ms";
        assertTrue(refusal(s.env(), beyond).contains("expected " + s.range()), s.env());
        // What overflowed the router's wait before: Duration.toNanos of 999999999 days.
        assertTrue(refusal(s.env(), "999999999d").contains(s.env()), s.env());
      } else if (s.kind() == Setting.Kind.POSITIVE_INT || s.kind() == Setting.Kind.PORT) {
        String beyond = Long.toString(Long.parseLong(s.max()) + 1);
        assertTrue(refusal(s.env(), beyond).contains("from " + s.range()), s.env());
      }
    }
  }

  @Test
  void shouldParseEachValueOnceToItsType() {
    SidecarConfig c = config("WEBHOOK_POLL_INTERVAL", "750ms", "WEBHOOK_WORKERS", "7");
    assertEquals(Duration.ofMillis(750), c.duration(Setting.POLL_INTERVAL));
    assertSame(
        c.duration(Setting.POLL_INTERVAL),
        c.duration(Setting.POLL_INTERVAL),
        "parsed when built, not when read");
    assertEquals(7, c.integer(Setting.WORKERS));
    assertThrows(IllegalArgumentException.class, () -> c.duration(Setting.WORKERS));
    assertThrows(IllegalArgumentException.class, () -> c.bool(Setting.POLL_INTERVAL));
  }

  @Test
  void shouldCheckSettingsTogether() {
    String message = refusal("WEBHOOK_HTTP_PORT", "9000", "WEBHOOK_PULL_PORT", "9000");
    assertTrue(message.contains("WEBHOOK_HTTP_PORT and WEBHOOK_PULL_PORT are both 9000"), message);
  }

  @Test
  void shouldMaskAPasswordInsideTheJdbcUrlEverywhere() {
    for (String url :
        new String[] {
          "jdbc:postgresql://127.0.0.1:5432/odoo?password=hunter2&sslmode=require",
          "jdbc:postgresql://odoo:hunter2@127.0.0.1:5432/odoo?sslmode=require"
        }) {
      SidecarConfig c = config("WEBHOOK_DB_URL", url);
      assertFalse(c.describe().contains("hunter2"), c.describe());
      assertTrue(c.describe().contains("<masked>"), c.describe());
      assertFalse(c.dbUrl().contains("hunter2"), c.dbUrl());
      assertTrue(c.dbUrl().endsWith("127.0.0.1:5432/odoo?sslmode=require"), c.dbUrl());
      assertEquals("hunter2", c.text(Setting.DB_PASSWORD), "the URL's password is the one used");
      SQLException down =
          new SQLException("Connection refused", "08001", new ConnectException("refused"));
      String explained = DatabaseErrors.explain(down, c);
      assertFalse(explained.contains("hunter2"), explained);
    }
    assertEquals(
        "odoo",
        config(
                "WEBHOOK_DB_URL",
                "jdbc:postgresql://h/db?user=odoo&password=x",
                "WEBHOOK_DB_USER",
                "other")
            .text(Setting.DB_USER),
        "the URL's user, as pgjdbc");
    assertTrue(
        refusal("WEBHOOK_DB_URL", "jdbc:postgresql://h/db?sslmode=sometimes")
            .contains("sslmode=sometimes is not one of disable, allow, prefer"));
    String message = refusal("WEBHOOK_DB_URL", "jdbc:postgresql://odoo:hunter2@/odoo");
    assertFalse(message.contains("hunter2"), message);
    message =
        refusal(
            "WEBHOOK_DB_URL",
            "jdbc:postgresql://h/db?password=hunter2",
            "WEBHOOK_DB_PASSWORD",
            "pw-separate");
    assertFalse(message.contains("hunter2") || message.contains("pw-separate"), message);
    assertEquals(
        "Cannot connect to jdbc:postgresql://u:<masked>@h/db?sslpassword=<masked>&password=<masked>",
        JdbcUrl.mask("Cannot connect to jdbc:postgresql://u:pw@h/db?sslpassword=k&password=p"));
  }
}
