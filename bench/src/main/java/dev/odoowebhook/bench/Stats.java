// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Percentiles, medians and spreads of measured samples. */
final class Stats {
  private Stats() {}

  /** Nearest-rank percentile (p in 0..100) of the values; NaN when there are none. */
  static double percentile(double[] values, double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  static double median(List<Double> values) {
    return percentile(toArray(values), 50);
  }

  static double min(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  static double max(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }

  static double[] toArray(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static List<Double> list(double... values) {
    List<Double> l = new ArrayList<>();
    for (double v : values) {
      l.add(v);
    }
    return l;
  }

  /** "1234" / "12.3" / "0.123": a figure rounded for the report. */
  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    double a = Math.abs(v);
    if (a >= 100) {
      return String.format("%.0f", v);
    }
    if (a >= 10) {
      return String.format("%.1f", v);
    }
    return String.format("%.2f", v);
  }
}
