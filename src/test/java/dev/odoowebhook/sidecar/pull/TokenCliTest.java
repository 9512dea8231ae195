package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odoowebhook.sidecar.cli.Cli;
import dev.odoowebhook.sidecar.support.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** `token create | list | revoke` against a real database: shown once, stored hashed, clear errors. */
class TokenCliTest {
  static TestDatabase db;

  @BeforeAll
  static void createDatabase() {
    db = TestDatabase.createMigrated();
  }

  @AfterAll
  static void dropDatabase() {
    db.close();
  }

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new Cli(db.env(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static void assertOneClearLine(Result r, int code, String expected) {
    assertEquals(code, r.code(), r.toString());
    String err = r.err().strip();
    assertFalse(err.contains("\n"), "one line, got: " + err);
    assertFalse(err.contains("Exception"), err);
    assertTrue(err.contains(expected), "expected \"" + expected + "\" in: " + err);
  }

  @Test
  void shouldCreateListAndRevokeTokens() {
    Result created = run("token", "create", "--name", "sales-app", "--models", "sale.order,res.partner,product.*");
    assertEquals(Cli.OK, created.code(), created.toString());
    Matcher m = Pattern.compile("(whpt_[A-Za-z0-9_-]{43})").matcher(created.out());
    assertTrue(m.find(), created.out());
    String token = m.group(1);
    assertTrue(created.out().contains("shown only now"), created.out());
    assertEquals(ApiTokens.hash(token),
        db.value("SELECT token_hash FROM webhook_api_token WHERE name = 'sales-app'", String.class));
    assertEquals("[product.*, res.partner, sale.order]",
        db.rows("SELECT models FROM webhook_api_token WHERE name = 'sales-app'").get(0).get("models").toString());

    Result list = run("token", "list");
    assertEquals(Cli.OK, list.code(), list.toString());
    assertTrue(list.out().contains("sales-app") && list.out().contains("active"), list.out());
    assertFalse(list.out().contains(token), "the token is never shown again");

    assertOneClearLine(run("token", "create", "--name", "sales-app", "--models", "res.partner"), Cli.FAILED,
        "An active token named \"sales-app\" exists already");
    Result revoked = run("token", "revoke", "sales-app");
    assertEquals(Cli.OK, revoked.code(), revoked.toString());
    assertTrue(run("token", "list").out().contains("revoked"));
    assertOneClearLine(run("token", "revoke", "sales-app"), Cli.FAILED, "no active token named \"sales-app\"");
    assertEquals(Cli.OK, run("token", "create", "--name", "sales-app", "--models", "*").code(),
        "a revoked name may be used again");
  }

  @Test
  void shouldRefuseBadTokenCommandsInOneLine() {
    assertOneClearLine(run("token", "create", "--name", "x"), Cli.USAGE, "needs --models");
    assertOneClearLine(run("token", "create", "--models", "res.partner"), Cli.USAGE, "needs --name");
    assertOneClearLine(run("token", "create", "--name", "x", "--models", "Res Partner"), Cli.USAGE,
        "is not a model or model pattern");
    assertOneClearLine(run("token", "create", "--name", "x", "--models", "res.*.x"), Cli.USAGE,
        "is not a model or model pattern");
    assertOneClearLine(run("token", "revoke"), Cli.USAGE, "Name one token to revoke");
    assertOneClearLine(run("token", "frob"), Cli.USAGE, "Unknown command `token frob`");
    assertOneClearLine(run("token", "list", "--all", "yes"), Cli.USAGE, "Unknown option --all");
  }
}
