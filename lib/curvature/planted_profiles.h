#ifndef WARMUP_LIB_CURVATURE_PLANTED_PROFILES_H_
#define WARMUP_LIB_CURVATURE_PLANTED_PROFILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lib/curvature/envelope_fit.h"

namespace warmup {

// The shape of one tier's measured smoothness profiles (Figures 1(a) and
// 1(b)), which planted runs copy: seeds, points, range of the gap, the early
// transient, and the non-power-law curve the network showed.
struct ProfileShape {
  std::string name;
  int seeds = 3;
  double first_loss = 2.3;  // the loss at initialisation
  // The early transient: `transient_points` measurements per run at losses
  // falling linearly from first_loss towards transient_end x first_loss,
  // their smoothness falling geometrically from `spike` x the curve towards
  // it, which it reaches at transient_end x first_loss.
  int transient_points = 7;
  double transient_end = 0.93;
  double spike = 100.0;
  // Then `fitted_points` per run, their losses falling geometrically over
  // `gap_decades` decades from transient_end x first_loss.
  int fitted_points = 11;
  double gap_decades = 2.8;
  // The measured curve after the transient as two power laws (a broken line
  // in log-log, least squares): gap^-rise down to the break, `break_position`
  // of the way down the fitted decades, and gap^collapse below it.
  double break_position = 0.5, rise = 0.0, collapse = 1.0;
};

// The measured shapes of the four network tiers: Figure 1(a) (ResNet-18)
// and Figure 1(b) (NanoGPT), smoke and cpu.
std::vector<ProfileShape> MeasuredShapes();

// A planted smoothness curve of the gap: the power law K0 + Krho gap^rho,
// which Definition 1's envelope describes, or (power_law false) a broken
// line, 10 (gap / break_gap)^-rise above break_gap and
// 10 (gap / break_gap)^collapse below, which no single power law is unless
// -rise = collapse.
struct PlantedCurve {
  bool power_law = true;
  double rho = 1.0, k0 = 0.0, krho = 1.0;
  double break_gap = 1.0, rise = 0.0, collapse = 1.0;

  double At(double gap) const;
};

// The power law with exponent rho and constant k0 whose term Krho gap^rho is
// 10 at the shape's first fitted gap.
PlantedCurve PowerLawCurve(const ProfileShape& shape, double rho, double k0);

// The broken line that breaks `position` of the way down the shape's fitted
// decades.
PlantedCurve BrokenLineCurve(const ProfileShape& shape, double position, double rise,
                             double collapse);

// The curve the shape's network showed (its broken line).
PlantedCurve MeasuredCurve(const ProfileShape& shape);

// Figure 1(a)'s rise then collapse at the cpu tier with two threads (README):
// smoothness rising from about 4 to 16 while the loss falls from 2 to 0.3,
// then collapsing with the loss, as gap^-0.7 down to 0.3 of the decades and
// gap^1 below, on the shape's range.
PlantedCurve RiseThenCollapseCurve(const ProfileShape& shape);

// Noise of the measured smoothness: log s = log curve + sd (z - 1.2816),
// z a unit-variance AR(1) sequence along each run with lag-one correlation
// `lag1`, so that the curve is the 0.9 quantile of s at every gap.
struct PlantedNoise {
  double sd = 0.3, lag1 = 0.7;
};

// `shape.seeds` planted runs of `curve` with `noise`; deterministic in seed.
std::vector<ProfileRun> PlantRuns(const ProfileShape& shape, const PlantedCurve& curve,
                                  const PlantedNoise& noise, uint64_t seed);

// The envelope fit's verdicts on `draws` independent plantings of one
// design. A positive (a power law) counts as recovered when rho is
// identified and the planted rho lies in its interval widened by half a
// grid step; a fit that returns an error counts as not identified.
struct Verdicts {
  int draws = 0, identified = 0, recovered = 0, errors = 0;
};
Verdicts MeasureVerdicts(const ProfileShape& shape, const PlantedCurve& curve,
                         const PlantedNoise& noise, const EnvelopeOptions& options, int draws,
                         uint64_t seed);

// The operating characteristic on one shape: the verdicts on each positive
// design (a power law with rho 0.5, 1, 2 and K0 0, 1, in that order), on
// all of them pooled, and on each negative (the measured curve, then the
// rise then collapse); `draws` per design, from fixed seeds (deterministic).
struct OperatingCharacteristic {
  struct Design {
    std::string name;
    PlantedCurve curve;
    Verdicts verdicts;
  };
  std::vector<Design> positives, negatives;
  Verdicts pooled;
};
OperatingCharacteristic MeasureOperatingCharacteristic(const ProfileShape& shape,
                                                       const EnvelopeOptions& options,
                                                       int draws);

}  // namespace warmup

#endif  // WARMUP_LIB_CURVATURE_PLANTED_PROFILES_H_
