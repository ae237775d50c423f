#include "lib/reference/calibration.h"

#include <cmath>
#include <functional>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace warmup {
namespace {

Reference WithSamples(const std::function<double(std::mt19937_64&)>& draw) {
  Reference r;
  r.seeded_networks = true;
  r.spec_seeds = {0, 1, 2};
  for (int s = 0; s < 24; ++s) r.seeds.push_back(s);
  std::mt19937_64 rng(7);
  for (int q = 0; q < 20; ++q) {
    SampleQuantity sample{"q" + std::to_string(q), false, {}};
    for (int s = 0; s < 24; ++s) sample.values.push_back(draw(rng));
    r.samples.push_back(sample);
  }
  return r;
}

// Normal values: the shares match the levels (20 quantities x 2,000 splits;
// the splits of one quantity share its 24 values, so the shares scatter by
// more than binomial noise: bounds at about half and twice the level).
TEST(CalibrationTest, NormalValuesMatchTheLevels) {
  std::normal_distribution<double> normal(0.0, 1.0);
  const Calibration c = Calibrate(WithSamples([&](std::mt19937_64& g) { return normal(g); }),
                                  2000, 1);
  EXPECT_EQ(c.quantities, 20);
  EXPECT_NEAR(c.below_5pc, 0.05, 0.025);
  EXPECT_NEAR(c.below_1pc, 0.01, 0.008);
}

// A heavy-tailed quantity on the wrong scale (a log-normal of sd 2 on the
// linear scale) shows more small p-values than the level: the check the
// calibration is for. Fails if the shares were computed on ranks, say.
TEST(CalibrationTest, HeavyTailsShowAsExcessSmallPValues) {
  std::normal_distribution<double> normal(0.0, 2.0);
  const Calibration c =
      Calibrate(WithSamples([&](std::mt19937_64& g) { return std::exp(normal(g)); }), 2000, 1);
  EXPECT_GT(c.below_1pc, 0.02);
}

}  // namespace
}  // namespace warmup
