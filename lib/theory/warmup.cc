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

LogLogFit FitLogLog(const std::vector<double>& x, const std::vector<double>& y) {
  LogLogFit fit;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;
  const size_t pairs = std::min(x.size(), y.size());
  for (size_t i = 0; i < pairs; ++i) {
    if (!(x[i] > 0) || !(y[i] > 0) || !std::isfinite(x[i]) ||
        !std::isfinite(y[i])) {
      ++fit.missing;
      continue;
    }
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
    ++n;
  }
  fit.points = n;
  const double den = n * sxx - sx * sx;
  fit.slope = n < 2 || den == 0.0 ? std::nan("") : (n * sxy - sx * sy) / den;
  return fit;
}

double LogLogSlope(const std::vector<double>& x, const std::vector<double>& y) {
  return FitLogLog(x, y).slope;
}

}  // namespace warmup
