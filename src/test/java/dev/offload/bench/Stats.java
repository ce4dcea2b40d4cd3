package dev.offload.bench;

import java.util.Arrays;
import java.util.List;

/** Small statistics over measured samples: percentiles and min/median/max across runs. */
final class Stats {
  private Stats() {}

  /** The p-th percentile (0..100) of the samples by the nearest-rank method; NaN when empty. */
  static double percentile(long[] samples, int count, double p) {
    if (count == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * count);
    return sorted[Math.max(0, Math.min(count - 1, rank - 1))];
  }

  static double percentile(long[] samples, double p) {
    return percentile(samples, samples.length, p);
  }

  /** min, median and max of the values of one metric across repeated runs. */
  record Spread(double min, double median, double max) {
    static Spread of(List<Double> values) {
      double[] v = values.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d))
          .sorted().toArray();
      if (v.length == 0) {
        return new Spread(Double.NaN, Double.NaN, Double.NaN);
      }
      double median = v.length % 2 == 1 ? v[v.length / 2]
          : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
      return new Spread(v[0], median, v[v.length - 1]);
    }
  }
}
