// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The sidecar and the Odoo addon judge broker URLs by one list of cases: the addon's tests read the
 * same file against its own rule (broker_url.py), so the two cannot drift apart.
 */
class BrokerUrlParityTest {
  static final Path CASES = Path.of("odoo-addon", "webhook_sidecar", "tests", "broker_urls.json");

  @Test
  void shouldJudgeEveryBrokerUrlAsTheAddonDoes() throws Exception {
    JsonNode urls = new ObjectMapper().readTree(CASES.toFile()).get("urls");
    assertTrue(urls.size() >= 20, "the shared cases: " + CASES);
    for (JsonNode c : urls) {
      String url = c.get(0).asText();
      String problem = BrokerUrl.problemWith(url);
      if (c.get(1).isNull()) {
        assertTrue(problem == null, url + " is usable, but: " + problem);
      } else {
        String expected = c.get(1).asText();
        assertTrue(
            problem != null && problem.contains(expected),
            url + " -> " + problem + ", expected: " + expected);
      }
    }
  }
}
