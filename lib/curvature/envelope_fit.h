#ifndef WARMUP_LIB_CURVATURE_ENVELOPE_FIT_H_
#define WARMUP_LIB_CURVATURE_ENVELOPE_FIT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace warmup {

struct EnvelopeOptions {
  // Fraction of points the envelope must cover (1: all of them). Below 1 the
  // points furthest above the envelope are dropped one at a time.
  double coverage = 1.0;
  double rho_min = 0.05, rho_max = 3.0, rho_step = 0.01;
  int bootstrap = 200;  // resamples for the intervals (0: none)
  double interval = 0.9;  // central probability of the intervals
  uint64_t seed = 0;
};

struct Interval {
  double lo = 0.0, hi = 0.0;
};

// The fitted envelope K0 + Krho gap^rho of (gap, smoothness) pairs, its
// bootstrap intervals, and, beside it, the plain least-squares slope of
// log smoothness on log gap and their Spearman rank correlation.
struct EnvelopeFit {
  double rho = 0.0, k0 = 0.0, krho = 0.0;
  Interval rho_ci, k0_ci, krho_ci;
  double loglog_slope = 0.0;
  double spearman = 0.0;
  int points = 0;
  int covered = 0;  // points on or below the envelope
};

// The tightest envelope: for each rho on the grid, the (K0, Krho) >= 0 that
// cover the points and minimise the mean log ratio envelope / smoothness (a
// concave objective over a polygon, so a vertex: an edge of the upper convex
// hull of (gap^rho, smoothness)); then the best rho. InvalidArgument for
// fewer than 3 points or a non-positive or non-finite value.
absl::StatusOr<EnvelopeFit> FitEnvelope(const std::vector<double>& gaps,
                                        const std::vector<double>& smoothness,
                                        const EnvelopeOptions& options);

// Spearman rank correlation (average ranks for ties).
double SpearmanCorrelation(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace warmup

#endif  // WARMUP_LIB_CURVATURE_ENVELOPE_FIT_H_
