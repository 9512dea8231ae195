// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.odoowebhook.sidecar.capture.RouterState;
import dev.odoowebhook.sidecar.delivery.DeliveryStatus;
import dev.odoowebhook.sidecar.delivery.ErrorType;
import dev.odoowebhook.sidecar.delivery.PayloadMode;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each fixed set is written once per language, and these tests hold them together: the Java enums,
 * the SQL CHECK constraints (and the router's states in its function), and the addon's selections.
 */
class FixedSetsTest {
  static TestDatabase db;

  @BeforeAll
  static void migrate() {
    db = TestDatabase.createMigrated();
  }

  @AfterAll
  static void drop() {
    db.close();
  }

  /** The quoted values of a CHECK constraint's IN list. */
  private static Set<String> checkValues(String constraint) {
    String def =
        db.value(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = ?",
            String.class,
            constraint);
    return quoted(def);
  }

  private static Set<String> quoted(String text) {
    Set<String> values = new TreeSet<>();
    Matcher m = Pattern.compile("'([a-z_]+)'").matcher(text);
    while (m.find()) {
      values.add(m.group(1));
    }
    return values;
  }

  private static Set<String> names(Enum<?>[] values) {
    Set<String> names = new TreeSet<>();
    Arrays.stream(values).forEach(v -> names.add(v.name().toLowerCase(java.util.Locale.ROOT)));
    return names;
  }

  @Test
  void shouldListTheSameDeliveryStatusesInJavaSqlAndTheAddon() throws Exception {
    assertEquals(names(DeliveryStatus.values()), checkValues("webhook_delivery_status_check"));
    String addon =
        Files.readString(Path.of("odoo-addon/webhook_sidecar/models/webhook_delivery.py"));
    Matcher m = Pattern.compile("(?s)STATUS_SELECTION = \\[(.*?)\\]").matcher(addon);
    m.find();
    Set<String> selection = new TreeSet<>();
    Matcher pair = Pattern.compile("\\(\"([a-z_]+)\",").matcher(m.group(1));
    while (pair.find()) {
      selection.add(pair.group(1));
    }
    assertEquals(names(DeliveryStatus.values()), selection, "the addon's STATUS_SELECTION");
  }

  /**
   * The router locks every unsent delivery of a record (webhook_merge_event), so that a replay of a
   * dead or cancelled one takes turns with it: each status but sent, whatever statuses are added.
   */
  @Test
  void shouldLockEveryUnsentStatusWhenTheRouterMergesNews() {
    String def =
        db.value(
            "SELECT pg_get_functiondef('webhook_merge_event(bigint, webhook_event)'::regprocedure)",
            String.class);
    Matcher in = Pattern.compile("AND status IN \\(([^)]*)\\)").matcher(def);
    Set<String> locked = new TreeSet<>();
    while (in.find()) {
      locked.addAll(quoted(in.group(1)));
    }
    Set<String> unsent = names(DeliveryStatus.values());
    unsent.remove(DeliveryStatus.SENT.sqlName());
    assertEquals(unsent, locked);
  }

  @Test
  void shouldListTheSameErrorTypesInJavaAndSql() {
    assertEquals(names(ErrorType.values()), checkValues("webhook_attempt_error_type_check"));
    assertEquals(names(ErrorType.values()), checkValues("webhook_delivery_last_error_type_check"));
  }

  @Test
  void shouldListTheSamePayloadModesInJavaAndSql() {
    assertEquals(names(PayloadMode.values()), checkValues("webhook_subscriber_payload_check"));
  }

  @Test
  void shouldListTheSameRouterStatesInJavaAndTheRoutersFunction() {
    String def =
        db.value(
            "SELECT pg_get_functiondef('webhook_route_or_wait(integer, boolean)'::regprocedure)",
            String.class);
    Set<String> states = new TreeSet<>();
    for (String line : def.split("\n")) {
      if (line.contains("state :=")) {
        states.addAll(quoted(line));
      }
    }
    assertEquals(names(RouterState.values()), states);
  }
}
