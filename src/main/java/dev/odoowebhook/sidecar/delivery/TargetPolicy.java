// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;

/**
 * Optional SSRF protection: whether a subscriber URL may be called. With blocking on, a host that
 * resolves to a loopback, private, link-local (cloud metadata), carrier-grade NAT, unique-local or
 * multicast address is refused unless its name or address is allow-listed. Checked twice: before
 * the request ({@link #problemWith}, for a clear message) and by the HTTP client's resolver on
 * every new connection ({@link #resolver}), so a DNS answer that changes in between (rebinding) is
 * refused too. Immutable and thread-safe.
 */
public final class TargetPolicy {
  private final boolean blockPrivate;
  private final Set<String> allowed;

  public TargetPolicy(boolean blockPrivate, String allowList) {
    this.blockPrivate = blockPrivate;
    this.allowed =
        Arrays.stream(allowList.split(","))
            .map(h -> h.trim().toLowerCase(Locale.ROOT))
            .filter(h -> !h.isEmpty())
            .collect(Collectors.toUnmodifiableSet());
  }

  public static TargetPolicy allowAll() {
    return new TargetPolicy(false, "");
  }

  /** Null if the URL may be called, else why not (a sentence that says what to do). */
  public String problemWith(URI url) {
    if (!blockPrivate) {
      return null;
    }
    String host = url.getHost().toLowerCase(Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return refusal(host, InetAddress.getAllByName(host));
    } catch (UnknownHostException e) {
      return null; // not resolvable now: the request fails as a connection error, and is retried
    }
  }

  /**
   * The resolver the HTTP client connects through: the system's, and with blocking on, one that
   * refuses (with {@link BlockedAddressException}) a name that resolves to an internal address.
   */
  DnsResolver resolver() {
    if (!blockPrivate) {
      return SystemDefaultDnsResolver.INSTANCE;
    }
    return new SystemDefaultDnsResolver() {
      @Override
      public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress[] addresses = super.resolve(host);
        String refused = refusal(host.toLowerCase(Locale.ROOT), addresses);
        if (refused != null) {
          throw new BlockedAddressException(refused);
        }
        return addresses;
      }
    };
  }

  /** The resolver's refusal; an UnknownHostException because that is all a resolver may throw. */
  static final class BlockedAddressException extends UnknownHostException {
    BlockedAddressException(String message) {
      super(message);
    }
  }

  private String refusal(String host, InetAddress[] addresses) {
    if (allowed.contains(host)) {
      return null;
    }
    for (InetAddress a : addresses) {
      if (isInternal(a) && !allowed.contains(a.getHostAddress())) {
        return "The URL's host "
            + host
            + " resolves to the internal address "
            + a.getHostAddress()
            + " and WEBHOOK_BLOCK_PRIVATE_TARGETS is on; add it to WEBHOOK_TARGET_ALLOWLIST if this"
            + " receiver is meant to be internal.";
      }
    }
    return null;
  }

  static boolean isInternal(InetAddress a) {
    if (a.isLoopbackAddress()
        || a.isSiteLocalAddress()
        || a.isLinkLocalAddress()
        || a.isAnyLocalAddress()
        || a.isMulticastAddress()) {
      return true;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet6Address) {
      return (b[0] & 0xfe) == 0xfc; // fc00::/7 unique local
    }
    return (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64; // 100.64.0.0/10 carrier-grade NAT
  }
}
