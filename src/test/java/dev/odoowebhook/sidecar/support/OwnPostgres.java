// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private PostgreSQL cluster (initdb in a temporary folder, its own port on 127.0.0.1) for the
 * faults that would disturb everyone else on the shared server: restarts, and for settings of its
 * own (password authentication). Runs the installed server programs (Debian's postgresql package),
 * else the embedded ones from the class path: see {@link PostgresBinaries}.
 */
public final class OwnPostgres implements AutoCloseable {
  private final Path dir;
  private final PostgresBinaries bin;
  private final int port;
  private final String serverOptions;

  private OwnPostgres(Path dir, PostgresBinaries bin, int port, String serverOptions) {
    this.dir = dir;
    this.bin = bin;
    this.port = port;
    this.serverOptions = serverOptions;
  }

  /** What a cluster needs between initdb and its start: its files in the data folder. */
  interface Setup {
    void configure(Path data, boolean ownedByPostgres) throws IOException, InterruptedException;
  }

  public static OwnPostgres start() throws IOException, InterruptedException {
    return start("");
  }

  /** With extra server options, e.g. "-c autovacuum_naptime=5s". */
  public static OwnPostgres start(String serverOptions) throws IOException, InterruptedException {
    return start(serverOptions, (data, owned) -> {});
  }

  /**
   * A cluster where every role but postgres must give its password over TCP (scram-sha-256), as on
   * a production server; postgres itself is trusted, so the test can create roles.
   */
  public static OwnPostgres startRequiringPasswords() throws IOException, InterruptedException {
    return start(
        "",
        (data, owned) ->
            Files.writeString(
                data.resolve("pg_hba.conf"),
                String.join(
                    "\n",
                    "local all all trust",
                    "host all postgres 127.0.0.1/32 trust",
                    "host all all 127.0.0.1/32 scram-sha-256",
                    "")));
  }

  /** A cluster set up by {@code setup} after initdb; its folder is removed if it fails to start. */
  static OwnPostgres start(String serverOptions, Setup setup)
      throws IOException, InterruptedException {
    PostgresBinaries bin = PostgresBinaries.get();
    Path dir = Files.createTempDirectory("webhook-pg-");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    OwnPostgres pg = new OwnPostgres(dir, bin, port, serverOptions);
    try {
      if (bin.ownsAsPostgres()) {
        run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
        run(List.of("chmod", "700", dir.toString()));
      }
      Path data = dir.resolve("data");
      pg.pg("initdb", "-D", data.toString(), "-U", "postgres", "-A", "trust", "--no-sync");
      setup.configure(data, bin.ownsAsPostgres());
      pg.ctl("start");
      return pg;
    } catch (IOException | InterruptedException | RuntimeException e) {
      Files2.deleteTree(dir);
      throw e;
    }
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public int port() {
    return port;
  }

  /** The cluster's data folder (postgresql.conf, pg_hba.conf, ...). */
  public Path data() {
    return dir.resolve("data");
  }

  /** A fast restart: every connection is cut, as in a failover or a crash-restart. */
  public void restart() throws IOException, InterruptedException {
    ctl("restart");
  }

  /**
   * A crash and its recovery (pg_ctl's immediate mode): WAL not yet written out of PostgreSQL's
   * buffers is lost, as are commits that did not wait for it (the router's, for one).
   */
  public void crashRestart() throws IOException, InterruptedException {
    ctl("restart", "immediate");
  }

  public void stop() throws IOException, InterruptedException {
    ctl("stop");
  }

  public void startAgain() throws IOException, InterruptedException {
    ctl("start");
  }

  private void ctl(String action) throws IOException, InterruptedException {
    ctl(action, "fast");
  }

  private void ctl(String action, String mode) throws IOException, InterruptedException {
    pg(
        "pg_ctl",
        "-D",
        dir.resolve("data").toString(),
        "-w",
        "-t",
        "60",
        "-m",
        mode,
        "-l",
        dir.resolve("server.log").toString(),
        "-o",
        "-p "
            + port
            + " -c listen_addresses=127.0.0.1 -k "
            + dir
            + " -c fsync=off "
            + serverOptions,
        action);
  }

  private void pg(String program, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(bin.runAs());
    command.add(bin.program(program).toString());
    command.addAll(List.of(args));
    run(command);
  }

  /** Runs a program to its end; its output is in the exception when it fails. */
  static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed:\n" + out);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      ctl("stop");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      Files2.deleteTree(dir);
    }
  }
}
