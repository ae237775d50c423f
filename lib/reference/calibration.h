#ifndef WARMUP_LIB_REFERENCE_CALIBRATION_H_
#define WARMUP_LIB_REFERENCE_CALIBRATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lib/reference/reference.h"

namespace warmup {

// How well the two-sample test's model fits a seeded reference's stored
// values. Each split takes as many reference seeds as a fresh run has, at
// random, as if they were a fresh run, and tests them against the other
// seeds exactly as a fresh run is tested. Under the test's model (normal on
// the stated scale) the share of p-values below a level equals the level;
// heavy tails or a wrong scale show as a larger share. The levels a fresh
// run is held to (about 5e-5) are rare even among the tens of thousands of
// p-values a reference gives; the shares at 0.1% and 0.01% are the nearest
// the stored data can speak to. A quantity with an occasional blow-up (one
// seed's loss 1e4 times the others') shows at 1% (the split that puts it in
// the pseudo-fresh set and none in the rest gives p near 0.01) but not at
// the level of the comparison, where the outlier's variance protects it.
struct Calibration {
  int quantities = 0;
  int splits = 0;  // per quantity
  // Shares of all p-values below 5%, 1%, 0.1% and 0.01%.
  double below_5pc = 0, below_1pc = 0, below_01pc = 0, below_001pc = 0;
  double smallest_p = 1;
  std::string worst_quantity;  // the quantity with the most p-values below 1%
  double worst_below_1pc = 0;
};

// Calibrates every sample quantity of `reference` over `splits` random
// splits each (seeded by `seed`). A deterministic reference has none.
Calibration Calibrate(const Reference& reference, int splits, uint64_t seed);

}  // namespace warmup

#endif  // WARMUP_LIB_REFERENCE_CALIBRATION_H_
