// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** CPU time of processes from /proc (Linux), to say where the time went during a run. */
final class CpuTime {
  private static final double TICKS = 100.0; // USER_HZ on Linux

  private CpuTime() {}

  /** utime + stime of one process, in seconds; NaN if it is gone. */
  static double ofPid(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // after ")": state(0) ppid(1) ... utime(11) stime(12)
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private static long parentOf(Path procDir) {
    try {
      String stat = Files.readString(procDir.resolve("stat"));
      return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** CPU seconds of a postmaster and its live children (backends, walwriter, ...). */
  static double ofPostgres(long postmasterPid) {
    double total = ofPid(postmasterPid);
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        String name = p.getFileName().toString();
        if (name.chars().allMatch(Character::isDigit) && parentOf(p) == postmasterPid) {
          double t = ofPid(Long.parseLong(name));
          if (!Double.isNaN(t)) {
            total += t;
          }
        }
      }
    } catch (IOException e) {
      return Double.NaN;
    }
    return total;
  }

  /** CPU seconds of this JVM (the harness: writers, receiver, Debezium). */
  static double ofSelf() {
    return ofPid(ProcessHandle.current().pid());
  }

  /** CPU seconds used by the whole machine (all processes, all cores) since boot. */
  static double machine() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        if (i != 4 && i != 5) { // skip idle and iowait
          busy += Long.parseLong(f[i]);
        }
      }
      return busy / TICKS;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }
}
