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

// Where a run's early transient ends: the curvature collapse at nearly
// constant loss right after initialisation, whose points are drawn but not
// fitted (docs/theory.md, Section 11).
enum class TransientRule {
  // Before the loss first falls below transient_fraction x its first value.
  kLossFraction,
  // Before the point that minimises log s - rho_max log gap: the collapse
  // ends where the smoothness stops falling faster than the steepest power
  // law of the rho grid.
  kCollapseEnd,
  // Before the highest smoothness at or after the collapse's end: only the
  // decline after progressive sharpening's peak is fitted.
  kSharpeningPeak,
};

// The defaults (the collapse end, both refits, the shape test and the
// Student-t interval) are the rule chosen on planted runs shaped like the
// networks' profiles: docs/theory.md, Section 11, operating characteristic.
struct EnvelopeOptions {
  // The envelope is the `quantile` quantile of log smoothness given the gap
  // (quantile regression in log space): about 1 - quantile of the fitted
  // points lie above it, so a few high points cannot carry it.
  double quantile = 0.9;
  TransientRule transient_rule = TransientRule::kCollapseEnd;
  double transient_fraction = 0.9;  // kLossFraction's cut
  // The profiled rho grid.
  double rho_min = 0.1, rho_max = 4.0, rho_step = 0.05;
  // rho is "not identified" when the profile's rise from its minimum to the
  // lower of its two edge values is below flat_tolerance x the minimum.
  double flat_tolerance = 0.1;
  double f_star = 0.0;  // gap = loss - f_star
  // Sensitivity to f*: the fit is repeated with f* = f_star_fraction x the
  // lowest fitted loss (the true f* lies between 0 and that loss).
  double f_star_fraction = 0.5;
  // Sensitivity to the transient cut: the fit is repeated with the later
  // points of the transient fitted too (kLossFraction: the cut moved halfway
  // to 1, (1 + transient_fraction) / 2; the other rules: each run's last
  // transient point). Whether a refit that moves rho refuses it:
  bool check_transient_cut = true;
  // The shape test: K0 + Krho gap^rho has a log-log slope that does not
  // fall as the gap grows, so rho is refused when the slope of log s on log
  // gap below the fitted gaps' median exceeds the slope above it by more
  // than slope_test_z standard errors (least squares within each half, the
  // errors widened for the residuals' lag-one correlation within runs).
  bool check_slopes = true;
  double slope_test_z = 2.326;  // one-sided 1%
  int bootstrap = 200;    // resamples of whole runs for the intervals (0: none)
  double interval = 0.9;  // central probability of the intervals
  // rho's interval: with student_t_interval, rho +- t sqrt(R / (R - 1)) sd*,
  // sd* the standard deviation of rho over the run bootstrap and t Student's
  // quantile at (1 + interval) / 2 with R - 1 degrees of freedom (R runs):
  // the bootstrap's spread understates the sampling spread by
  // sqrt((R - 1) / R) and its percentiles rest on few distinct resamples
  // (ten for three runs). Otherwise the bootstrap's percentiles, as for K0
  // and Krho.
  bool student_t_interval = true;
  // Permutations behind the Spearman chance level (0: not computed, NaN).
  int chance_permutations = 2000;
  uint64_t seed = 0;
};

struct Interval {
  double lo = 0.0, hi = 0.0;
};

// The rhos at which EnvelopeFit.fixed holds an envelope.
inline constexpr double kFixedEnvelopeRhos[] = {0.5, 1.0, 2.0};

// An envelope K0 + Krho gap^rho at a fixed rho, and the fraction of the
// fitted points on or below it.
struct FixedRhoEnvelope {
  double rho = 0.0, k0 = 0.0, krho = 0.0, coverage = 0.0;
};

// The fitted quantile envelope with its profile over rho, run-bootstrap
// intervals, fixed-rho envelopes, the shape test and the sensitivities to
// f* and to the transient cut. When rho_identified is false, rho (and the
// K0, Krho that go with it) is the profile's minimiser but no estimate:
// not_identified_reason says why. rho is identified only when the profile
// has an interior, non-flat minimum, the shape test passes, its interval
// stays off the grid's edges, and the checked sensitivity refits give
// identified minimisers inside that interval (within half a grid step; with
// a single run, within half a step of rho).
struct EnvelopeFit {
  double rho = 0.0, k0 = 0.0, krho = 0.0;
  Interval rho_ci, k0_ci, krho_ci;  // NaN with fewer than 2 runs
  bool rho_identified = false;
  std::string not_identified_reason;
  std::vector<double> profile_rho, profile_cost;  // mean check loss vs rho
  std::vector<FixedRhoEnvelope> fixed;            // at kFixedEnvelopeRhos
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
  // The fit with the later transient points fitted too (kLossFraction: the
  // cut at transient_fraction_alt = (1 + transient_fraction) / 2; NaN for
  // the other rules, whose refit fits each run's last transient point).
  double transient_fraction_alt = 0.0, rho_transient_alt = 0.0;
  bool rho_transient_alt_identified = false;
  // The shape test: log-log slopes of the fitted points with gap above
  // split_gap (their median) and of the rest, and their difference (lower
  // minus upper) in standard errors; NaN when a half has fewer than 3 points.
  double split_gap = 0.0, slope_upper = 0.0, slope_lower = 0.0, slope_difference_z = 0.0;
};

// Fits K0 + Krho gap^rho to the runs' non-transient points: for each rho on
// the grid and each ratio K0 / Krho on a log grid (and 0), Krho is the
// quantile of log s - log(K0/Krho + gap^rho) and the cost is the mean check
// loss; the profile is the least cost at each rho. InvalidArgument for no
// runs, mismatched lengths, a non-finite or non-positive value, or fewer
// than 3 fitted points.
absl::StatusOr<EnvelopeFit> FitEnvelope(const std::vector<ProfileRun>& runs,
                                        const EnvelopeOptions& options);

}  // namespace warmup

#endif  // WARMUP_LIB_CURVATURE_ENVELOPE_FIT_H_
