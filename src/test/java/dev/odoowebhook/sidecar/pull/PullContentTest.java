// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pull API carries captured values when a token opted in (content changes or record). */
class PullContentTest extends PullTestBase {

  private static String tokenWithContent(String name, String content) {
    String token = token(name, "res.partner");
    p.db.exec(
        "UPDATE webhook_api_token SET content = '" + content + "' WHERE name = '" + name + "'");
    return token;
  }

  @Test
  void shouldSyncNetChangesAndRecordsOnlyForTokensThatOptedIn() {
    p.db.exec("SELECT webhook_set_captured_fields('res.partner', ARRAY['name', 'email'])");
    try {
      int port = startPull(Map.of());
      PullApi ids = new PullApi(port, token("plain", "res.partner"));
      PullApi changes = new PullApi(port, tokenWithContent("values", "changes"));
      PullApi records = new PullApi(port, tokenWithContent("mirror", "record"));
      long kept = p.partner("Azure");
      long gone = p.partner("Deco");
      awaitRouted();
      pullAndAck(changes, "d1", Map.of("models", List.of("res.partner")));
      pullAndAck(records, "d2", Map.of("models", List.of("res.partner")));
      pullAndAck(ids, "d3", Map.of("models", List.of("res.partner")));

      p.db.exec("UPDATE res_partner SET email = 'one@azure.example' WHERE id = " + kept);
      p.db.exec("UPDATE res_partner SET email = 'two@azure.example' WHERE id = " + kept);
      p.db.exec("UPDATE res_partner SET email = 'deco@example.com' WHERE id = " + gone);
      p.db.exec("DELETE FROM res_partner WHERE id = " + gone);
      awaitRouted();

      List<JsonNode> net = pullAndAck(changes, "d1", Map.of("models", List.of("res.partner")));
      assertEquals(2, net.size(), net.toString());
      JsonNode write = net.get(0);
      assertEquals("write", write.path("event").asText());
      assertTrue(
          write.at("/changes/email/old").isNull(), "the value before the first write: " + write);
      assertEquals("two@azure.example", write.at("/changes/email/new").asText(), write.toString());
      assertFalse(write.has("record"), "changes only: " + write);
      JsonNode unlink = net.get(1);
      assertEquals("unlink", unlink.path("event").asText());
      assertEquals("Deco", unlink.at("/changes/name/old").asText(), unlink.toString());

      List<JsonNode> mirrored = pullAndAck(records, "d2", Map.of("models", List.of("res.partner")));
      assertEquals(
          "two@azure.example", mirrored.get(0).at("/record/email").asText(), mirrored.toString());
      assertEquals("Azure", mirrored.get(0).at("/record/name").asText());
      assertEquals(
          "deco@example.com",
          mirrored.get(1).at("/record/email").asText(),
          "an unlink carries the last values: " + mirrored);

      List<JsonNode> plain = pullAndAck(ids, "d3", Map.of("models", List.of("res.partner")));
      assertEquals(2, plain.size());
      assertFalse(plain.get(0).has("changes"), "a token that did not opt in gets ids: " + plain);
    } finally {
      p.db.exec("SELECT webhook_set_captured_fields('res.partner', NULL)");
    }
  }
}
