// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import dev.odoowebhook.sidecar.support.TestPostgres;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * docs/dba.md as a DBA follows it, with real roles (issue 18, points 9 and 10): Odoo's database
 * belongs to a role that is neither superuser nor CREATEROLE; it runs `migrate` (told in one line
 * that the ALTER TABLE event trigger needs a superuser), a superuser creates webhook_sidecar with
 * sql/optional/sidecar_role.sql, the owner grants and tracks, and the role runs the sidecar's jobs,
 * reading the table tracked after it was created without anyone re-running a script.
 */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class DbaPathTest {
  static CommandLine cli;

  @Test
  void shouldWorkInTheDocumentedOrderWithANonSuperuserOwner(TestDatabase any) throws Exception {
    String owner = "webhook_test_owner_" + UUID.randomUUID().toString().substring(0, 8);
    admin(any, "CREATE ROLE " + owner + " LOGIN NOSUPERUSER NOCREATEROLE");
    try (TestDatabase odoo = TestPostgres.get().newDatabase()) {
      String name = odoo.url().substring(odoo.url().lastIndexOf('/') + 1);
      admin(any, "ALTER DATABASE " + name + " OWNER TO " + owner);
      try (Connection c = DriverManager.getConnection(odoo.url(), owner, "")) {
        c.createStatement().execute(TestDatabase.ODOO_LIKE_PARTNER);
      }
      Map<String, String> asOwner = env(odoo, owner);

      // The role script stops at its first error and exits non-zero: here, no schema yet.
      Psql early = psql(odoo, owner, "-f", "sql/optional/sidecar_role.sql");
      assertEquals(3, early.code, early.output);
      assertTrue(
          early.output.contains("run `java -jar odoo-webhook-sidecar.jar migrate`"), early.output);

      // 2. migrate as the owner: one line says the event trigger was not created and what to do.
      CommandLine.Result migrate = cli.run(asOwner, "migrate");
      assertEquals(0, migrate.code(), migrate.toString());
      List<String> about =
          migrate.err().lines().filter(l -> l.contains("ALTER TABLE event trigger")).toList();
      assertEquals(1, about.size(), migrate.err());
      assertTrue(about.get(0).contains("run `track MODEL` again"), about.get(0));

      // 3. a superuser (or a CREATEROLE role) creates the role; the owner grants.
      boolean roleExisted =
          Boolean.TRUE.equals(
              odoo.value(
                  "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'webhook_sidecar')",
                  Boolean.class));
      if (!roleExisted) {
        Psql refused = psql(odoo, owner, "-f", "sql/optional/sidecar_role.sql");
        assertEquals(3, refused.code, refused.output);
        assertTrue(refused.output.contains("may not create roles"), refused.output);
      }
      Psql dba =
          psql(odoo, odoo.user(), "-v", "ON_ERROR_STOP=1", "-f", "sql/optional/sidecar_role.sql");
      assertEquals(0, dba.code, dba.output);
      Psql grant =
          psql(odoo, owner, "-v", "ON_ERROR_STOP=1", "-c", "SELECT webhook_grant_sidecar_role()");
      assertEquals(0, grant.code, grant.output);

      // 4. track as the owner, after the role exists: the grant follows by itself.
      CommandLine.Result track = cli.run(asOwner, "track", "res.partner");
      assertEquals(0, track.code(), track.toString());
      assertEquals(
          Boolean.TRUE,
          odoo.value(
              "SELECT has_table_privilege('webhook_sidecar', 'res_partner', 'SELECT')",
              Boolean.class));

      // 5. the sidecar's role runs its jobs: the cleanup reads the tracked table.
      Map<String, String> asSidecar = env(odoo, "webhook_sidecar");
      CommandLine.Result cleanup = cli.run(asSidecar, "cleanup");
      assertEquals(0, cleanup.code(), cleanup.toString());
      CommandLine.Result status = cli.run(asSidecar, "status");
      assertEquals(0, status.code(), status.toString());
      assertTrue(
          status.out().contains("Installation: The database the sidecar was set up on"),
          status.out());
    } finally {
      admin(any, "DROP ROLE IF EXISTS " + owner);
    }
  }

  private static Map<String, String> env(TestDatabase db, String user) {
    Map<String, String> env = db.env();
    env.put("WEBHOOK_DB_USER", user);
    env.put("WEBHOOK_DB_PASSWORD", "");
    return env;
  }

  private static void admin(TestDatabase any, String sql) throws SQLException {
    String url = any.url();
    try (Connection c =
        DriverManager.getConnection(
            url.substring(0, url.lastIndexOf('/') + 1) + "postgres", any.user(), any.password())) {
      c.createStatement().execute(sql);
    }
  }

  private record Psql(int code, String output) {}

  /** psql as a DBA runs it, as {@code user}, in the test database. */
  private static Psql psql(TestDatabase db, String user, String... args) throws Exception {
    URI uri = URI.create(db.url().substring("jdbc:".length()));
    List<String> command = new ArrayList<>(List.of("psql", "-X", "-d", uri.getPath().substring(1)));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("PGHOST", uri.getHost());
    pb.environment().put("PGPORT", String.valueOf(uri.getPort() < 0 ? 5432 : uri.getPort()));
    pb.environment().put("PGUSER", user);
    pb.environment().put("PGPASSWORD", user.equals(db.user()) ? db.password() : "");
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "psql did not end");
    return new Psql(p.exitValue(), output);
  }
}
