#include "lib/curvature/planted_profiles.h"

#include <cmath>
#include <random>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"

namespace warmup {
namespace {

// The 0.9 quantile of the standard normal: log s - log curve = sd (z - kZ90)
// makes the curve the 0.9 quantile of s, the envelope the fit estimates.
constexpr double kZ90 = 1.2815515655;

// The loss of the first point after the transient, where its collapse ends.
double FirstFittedGap(const ProfileShape& shape) {
  return shape.transient_end * shape.first_loss;
}

}  // namespace

std::vector<ProfileShape> MeasuredShapes() {
  // Measured on the Figure 1 runs of each tier (LibTorch 2.11, the specs'
  // seeds; one thread, ResNet-18 smoke two): per seed, the points before the
  // end of the curvature collapse (TransientRule::kCollapseEnd; for NanoGPT
  // the three before step 4, where its collapse from about 40 to 9 ends,
  // since at the smoke tier the rule's point fell on noise later in two
  // seeds), the loss there relative to the first loss, the first smoothness
  // relative to the median of the next three, the points after it and the
  // decades of gap they span (means over seeds, rounded), and the broken
  // line through the points after the loss first fell below 0.9 of its
  // first value (docs/theory.md, Section 11).
  // name, seeds, first loss, transient points, end, spike, fitted points,
  // decades, break position, rise, collapse.
  return {
      {"ResNet-18 smoke", 3, 2.37, 7, 0.86, 46.0, 11, 1.72, 0.74, 0.0, 1.0},
      {"ResNet-18 cpu", 3, 2.35, 7, 0.91, 97.0, 11, 3.54, 0.54, 0.1, 1.18},
      {"NanoGPT smoke", 3, 4.2, 3, 0.86, 5.0, 19, 0.45, 0.21, -3.26, -1.97},
      {"NanoGPT cpu", 3, 4.19, 3, 0.86, 5.0, 23, 1.72, 0.84, 0.07, 2.31},
  };
}

double PlantedCurve::At(double gap) const {
  if (power_law) return k0 + krho * std::pow(gap, rho);
  return 10.0 * std::pow(gap / break_gap, gap >= break_gap ? -rise : collapse);
}

PlantedCurve PowerLawCurve(const ProfileShape& shape, double rho, double k0) {
  PlantedCurve c;
  c.rho = rho;
  c.k0 = k0;
  c.krho = 10.0 / std::pow(FirstFittedGap(shape), rho);
  return c;
}

PlantedCurve BrokenLineCurve(const ProfileShape& shape, double position, double rise,
                             double collapse) {
  PlantedCurve c;
  c.power_law = false;
  c.break_gap = FirstFittedGap(shape) * std::pow(10.0, -position * shape.gap_decades);
  c.rise = rise;
  c.collapse = collapse;
  return c;
}

PlantedCurve MeasuredCurve(const ProfileShape& shape) {
  return BrokenLineCurve(shape, shape.break_position, shape.rise, shape.collapse);
}

PlantedCurve RiseThenCollapseCurve(const ProfileShape& shape) {
  return BrokenLineCurve(shape, 0.3, 0.7, 1.0);
}

std::vector<ProfileRun> PlantRuns(const ProfileShape& shape, const PlantedCurve& curve,
                                  const PlantedNoise& noise, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  const double innovation = std::sqrt(1.0 - noise.lag1 * noise.lag1);
  const double first_fitted = FirstFittedGap(shape);
  std::vector<ProfileRun> runs(shape.seeds);
  for (ProfileRun& run : runs) {
    double z = normal(rng);
    auto measure = [&](double loss, double factor) {
      run.step.push_back(static_cast<double>(run.step.size()));
      run.loss.push_back(loss);
      run.smoothness.push_back(curve.At(loss) * factor * std::exp(noise.sd * (z - kZ90)));
      z = noise.lag1 * z + innovation * normal(rng);
    };
    const int t = shape.transient_points;
    for (int i = 0; i < t; ++i) {
      const double fall = (1.0 - shape.transient_end) * i / t;
      measure(shape.first_loss * (1.0 - fall), std::pow(shape.spike, 1.0 - double(i) / t));
    }
    for (int k = 0; k < shape.fitted_points; ++k) {
      const double decades = shape.gap_decades * k / std::max(1, shape.fitted_points - 1);
      measure(first_fitted * std::pow(10.0, -decades), 1.0);
    }
  }
  return runs;
}

Verdicts MeasureVerdicts(const ProfileShape& shape, const PlantedCurve& curve,
                         const PlantedNoise& noise, const EnvelopeOptions& options, int draws,
                         uint64_t seed) {
  Verdicts v;
  const double slack = 0.5 * options.rho_step;
  for (int d = 0; d < draws; ++d) {
    ++v.draws;
    absl::StatusOr<EnvelopeFit> fit = FitEnvelope(PlantRuns(shape, curve, noise, seed + d), options);
    if (!fit.ok()) {
      ++v.errors;
      continue;
    }
    if (!fit->rho_identified) continue;
    ++v.identified;
    const double lo = std::isnan(fit->rho_ci.lo) ? fit->rho : fit->rho_ci.lo;
    const double hi = std::isnan(fit->rho_ci.hi) ? fit->rho : fit->rho_ci.hi;
    if (curve.power_law && curve.rho >= lo - slack && curve.rho <= hi + slack) ++v.recovered;
  }
  return v;
}

OperatingCharacteristic MeasureOperatingCharacteristic(const ProfileShape& shape,
                                                       const EnvelopeOptions& options,
                                                       int draws) {
  const PlantedNoise noise;
  OperatingCharacteristic oc;
  uint64_t seed = 0;
  auto measure = [&](std::string name, const PlantedCurve& curve) {
    return OperatingCharacteristic::Design{
        std::move(name), curve, MeasureVerdicts(shape, curve, noise, options, draws, seed += 100000)};
  };
  for (double rho : {0.5, 1.0, 2.0}) {
    for (double k0 : {0.0, 1.0}) {
      oc.positives.push_back(measure(absl::StrFormat("power law rho %.1f, K0 %.0f", rho, k0),
                                     PowerLawCurve(shape, rho, k0)));
      const Verdicts& v = oc.positives.back().verdicts;
      oc.pooled.draws += v.draws;
      oc.pooled.identified += v.identified;
      oc.pooled.recovered += v.recovered;
      oc.pooled.errors += v.errors;
    }
  }
  oc.negatives.push_back(measure("measured curve", MeasuredCurve(shape)));
  oc.negatives.push_back(measure("rise then collapse", RiseThenCollapseCurve(shape)));
  return oc;
}

}  // namespace warmup
