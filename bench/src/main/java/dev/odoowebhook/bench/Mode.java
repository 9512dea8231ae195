// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.util.List;

/**
 * Sizes and durations of a run. Short: seconds per scenario, proves the harness works (figures are
 * printed, not judged). Full: the real numbers, about 25 minutes on 2 cores (plus about 19 for 1b).
 */
record Mode(
    String name,
    int partnerRows,
    List<Integer> captureClients,
    int captureRuns,
    int captureSeconds,
    boolean captureSingleRowWorkload,
    int captureSidecarWarmupSeconds,
    int latencyRounds,
    int latencySeconds,
    int latencyWarmupEvents,
    int ceilingSeconds,
    int steadySeconds,
    int steadyWarmupSeconds,
    int steadyOfferedPerSecond,
    int backlog,
    boolean profile,
    int coalesceRecords,
    int coalesceEdits,
    int isolationEvents,
    int isolationRuns,
    int scalingEvents) {

  static Mode of(String name) {
    return switch (name) {
      case "short" ->
          new Mode(
              "short",
              10_000,
              List.of(1, 8, 32),
              1,
              2,
              true,
              3,
              1,
              3,
              0,
              2,
              3,
              1,
              3000,
              2_000,
              false,
              50,
              1_000,
              300,
              1,
              1_000);
      case "full" ->
          new Mode(
              "full",
              100_000,
              List.of(1, 8, 32),
              3,
              6,
              true,
              30,
              2,
              15,
              20_000,
              10,
              70,
              40,
              3000,
              100_000,
              true,
              500,
              20_000,
              5_000,
              3,
              20_000);
      default -> throw new IllegalArgumentException("--mode must be short or full, not " + name);
    };
  }
}
