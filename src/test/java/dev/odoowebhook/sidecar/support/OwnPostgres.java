package dev.odoowebhook.sidecar.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private PostgreSQL cluster (initdb in a temporary folder, its own port on 127.0.0.1) for
 * the faults that would disturb everyone else on the shared server: restarts. Needs the server
 * binaries (Debian's postgresql package); as root it runs them as the postgres user.
 */
public final class OwnPostgres implements AutoCloseable {
  private final Path dir;
  private final Path bin;
  private final int port;
  private final String serverOptions;

  private OwnPostgres(Path dir, Path bin, int port, String serverOptions) {
    this.dir = dir;
    this.bin = bin;
    this.port = port;
    this.serverOptions = serverOptions;
  }

  public static OwnPostgres start() throws IOException, InterruptedException {
    return start("");
  }

  /** With extra server options, e.g. "-c autovacuum_naptime=5s". */
  public static OwnPostgres start(String serverOptions) throws IOException, InterruptedException {
    Path bin = findBin();
    Path dir = Files.createTempDirectory("webhook-pg-");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    OwnPostgres pg = new OwnPostgres(dir, bin, port, serverOptions);
    if (isRoot()) {
      run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
      run(List.of("chmod", "700", dir.toString()));
    }
    pg.pg("initdb", "-D", dir.resolve("data").toString(), "-U", "postgres", "-A", "trust", "--no-sync");
    pg.ctl("start");
    return pg;
  }

  private static Path findBin() {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.naturalOrder())
          .orElseThrow();
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("The fault tests need PostgreSQL's server binaries"
          + " (/usr/lib/postgresql/<version>/bin/pg_ctl): apt-get install postgresql.", e);
    }
  }

  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public int port() {
    return port;
  }

  /** A fast restart: every connection is cut, as in a failover or a crash-restart. */
  public void restart() throws IOException, InterruptedException {
    ctl("restart");
  }

  public void stop() throws IOException, InterruptedException {
    ctl("stop");
  }

  public void startAgain() throws IOException, InterruptedException {
    ctl("start");
  }

  private void ctl(String action) throws IOException, InterruptedException {
    pg("pg_ctl", "-D", dir.resolve("data").toString(), "-w", "-t", "60", "-m", "fast",
        "-l", dir.resolve("server.log").toString(),
        "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir + " -c fsync=off " + serverOptions,
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
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed:\n" + out);
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  @Override
  public void close() throws IOException {
    try {
      ctl("stop");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }
}
