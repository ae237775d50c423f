#include "lib/curvature/planted_profiles.h"

#include <cmath>

#include "gtest/gtest.h"

namespace warmup {
namespace {

ProfileShape TestShape() {
  ProfileShape s;
  s.name = "test";
  s.seeds = 3;
  s.first_loss = 2.4;
  s.transient_points = 7;
  s.transient_end = 0.9;
  s.spike = 100.0;
  s.fitted_points = 11;
  s.gap_decades = 2.5;
  s.break_position = 0.3;
  s.rise = 0.7;
  s.collapse = 0.9;
  return s;
}

// The runs have the shape's seeds, points, first loss, transient end and
// decades; the transient's smoothness starts `spike` times above the curve.
TEST(PlantedProfilesTest, RunsHaveTheShape) {
  const ProfileShape shape = TestShape();
  const PlantedCurve curve = PowerLawCurve(shape, 1.0, 0.0);
  const std::vector<ProfileRun> runs = PlantRuns(shape, curve, PlantedNoise{0.0, 0.0}, 1);
  ASSERT_EQ(runs.size(), 3u);
  for (const ProfileRun& run : runs) {
    ASSERT_EQ(run.loss.size(), 18u);
    EXPECT_DOUBLE_EQ(run.loss[0], 2.4);
    const double first_fitted = run.loss[shape.transient_points];
    EXPECT_DOUBLE_EQ(first_fitted, 0.9 * 2.4);
    EXPECT_NEAR(std::log10(first_fitted / run.loss.back()), 2.5, 1e-12);
    // Without noise the smoothness is the curve times exp(-0.3 x 0): the
    // curve itself after the transient, 100x it at the first point.
    EXPECT_NEAR(run.smoothness[0] / curve.At(run.loss[0]), 100.0, 1e-9);
    EXPECT_NEAR(run.smoothness[shape.transient_points], 10.0, 1e-9);
    for (size_t i = 1; i < run.loss.size(); ++i) EXPECT_LT(run.loss[i], run.loss[i - 1]);
  }
}

// The curve is the 0.9 quantile of the planted smoothness, the noise has
// the stated sd of log s and lag-one correlation (3,000 runs: the shares and
// moments are within about 3 Monte Carlo standard errors).
TEST(PlantedProfilesTest, NoiseMakesTheCurveTheNinetyPercentQuantile) {
  ProfileShape shape = TestShape();
  shape.seeds = 3000;
  shape.transient_points = 0;
  const PlantedCurve curve = PowerLawCurve(shape, 2.0, 1.0);
  const std::vector<ProfileRun> runs = PlantRuns(shape, curve, PlantedNoise{0.3, 0.7}, 2);
  double below = 0, n = 0, sum = 0, sum_sq = 0, lag = 0, lag_n = 0;
  for (const ProfileRun& run : runs) {
    for (size_t i = 0; i < run.loss.size(); ++i) {
      const double e = std::log(run.smoothness[i] / curve.At(run.loss[i])) / 0.3 + 1.2815515655;
      below += e <= 1.2815515655;
      sum += e;
      sum_sq += e * e;
      ++n;
      if (i > 0) {
        lag += e * (std::log(run.smoothness[i - 1] / curve.At(run.loss[i - 1])) / 0.3 +
                    1.2815515655);
        ++lag_n;
      }
    }
  }
  EXPECT_NEAR(below / n, 0.9, 0.01);
  EXPECT_NEAR(sum / n, 0.0, 0.03);
  EXPECT_NEAR(sum_sq / n, 1.0, 0.05);
  EXPECT_NEAR(lag / lag_n, 0.7, 0.03);
}

TEST(PlantedProfilesTest, CurvesAreScaledToTheShape) {
  const ProfileShape shape = TestShape();
  const double top = shape.transient_end * shape.first_loss;
  for (double rho : {0.5, 1.0, 2.0}) {
    EXPECT_NEAR(PowerLawCurve(shape, rho, 1.0).At(top), 11.0, 1e-9);
  }
  const PlantedCurve bump = MeasuredCurve(shape);
  EXPECT_FALSE(bump.power_law);
  EXPECT_NEAR(std::log10(top / bump.break_gap), 0.3 * 2.5, 1e-12);
  EXPECT_DOUBLE_EQ(bump.At(bump.break_gap), 10.0);
  // Smoothness rises as the gap falls to the break, then collapses.
  EXPECT_NEAR(bump.At(top) / 10.0, std::pow(top / bump.break_gap, -0.7), 1e-12);
  EXPECT_NEAR(bump.At(bump.break_gap / 10) / 10.0, std::pow(0.1, 0.9), 1e-12);
}

// The collapse-end rule finds the planted transient: each run's transient
// points and none of the curve's (K0 = 0, rho = 1; noise sd 0.3 can move
// the end by a point in a few runs of 100).
TEST(PlantedProfilesTest, CollapseEndFindsThePlantedTransient) {
  const ProfileShape shape = TestShape();
  EnvelopeOptions o;
  o.transient_rule = TransientRule::kCollapseEnd;
  o.bootstrap = 0;
  o.chance_permutations = 0;
  int exact = 0, runs = 0;
  for (uint64_t seed = 0; seed < 34; ++seed) {
    const std::vector<ProfileRun> planted =
        PlantRuns(shape, PowerLawCurve(shape, 1.0, 0.0), PlantedNoise{}, seed);
    absl::StatusOr<EnvelopeFit> fit = FitEnvelope(planted, o);
    ASSERT_TRUE(fit.ok()) << fit.status();
    const size_t n = planted[0].loss.size();
    for (size_t r = 0; r < planted.size(); ++r, ++runs) {
      int transient = 0;
      for (size_t i = 0; i < n; ++i) transient += fit->transient[r * n + i];
      exact += transient == shape.transient_points;
    }
  }
  EXPECT_GE(exact, runs * 95 / 100) << exact << " of " << runs;
}

}  // namespace
}  // namespace warmup
