// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** api/pull-api.openapi.yaml documents every route and error code the server has. */
class OpenApiFileTest {
  @Test
  void shouldDocumentEveryRouteAndSetting() throws Exception {
    String spec = Files.readString(Path.of("api/pull-api.openapi.yaml"), StandardCharsets.UTF_8);
    for (String s :
        List.of(
            "  /v1/events:\n    get:",
            "  /v1/updates:\n    get:",
            "  /v1/devices/{device_id}/pull:",
            "  /v1/devices/{device_id}/ack:",
            "  /v1/devices/{device_id}/reset:",
            "  /v1/devices/{device_id}:\n",
            "WEBHOOK_PULL_PORT",
            "WEBHOOK_PULL_RATE_LIMIT",
            "WEBHOOK_PULL_CORS_ORIGINS",
            "resync_required",
            "cursor_not_offered",
            "model_not_allowed",
            "Retry-After")) {
      assertTrue(spec.contains(s), "the OpenAPI file should mention " + s);
    }
  }
}
