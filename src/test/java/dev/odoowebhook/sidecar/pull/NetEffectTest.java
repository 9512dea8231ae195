// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The folding rules, the same as webhook_net_event() with nothing announced. */
class NetEffectTest {
  private static String fold(String... events) {
    NetEffect net = new NetEffect();
    long seq = 0;
    for (String e : events) {
      String[] parts = e.split(":");
      List<String> fields = parts.length > 1 ? List.of(parts[1].split(",")) : null;
      net.add(new NetEffect.Event(++seq, seq, "res.partner", 1, parts[0], fields, Instant.EPOCH));
    }
    return net.changes().stream()
        .map(c -> c.event() + (c.changedFields() == null ? "" : c.changedFields()))
        .findFirst()
        .orElse("nothing");
  }

  @Test
  void shouldFoldEventsOfOneRecordIntoTheirNetEffect() {
    assertEquals("create", fold("create", "write:email"));
    assertEquals("write[email, phone]", fold("write:phone", "write:email,phone"));
    assertEquals("unlink", fold("write:email", "unlink"));
    assertEquals("nothing", fold("create", "unlink"));
    assertEquals("nothing", fold("create", "write:email", "unlink"));
    assertEquals("create", fold("unlink", "create"));
    assertEquals("create", fold("create", "unlink", "create"));
    assertEquals("write", fold("write:email", "write"), "unknown fields: the whole record");
  }
}
