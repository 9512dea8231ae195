// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private PostgreSQL cluster that accepts TLS connections only: a self-signed certificate made
 * with openssl (CN=localhost, also valid for 127.0.0.1) and a pg_hba.conf of hostssl lines, on its
 * own port on 127.0.0.1. Needs PostgreSQL's server binaries and openssl; as root it runs the server
 * as the postgres user. {@link #close()} stops it and removes its folder.
 */
public final class TlsPostgres implements AutoCloseable {
  private final Path dir;
  private final Path bin;
  private final int port;

  private TlsPostgres(Path dir, Path bin, int port) {
    this.dir = dir;
    this.bin = bin;
    this.port = port;
  }

  public static TlsPostgres start() throws IOException, InterruptedException {
    Path bin = findBin();
    Path dir = Files.createTempDirectory("webhook-pg-tls-");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    TlsPostgres pg = new TlsPostgres(dir, bin, port);
    try {
      if (isRoot()) {
        run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
        run(List.of("chmod", "700", dir.toString()));
      }
      Path data = dir.resolve("data");
      pg.pg("initdb", "-D", data.toString(), "-U", "postgres", "-A", "trust", "--no-sync");
      run(
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
              data.resolve("server.key").toString(),
              "-out",
              data.resolve("server.crt").toString()));
      if (isRoot()) {
        run(
            List.of(
                "chown",
                "postgres:postgres",
                data.resolve("server.key").toString(),
                data.resolve("server.crt").toString()));
      }
      run(List.of("chmod", "600", data.resolve("server.key").toString()));
      // Only TLS over TCP; the socket in our folder stays for pg_ctl's own checks.
      Files.writeString(
          data.resolve("pg_hba.conf"),
          "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
          StandardCharsets.UTF_8);
      Files.writeString(
          data.resolve("postgresql.conf"),
          "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
      pg.ctl("start");
      return pg;
    } catch (IOException | InterruptedException | RuntimeException e) {
      pg.deleteFolder();
      throw e;
    }
  }

  private static Path findBin() {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.naturalOrder())
          .orElseThrow();
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "The TLS tests need PostgreSQL's server binaries"
              + " (/usr/lib/postgresql/<version>/bin/pg_ctl): apt-get install postgresql.",
          e);
    }
  }

  /** jdbc:postgresql://127.0.0.1:PORT/DATABASE, without parameters. */
  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** The server's self-signed certificate, the root to trust for sslmode=verify-full. */
  public Path certificate() {
    return dir.resolve("data").resolve("server.crt");
  }

  private void ctl(String action) throws IOException, InterruptedException {
    pg(
        "pg_ctl",
        "-D",
        dir.resolve("data").toString(),
        "-w",
        "-t",
        "60",
        "-m",
        "fast",
        "-l",
        dir.resolve("server.log").toString(),
        "-o",
        "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir + " -c fsync=off",
        action);
  }

  private void pg(String program, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    if (isRoot()) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    command.add(bin.resolve(program).toString());
    command.addAll(List.of(args));
    run(command);
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed:\n" + out);
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private void deleteFolder() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      ctl("stop");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      deleteFolder();
    }
  }
}
