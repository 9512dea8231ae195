// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.api.MessageInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A message as a consumer of a broker reads it: where it was (the Kafka key or the NATS subject),
 * its headers as lists (the shape Standard Webhooks verifiers take) and its body.
 */
public record BrokerMessage(String address, Map<String, List<String>> headers, String body) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static BrokerMessage of(ConsumerRecord<String, byte[]> r) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Header h : r.headers()) {
      headers
          .computeIfAbsent(h.key(), k -> new ArrayList<>())
          .add(new String(h.value(), StandardCharsets.UTF_8));
    }
    return new BrokerMessage(r.key(), headers, new String(r.value(), StandardCharsets.UTF_8));
  }

  public static BrokerMessage of(MessageInfo m) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    if (m.getHeaders() != null) {
      m.getHeaders().entrySet().forEach(e -> headers.put(e.getKey(), List.copyOf(e.getValue())));
    }
    return new BrokerMessage(
        m.getSubject(), headers, new String(m.getData(), StandardCharsets.UTF_8));
  }

  public String header(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  public String webhookId() {
    return header("webhook-id");
  }

  /** The body's {@code data}. */
  public JsonNode data() {
    try {
      return JSON.readTree(body).path("data");
    } catch (java.io.IOException e) {
      throw new IllegalStateException("Not JSON: " + body, e);
    }
  }

  public long recordId() {
    return data().path("record_id").asLong();
  }
}
