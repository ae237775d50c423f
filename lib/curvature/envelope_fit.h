#ifndef WARMUP_LIB_CURVATURE_ENVELOPE_FIT_H_
#define WARMUP_LIB_CURVATURE_ENVELOPE_FIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace warmup {

// One training run's smoothness measurements, in the order they were taken:
// the step, the loss on the measurement examples and the Hessian's norm.
struct ProfileRun {
  std::vector<double> step, loss, smoothness;
};

struct EnvelopeOptions {
  // The envelope is the `quantile` quantile of log smoothness given the gap
  // (quantile regression in log space): about 1 - quantile of the fitted
  // points lie above it, so a few high points cannot carry it.
  double quantile = 0.9;
  // Early transient: a run's points measured before its loss first falls
  // below transient_fraction x its first measured loss are not fitted (the
  // curvature collapse at nearly constant loss right after initialisation).
  double transient_fraction = 0.9;
  // The profiled rho grid.
  double rho_min = 0.1, rho_max = 4.0, rho_step = 0.05;
  // rho is "not identified" when the profile's rise from its minimum to the
  // lower of its two edge values is below flat_tolerance x the minimum.
  double flat_tolerance = 0.1;
  double f_star = 0.0;  // gap = loss - f_star
  // Sensitivity to f*: the fit is repeated with f* = f_star_fraction x the
  // lowest fitted loss (the true f* lies between 0 and that loss).
  double f_star_fraction = 0.5;
  // Sensitivity to the transient cut: the fit is repeated with the cut moved
  // halfway to 1, (1 + transient_fraction) / 2, which keeps the later points
  // of the transient in the fit.
  int bootstrap = 200;    // resamples of whole runs for the intervals (0: none)
  double interval = 0.9;  // central probability of the intervals
  uint64_t seed = 0;
};

struct Interval {
  double lo = 0.0, hi = 0.0;
};

// An envelope K0 + Krho gap^rho at a fixed rho, and the fraction of the
// fitted points on or below it.
struct FixedRhoEnvelope {
  double rho = 0.0, k0 = 0.0, krho = 0.0, coverage = 0.0;
};

// The fitted quantile envelope with its profile over rho, run-bootstrap
// intervals, fixed-rho envelopes and the sensitivities to f* and to the
// transient cut. When rho_identified is false, rho (and the K0, Krho that go
// with it) is the profile's minimiser but no estimate: not_identified_reason
// says why. rho is identified only when the profile has an interior,
// non-flat minimum, its interval stays off the grid's edges, and both
// sensitivity refits give identified minimisers inside that interval (within
// half a grid step; with a single run, within half a step of rho).
struct EnvelopeFit {
  double rho = 0.0, k0 = 0.0, krho = 0.0;
  Interval rho_ci, k0_ci, krho_ci;  // NaN with fewer than 2 runs
  bool rho_identified = false;
  std::string not_identified_reason;
  std::vector<double> profile_rho, profile_cost;  // mean check loss vs rho
  std::vector<FixedRhoEnvelope> fixed;            // rho = 0.5, 1, 2
  double coverage = 0.0;  // fitted points on or below the envelope
  int points = 0, fitted_points = 0, transient_points = 0;
  // Per input point (runs concatenated): excluded as early transient.
  std::vector<bool> transient;
  double gap_decades = 0.0;  // log10(max / min) of the fitted gaps
  // Mean over runs of the Spearman correlation of smoothness with the gap
  // (fitted points), and its 99% chance level: the 99th percentile of that
  // mean when each run's smoothness is randomly permuted.
  double spearman = 0.0, spearman_chance99 = 0.0;
  double loglog_slope = 0.0;  // least-squares slope, fitted points pooled
  // The fit with f* = f_star_fraction x the lowest fitted loss.
  double f_star_alt = 0.0, rho_f_star_alt = 0.0;
  bool rho_f_star_alt_identified = false;
  // The fit with the transient cut at (1 + transient_fraction) / 2.
  double transient_fraction_alt = 0.0, rho_transient_alt = 0.0;
  bool rho_transient_alt_identified = false;
};

// Fits K0 + Krho gap^rho to the runs' non-transient points: for each rho on
// the grid and each ratio K0 / Krho on a log grid (and 0), Krho is the
// quantile of log s - log(K0/Krho + gap^rho) and the cost is the mean check
// loss; the profile is the least cost at each rho. InvalidArgument for no
// runs, mismatched lengths, a non-finite or non-positive value, or fewer
// than 3 fitted points.
absl::StatusOr<EnvelopeFit> FitEnvelope(const std::vector<ProfileRun>& runs,
                                        const EnvelopeOptions& options);

// Spearman rank correlation (average ranks for ties).
double SpearmanCorrelation(const std::vector<double>& x, const std::vector<double>& y);

// The `quantile` quantile of the mean over runs of Spearman's correlation
// when runs have `sizes` points and no association (Monte Carlo over
// `permutations` random permutations, seeded: deterministic).
double SpearmanChanceLevel(const std::vector<int>& sizes, double quantile,
                           int permutations, uint64_t seed);

}  // namespace warmup

#endif  // WARMUP_LIB_CURVATURE_ENVELOPE_FIT_H_
