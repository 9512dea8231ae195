// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import org.junit.jupiter.api.Test;

/**
 * The resolver the HTTP client connects through applies the same rule as the check before the
 * request, so a name whose DNS answer turns internal after that check (rebinding) is refused at
 * connect time. Uses the machine's real resolver (localhost, literal addresses).
 */
class TargetPolicyTest {

  @Test
  void shouldRefuseToConnectToAnInternalAddressWhenBlocking() {
    TargetPolicy blocking = new TargetPolicy(true, "");
    for (String host : new String[] {"localhost", "127.0.0.1", "10.1.2.3", "169.254.169.254"}) {
      TargetPolicy.BlockedAddressException e =
          assertThrows(
              TargetPolicy.BlockedAddressException.class,
              () -> blocking.resolver().resolve(host),
              host);
      assertTrue(e.getMessage().contains("WEBHOOK_TARGET_ALLOWLIST"), e.getMessage());
    }
  }

  @Test
  void shouldConnectToAllowListedAndPublicAddresses() throws Exception {
    TargetPolicy allowing = new TargetPolicy(true, "127.0.0.1, Localhost");
    assertEquals(InetAddress.getByName("127.0.0.1"), allowing.resolver().resolve("127.0.0.1")[0]);
    assertTrue(allowing.resolver().resolve("localhost").length > 0);
    assertEquals(
        InetAddress.getByName("93.184.215.14"),
        new TargetPolicy(true, "").resolver().resolve("93.184.215.14")[0]);
    assertTrue(TargetPolicy.allowAll().resolver().resolve("127.0.0.1").length > 0, "blocking off");
  }

  @Test
  void shouldSayTheSameBeforeTheRequest() {
    TargetPolicy blocking = new TargetPolicy(true, "");
    String problem = blocking.problemWith(URI.create("http://localhost:8080/hook"));
    assertTrue(problem != null && problem.contains("internal address"), String.valueOf(problem));
    assertEquals(
        null, new TargetPolicy(true, "localhost").problemWith(URI.create("http://localhost/hook")));
  }
}
