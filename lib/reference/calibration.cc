#include "lib/reference/calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "lib/stats/stats.h"

namespace warmup {

Calibration Calibrate(const Reference& reference, int splits, uint64_t seed) {
  Calibration c;
  c.splits = splits;
  const size_t fresh = reference.spec_seeds.size();
  std::mt19937_64 rng(seed);
  long below_5 = 0, below_1 = 0, below_01 = 0, below_001 = 0, total = 0;
  for (const SampleQuantity& q : reference.samples) {
    if (q.values.size() < fresh + 2 || fresh == 0) continue;
    ++c.quantities;
    std::vector<double> values = q.values;
    if (q.log_scale) {
      for (double& v : values) v = std::log(v);
    }
    double largest = 0;
    for (double v : values) largest = std::max(largest, std::abs(v));
    std::vector<size_t> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    int own_below_1 = 0;
    for (int s = 0; s < splits; ++s) {
      std::shuffle(order.begin(), order.end(), rng);
      std::vector<double> x, y;
      for (size_t k = 0; k < order.size(); ++k) (k < fresh ? x : y).push_back(values[order[k]]);
      // The same floor as the comparison: values alike to rounding agree.
      const double p = PooledTwoSampleT(x, y, 1e-9 * largest + 1e-12).p_two_sided;
      below_5 += p < 0.05;
      below_1 += p < 0.01;
      below_01 += p < 0.001;
      below_001 += p < 0.0001;
      c.smallest_p = std::min(c.smallest_p, p);
      own_below_1 += p < 0.01;
      ++total;
    }
    const double share = static_cast<double>(own_below_1) / splits;
    if (share > c.worst_below_1pc) {
      c.worst_below_1pc = share;
      c.worst_quantity = q.name;
    }
  }
  if (total > 0) {
    c.below_5pc = static_cast<double>(below_5) / total;
    c.below_1pc = static_cast<double>(below_1) / total;
    c.below_01pc = static_cast<double>(below_01) / total;
    c.below_001pc = static_cast<double>(below_001) / total;
  }
  return c;
}

}  // namespace warmup
