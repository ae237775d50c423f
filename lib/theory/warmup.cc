#include "lib/theory/warmup.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace warmup {

double TheoryStepSize(const GapSmoothness& s, double c, double gap,
                      double max_lr) {
  const double bound = CurvatureBound(s, gap);
  double eta = bound > 0.0 ? c / bound
                           : std::numeric_limits<double>::infinity();
  if (max_lr > 0.0 && eta > max_lr) eta = max_lr;
  return eta;
}

double GuaranteedDecrease(const GapSmoothness& s, double gap, double eta,
                          double grad_norm_sq) {
  const double l = CurvatureBound(s, gap);
  return eta * (1.0 - 0.5 * eta * l) * grad_norm_sq;
}

double GradientNormBound(double initial_gap, const std::vector<double>& etas) {
  double sum = 0.0;
  for (double eta : etas) sum += eta;
  return 2.0 * initial_gap / sum;
}

}  // namespace warmup
