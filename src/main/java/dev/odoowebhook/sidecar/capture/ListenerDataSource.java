// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.capture;

import com.impossibl.postgres.jdbc.PGDataSource;
import dev.odoowebhook.sidecar.config.JdbcUrl;
import dev.odoowebhook.sidecar.config.Setting;
import dev.odoowebhook.sidecar.config.SidecarConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The LISTEN connection's data source (pgjdbc-ng), connecting as the pool does (pgjdbc): the same
 * host, database, user and password, and the same TLS settings, translated from pgjdbc's URL
 * parameters to pgjdbc-ng's properties. Without it a server that requires TLS would refuse the
 * listener, and the sidecar would poll instead of being woken.
 *
 * <ul>
 *   <li>sslmode to ssl.mode (absent: prefer, or verify-full when ssl=true, as in pgjdbc);
 *   <li>sslrootcert to ssl.ca.certificate.file, sslcert to ssl.certificate.file, sslkey to
 *       ssl.key.file, sslpassword to ssl.key.password (pgjdbc-ng 0.8.9's property names).
 * </ul>
 *
 * pgjdbc-ng's own default is ssl.mode=disable, which a hostssl-only server refuses. Stateless.
 */
final class ListenerDataSource {
  static final String NON_VALIDATING_FACTORY = "org.postgresql.ssl.NonValidatingFactory";
  private static final Set<String> MAPPED =
      Set.of("ssl", "sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslfactory");

  private ListenerDataSource() {}

  /** The data source, or an IllegalArgumentException naming a TLS setting it cannot use. */
  static PGDataSource of(SidecarConfig config) {
    JdbcUrl url = config.jdbcUrl();
    Map<String, String> p = url.parameters();
    PGDataSource ds = new PGDataSource();
    ds.setDatabaseUrl("jdbc:pgsql://" + url.location());
    ds.setUser(config.text(Setting.DB_USER));
    String password = config.text(Setting.DB_PASSWORD);
    if (!password.isEmpty()) {
      ds.setPassword(password);
    }
    ds.setSslMode(sslMode(p));
    if (p.containsKey("sslrootcert")) {
      ds.setSslCaCertificateFile(p.get("sslrootcert"));
    }
    if (p.containsKey("sslcert")) {
      ds.setSslCertificateFile(p.get("sslcert"));
    }
    if (p.containsKey("sslkey")) {
      ds.setSslKeyFile(p.get("sslkey"));
    }
    if (p.containsKey("sslpassword")) {
      ds.setSslKeyPassword(p.get("sslpassword"));
    }
    return ds;
  }

  /** pgjdbc's effective sslmode for these URL parameters, in pgjdbc-ng's words (the same). */
  static String sslMode(Map<String, String> p) {
    String mode = p.get("sslmode");
    if (mode == null) {
      String ssl = p.get("ssl");
      // pgjdbc: ssl=true (or a bare ssl) without sslmode means verify-full; neither, prefer.
      mode = ssl != null && !ssl.equalsIgnoreCase("false") ? "verify-full" : "prefer";
    }
    if (!JdbcUrl.SSL_MODES.contains(mode)) {
      throw new IllegalArgumentException(
          "sslmode="
              + mode
              + " in WEBHOOK_DB_URL is not one of "
              + String.join(", ", JdbcUrl.SSL_MODES));
    }
    // pgjdbc's NonValidatingFactory trusts any certificate: the same as require.
    if (NON_VALIDATING_FACTORY.equals(p.get("sslfactory")) && mode.startsWith("verify-")) {
      mode = "require";
    }
    return mode;
  }

  /** The ssl* parameters of the URL that the listener cannot follow (none, usually). */
  static List<String> ignoredTlsParameters(Map<String, String> p) {
    List<String> ignored = new ArrayList<>();
    for (String key : p.keySet()) {
      boolean foreignFactory =
          key.equals("sslfactory") && !NON_VALIDATING_FACTORY.equals(p.get(key));
      if (key.startsWith("ssl") && (!MAPPED.contains(key) || foreignFactory)) {
        ignored.add(key);
      }
    }
    return ignored;
  }
}
