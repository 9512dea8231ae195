// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static dev.odoowebhook.sidecar.support.CommandLine.assertOneClearLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.cli.Cli;
import dev.odoowebhook.sidecar.support.CliProcess;
import dev.odoowebhook.sidecar.support.CommandLine;
import dev.odoowebhook.sidecar.support.CommandLine.Result;
import dev.odoowebhook.sidecar.support.MigratedDatabase;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * `token create | list | revoke` against a real database: shown once, stored hashed, clear errors.
 */
@ExtendWith({MigratedDatabase.class, CliProcess.class})
class TokenCliTest {
  static TestDatabase db;
  static CommandLine cli;

  @Test
  void shouldCreateListAndRevokeTokens() {
    Result created =
        cli.run(
            "token",
            "create",
            "--name",
            "sales-app",
            "--models",
            "sale.order,res.partner,product.*");
    assertEquals(Cli.OK, created.code(), created.toString());
    Matcher m = Pattern.compile("(whpt_[A-Za-z0-9_-]{43})").matcher(created.out());
    assertTrue(m.find(), created.out());
    String token = m.group(1);
    assertTrue(created.out().contains("shown only now"), created.out());
    assertEquals(
        ApiTokens.hash(token),
        db.value(
            "SELECT token_hash FROM webhook_api_token WHERE name = 'sales-app'", String.class));
    assertEquals(
        "[product.*, res.partner, sale.order]",
        db.rows("SELECT models FROM webhook_api_token WHERE name = 'sales-app'")
            .get(0)
            .get("models")
            .toString());

    Result list = cli.run("token", "list");
    assertEquals(Cli.OK, list.code(), list.toString());
    assertTrue(list.out().contains("sales-app") && list.out().contains("active"), list.out());
    assertFalse(list.out().contains(token), "the token is never shown again");

    assertOneClearLine(
        cli.run("token", "create", "--name", "sales-app", "--models", "res.partner"),
        Cli.FAILED,
        "An active token named \"sales-app\" exists already");
    Result revoked = cli.run("token", "revoke", "sales-app");
    assertEquals(Cli.OK, revoked.code(), revoked.toString());
    assertTrue(cli.run("token", "list").out().contains("revoked"));
    assertOneClearLine(
        cli.run("token", "revoke", "sales-app"), Cli.FAILED, "no active token named \"sales-app\"");
    assertEquals(
        Cli.OK,
        cli.run("token", "create", "--name", "sales-app", "--models", "*").code(),
        "a revoked name may be used again");
  }

  @Test
  void shouldRefuseBadTokenCommandsInOneLine() {
    assertOneClearLine(cli.run("token", "create", "--name", "x"), Cli.USAGE, "needs --models");
    assertOneClearLine(
        cli.run("token", "create", "--models", "res.partner"), Cli.USAGE, "needs --name");
    assertOneClearLine(
        cli.run("token", "create", "--name", "x", "--models", "Res Partner"),
        Cli.USAGE,
        "is not a model or model pattern");
    assertOneClearLine(
        cli.run("token", "create", "--name", "x", "--models", "res.*.x"),
        Cli.USAGE,
        "is not a model or model pattern");
    assertOneClearLine(cli.run("token", "revoke"), Cli.USAGE, "Name one token to revoke");
    assertOneClearLine(cli.run("token", "frob"), Cli.USAGE, "Unknown command `token frob`");
    assertOneClearLine(cli.run("token", "list", "--all", "yes"), Cli.USAGE, "Unknown option --all");
  }
}
