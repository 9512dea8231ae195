// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A private PostgreSQL cluster ({@link OwnPostgres}) that accepts TLS connections only: a
 * self-signed certificate made with openssl (CN=localhost, also valid for 127.0.0.1) and a
 * pg_hba.conf of hostssl lines, on its own port on 127.0.0.1. Needs openssl. {@link #close()} stops
 * it and removes its folder.
 */
public final class TlsPostgres implements AutoCloseable {
  private final OwnPostgres pg;

  private TlsPostgres(OwnPostgres pg) {
    this.pg = pg;
  }

  public static TlsPostgres start() throws IOException, InterruptedException {
    return new TlsPostgres(OwnPostgres.start("", TlsPostgres::tlsOnly));
  }

  private static void tlsOnly(Path data, boolean ownedByPostgres)
      throws IOException, InterruptedException {
    Path key = data.resolve("server.key");
    Path crt = data.resolve("server.crt");
    OwnPostgres.run(
        List.of(
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            key.toString(),
            "-out",
            crt.toString()));
    if (ownedByPostgres) {
      OwnPostgres.run(List.of("chown", "postgres:postgres", key.toString(), crt.toString()));
    }
    OwnPostgres.run(List.of("chmod", "600", key.toString()));
    // Only TLS over TCP; the socket in the cluster's folder stays for pg_ctl's own checks.
    Files.writeString(
        data.resolve("pg_hba.conf"),
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
        StandardCharsets.UTF_8);
    Files.writeString(
        data.resolve("postgresql.conf"),
        "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
  }

  /** jdbc:postgresql://127.0.0.1:PORT/DATABASE, without parameters. */
  public String url(String database) {
    return pg.url(database);
  }

  /** The server's self-signed certificate, the root to trust for sslmode=verify-full. */
  public Path certificate() {
    return pg.data().resolve("server.crt");
  }

  @Override
  public void close() throws IOException {
    pg.close();
  }
}
