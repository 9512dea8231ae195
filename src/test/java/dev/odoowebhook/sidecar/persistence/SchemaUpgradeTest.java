// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * The layout of sql/: one versioned file of tables, one repeatable file per step holding each
 * function once. A database migrated by the last released layout (V1..V10 of release d8aebd4, kept
 * as the fixture src/test/resources/legacy-sql) upgrades to exactly the schema of a fresh one, and
 * sql/install.sql (psql) gives the same schema as `migrate`.
 */
class SchemaUpgradeTest {
  private static final Path SQL = Path.of("sql");

  /** Columns added to the sidecar's tables after the released layout (V13: content). */
  private static final String ADDED_COLUMNS =
      "['captured_fields', 'capture_limit_bytes', 'old_values',"
          + " 'new_values', 'changes', 'payload', 'record_fields', 'domain', 'domain_path', 'paused', 'content', 'max_backoff_ms',"
          + " 'cancelled_at', 'cancelled_by', 'test', 'domain_fields']";

  /** The versions of sql/V*.sql, lowest first: V11 (the tables) and any table change after it. */
  private static List<String> versions() {
    try (Stream<Path> files = Files.list(SQL)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.matches("V\\d+__.*\\.sql"))
          .map(n -> n.substring(1, n.indexOf("__")))
          .sorted(java.util.Comparator.comparingInt(Integer::parseInt))
          .toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String latest() {
    List<String> v = versions();
    return v.get(v.size() - 1);
  }

  @Test
  void shouldUpgradeADatabaseMigratedByTheLastReleasedLayout() throws Exception {
    TestPostgres server = TestPostgres.get();
    try (TestDatabase old = server.newDatabase();
        TestDatabase fresh = server.newDatabase();
        Database oldPool = Database.open(old.config(Map.of()), 2, "upgrade-old");
        Database freshPool = Database.open(fresh.config(Map.of()), 2, "upgrade-fresh")) {
      // Odoo's database is never empty: Flyway baselines it at version 0.
      old.exec(TestDatabase.ODOO_LIKE_PARTNER);
      fresh.exec(TestDatabase.ODOO_LIKE_PARTNER);
      // Exactly as the released SchemaMigrator did, with the released files.
      Flyway.configure()
          .dataSource(oldPool.dataSource())
          .locations("classpath:legacy-sql")
          .table(SchemaMigrator.HISTORY_TABLE)
          .baselineOnMigrate(true)
          .baselineVersion("0")
          .placeholderReplacement(false)
          .load()
          .migrate();
      assertEquals(10, old.count("SELECT max(version::int) FROM " + SchemaMigrator.HISTORY_TABLE));

      old.exec("SELECT webhook_track('res.partner')");
      long subscriber =
          old.addSubscriber(
              "erp",
              "https://erp.example.com/hook",
              "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
              "",
              "");
      old.exec("INSERT INTO res_partner (name) VALUES ('sent one'), ('pending one')");
      assertEquals(2, old.count("SELECT webhook_route_events()"));
      long sentId =
          old.count(
              "SELECT id FROM webhook_claim_deliveries('old-sidecar', 1, interval '1 minute',"
                  + " ARRAY["
                  + subscriber
                  + "]::bigint[], ARRAY[1])");
      assertEquals(
          "sent",
          old.value(
              "SELECT webhook_finish_attempt("
                  + sentId
                  + ", 'old-sidecar', true,"
                  + " now(), 12, 'msg_1', 200, NULL, NULL, 'ok')",
              String.class));
      long pendingRecord =
          old.count("SELECT record_id FROM webhook_delivery WHERE status = 'pending'");
      // One event not routed yet when the upgrade comes.
      old.exec("UPDATE res_partner SET email = 'pending@example.com' WHERE id = " + pendingRecord);
      Map<String, List<String>> before = data(old);

      String version = SchemaMigrator.migrate(oldPool.dataSource());

      assertEquals(latest(), version);
      Map<String, List<String>> after = data(old);
      // Tables added since the released layout start empty; the others keep every row.
      after.entrySet().removeIf(t -> !before.containsKey(t.getKey()) && t.getValue().isEmpty());
      assertEquals(before, after, "the upgrade changes no row");
      List<String> history =
          new ArrayList<>(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"));
      history.addAll(versions());
      assertEquals(
          history,
          old
              .rows(
                  "SELECT version FROM "
                      + SchemaMigrator.HISTORY_TABLE
                      + " WHERE version IS NOT NULL ORDER BY installed_rank")
              .stream()
              .map(r -> String.valueOf(r.get("version")))
              .toList(),
          "the released history rows stay; V11 follows them");

      SchemaMigrator.migrate(freshPool.dataSource());
      fresh.exec("SELECT webhook_track('res.partner')");
      assertCatalogsEqual(catalog(fresh), catalog(old));

      // The pipeline still works on the upgraded database: the waiting event merges into the
      // pending delivery, a new record gets its own.
      old.exec("INSERT INTO res_partner (name) VALUES ('after the upgrade')");
      assertEquals(2, old.count("SELECT webhook_route_events()"));
      assertEquals(
          1,
          old.count(
              "SELECT count(*) FROM webhook_delivery d JOIN res_partner p ON p.id = d.record_id"
                  + " WHERE p.name = 'after the upgrade' AND d.status = 'pending' AND d.event = 'create'"));
      assertEquals(
          2,
          old.count(
              "SELECT coalesced_count FROM webhook_delivery"
                  + " WHERE record_id = "
                  + pendingRecord
                  + " AND status = 'pending'"));
      assertEquals(4, old.count("SELECT max(routed_seq) FROM webhook_event"), "the cursor goes on");

      assertEquals(
          latest(),
          SchemaMigrator.migrate(oldPool.dataSource()),
          "migrating again changes nothing");
      assertCatalogsEqual(catalog(fresh), catalog(old));
    }
  }

  @Test
  void shouldInstallWithPsqlTheSameSchemaAsMigrate() throws Exception {
    TestPostgres server = TestPostgres.get();
    try (TestDatabase viaPsql = server.newDatabase();
        TestDatabase viaFlyway = server.newDatabase();
        Database flywayPool = Database.open(viaFlyway.config(Map.of()), 2, "install-flyway")) {
      SchemaMigrator.migrate(flywayPool.dataSource());
      String output = psql(viaPsql, SQL.resolve("install.sql"));
      assertEquals(
          0L,
          viaPsql.count(
              "SELECT count(*) FROM pg_class WHERE relname = '"
                  + SchemaMigrator.HISTORY_TABLE
                  + "'"),
          output);
      assertCatalogsEqual(catalog(viaFlyway), catalog(viaPsql));
      // Re-runnable: a second run changes nothing.
      psql(viaPsql, SQL.resolve("install.sql"));
      assertCatalogsEqual(catalog(viaFlyway), catalog(viaPsql));
      // `migrate` afterwards records the files (docs/dba.md says so), changing nothing else.
      try (Database psqlPool = Database.open(viaPsql.config(Map.of()), 2, "install-psql")) {
        assertEquals(latest(), SchemaMigrator.migrate(psqlPool.dataSource()));
      }
      assertCatalogsEqual(catalog(viaFlyway), catalog(viaPsql));
    }
  }

  @Test
  void shouldApplyInInstallSqlExactlyTheFilesOfSqlInFlywaysOrder() throws Exception {
    List<String> listed = new ArrayList<>();
    Matcher m =
        Pattern.compile("(?m)^\\\\ir\\s+(\\S+)\\s*$")
            .matcher(Files.readString(SQL.resolve("install.sql")));
    while (m.find()) {
      listed.add(m.group(1));
    }
    try (TestDatabase db = TestDatabase.createMigrated()) {
      // The order Flyway really applied them in, on a fresh database.
      List<String> applied =
          db
              .rows(
                  "SELECT script FROM "
                      + SchemaMigrator.HISTORY_TABLE
                      + " WHERE type = 'SQL' ORDER BY installed_rank")
              .stream()
              .map(r -> (String) r.get("script"))
              .toList();
      assertEquals(applied, listed, "sql/install.sql applies the files in Flyway's order");
    }
    try (Stream<Path> files = Files.list(SQL)) {
      assertEquals(
          new TreeSet<>(
              files
                  .map(p -> p.getFileName().toString())
                  .filter(n -> n.matches("(V\\d+__|R__).*\\.sql"))
                  .toList()),
          new TreeSet<>(listed),
          "sql/install.sql lists every V and R file of sql/, and no other");
    }
  }

  @Test
  void shouldDefineEveryFunctionInOneFileOnly() throws IOException {
    Pattern create =
        Pattern.compile(
            "(?i)\\bCREATE\\s+(?:OR\\s+REPLACE\\s+)?FUNCTION\\s+(?:public\\.)?\"?([a-z_][a-z0-9_]*)");
    Map<String, TreeSet<String>> filesOf = new TreeMap<>();
    try (Stream<Path> files = Files.list(SQL)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".sql")).sorted().toList()) {
        Matcher m = create.matcher(Files.readString(file));
        while (m.find()) {
          filesOf
              .computeIfAbsent(m.group(1).toLowerCase(java.util.Locale.ROOT), k -> new TreeSet<>())
              .add(file.getFileName().toString());
        }
      }
    }
    assertTrue(filesOf.size() > 40, "found the functions: " + filesOf.keySet());
    List<String> twice =
        filesOf.entrySet().stream()
            .filter(e -> e.getValue().size() > 1)
            .map(e -> e.getKey() + " in " + e.getValue())
            .toList();
    assertEquals(List.of(), twice, "each function has one current definition, in one file of sql/");
  }

  /** Every row of the sidecar's tables, as JSON text, per table. */
  private static Map<String, List<String>> data(TestDatabase db) {
    Map<String, List<String>> rows = new TreeMap<>();
    for (Map<String, Object> t :
        db.rows(
            "SELECT relname FROM pg_class WHERE relkind = 'r'"
                + " AND relnamespace = 'public'::regnamespace AND relname LIKE 'webhook\\_%'"
                + " AND relname <> '"
                + SchemaMigrator.HISTORY_TABLE
                + "'"
                // New since the released layout (V15): its one row is recorded by the upgrade.
                + " AND relname <> 'webhook_installation' ORDER BY 1")) {
      String table = (String) t.get("relname");
      // Only the columns of the released layout: columns added since (V13 ...) are new, not
      // changed.
      rows.put(
          table,
          db
              .rows(
                  "SELECT (SELECT jsonb_object_agg(key, value) FROM jsonb_each(to_jsonb(t))"
                      + " WHERE key <> ALL (ARRAY"
                      + ADDED_COLUMNS
                      + "))::text AS row FROM "
                      + table
                      + " t ORDER BY 1")
              .stream()
              .map(r -> (String) r.get("row"))
              .toList());
    }
    rows.put(
        "res_partner",
        db.rows("SELECT to_jsonb(t)::text AS row FROM res_partner t ORDER BY 1").stream()
            .map(r -> (String) r.get("row"))
            .toList());
    return rows;
  }

  /**
   * The schema public as text lines, per kind: columns (position, type, default, identity),
   * constraints, indexes, functions, triggers, event triggers, reloptions and sequences. Flyway's
   * history table is left out (psql does not make one).
   */
  private static Map<String, List<String>> catalog(TestDatabase db) {
    String notHistory = " NOT LIKE '" + SchemaMigrator.HISTORY_TABLE + "%'";
    Map<String, String> queries = new TreeMap<>();
    queries.put(
        "columns",
        "SELECT c.relname || '.' || a.attnum || ' ' || a.attname || ' '"
            + " || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END"
            + " || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')"
            + " || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text"
            + " || ' collation=' || a.attcollation::regcollation::text"
            + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            + " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            + " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')"
            + " AND a.attnum > 0 AND NOT a.attisdropped AND c.relname"
            + notHistory);
    queries.put(
        "constraints",
        "SELECT conrelid::regclass::text || ' ' || conname || ' '"
            + " || pg_get_constraintdef(oid) FROM pg_constraint"
            + " WHERE connamespace = 'public'::regnamespace AND conname"
            + notHistory);
    queries.put(
        "indexes",
        "SELECT indexname || ' ' || indexdef FROM pg_indexes"
            + " WHERE schemaname = 'public' AND tablename"
            + notHistory);
    queries.put(
        "functions",
        "SELECT p.oid::regprocedure::text || ' ' || pg_get_functiondef(p.oid)"
            + " FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f'");
    queries.put(
        "triggers",
        "SELECT tgrelid::regclass::text || ' ' || tgname || ' ' || tgenabled::text || ' '"
            + " || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal");
    queries.put(
        "event triggers",
        "SELECT evtname || ' ' || evtevent || ' ' || evtfoid::regproc::text || ' '"
            + " || evtenabled::text || ' ' || coalesce(array_to_string(evttags, ','), '') FROM pg_event_trigger");
    queries.put(
        "reloptions",
        "SELECT relname || ' ' || relkind::text || ' ' || coalesce(array_to_string(reloptions, ','), '')"
            + " FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname"
            + notHistory);
    queries.put(
        "sequences",
        "SELECT sequencename || ' ' || data_type::text || ' ' || start_value || ' '"
            + " || min_value || ' ' || max_value || ' ' || increment_by || ' ' || cycle || ' ' || cache_size"
            + " FROM pg_sequences WHERE schemaname = 'public'");
    Map<String, List<String>> catalog = new TreeMap<>();
    queries.forEach(
        (kind, sql) ->
            catalog.put(
                kind,
                db.rows(sql + " ORDER BY 1").stream()
                    .map(r -> (String) r.values().iterator().next())
                    .toList()));
    return catalog;
  }

  private static void assertCatalogsEqual(
      Map<String, List<String>> expected, Map<String, List<String>> actual) {
    expected.forEach(
        (kind, lines) -> {
          List<String> missing = new ArrayList<>(lines);
          missing.removeAll(actual.get(kind));
          List<String> extra = new ArrayList<>(actual.get(kind));
          extra.removeAll(lines);
          assertEquals(
              lines, actual.get(kind), kind + " differ; missing: " + missing + "; extra: " + extra);
        });
    assertTrue(
        expected.get("functions").size() > 40 && expected.get("indexes").size() > 20,
        "the catalog was read: " + expected.get("indexes"));
  }

  /** Runs the real psql, as DBAs do; returns its output. */
  private static String psql(TestDatabase db, Path script)
      throws IOException, InterruptedException {
    Matcher url =
        Pattern.compile("jdbc:postgresql://([^:/]+)(?::(\\d+))?/([^?]+).*").matcher(db.url());
    assertTrue(url.matches(), db.url());
    ProcessBuilder pb =
        new ProcessBuilder(
                "psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                url.group(1),
                "-p",
                url.group(2) == null ? "5432" : url.group(2),
                "-U",
                db.user(),
                "-d",
                url.group(3),
                "-f",
                script.toString())
            .redirectErrorStream(true);
    pb.environment().put("PGPASSWORD", db.password());
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("psql did not finish: " + output);
    }
    assertEquals(0, p.exitValue(), "psql -f " + script + " failed:\n" + output);
    return output;
  }
}
