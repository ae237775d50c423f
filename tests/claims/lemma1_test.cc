// Lemma 1 (constants reconstructed in docs/theory.md): a (rho, L0, Lrho)
// smooth function is (alpha, K0, Kalpha)-smooth with alpha = rho / (2 - rho).
// Checked on 1,000 random members of five families covering rho in (0, 2),
// two of them nonconvex (a double well, a sine-perturbed cosh with local
// minima), at 20 random points each, with zero violations allowed.
#include <cmath>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "lib/theory/smoothness.h"
#include "tests/claims/test_functions.h"

namespace warmup {
namespace {

TEST(Lemma1Claim, ConvertedConstantsHoldOnEverySampledFunction) {
  std::mt19937_64 rng(20250909);
  SlackMeter premise("lemma1_premise_gradient_smoothness");
  SlackMeter self_bounding("lemma1_self_bounding_gradient");
  SlackMeter conclusion("lemma1_definition1_with_derived_constants");
  SlackMeter nonconvex("lemma1_definition1_nonconvex_families");
  int negative_curvature_points = 0;
  for (int n = 0; n < 1000; ++n) {
    const GradientFamilyFunction f = RandomGradientFamilyFunction(rng);
    const GapSmoothness k = GapSmoothnessFromGradient(f.smoothness);
    ASSERT_NEAR(k.rho, f.smoothness.rho / (2 - f.smoothness.rho), 1e-15);
    std::uniform_real_distribution<double> point(f.lo, f.hi);
    for (int i = 0; i < 20; ++i) {
      const double w = point(rng);
      const double gap = f.value(f.params, w);  // f* = 0 for every family
      const double g = std::abs(f.derivative(f.params, w));
      const double h = std::abs(f.second(f.params, w));
      if (!std::isfinite(gap) || !std::isfinite(h)) continue;
      // The premise holds by construction (a check of the sampler), up to
      // 1e-12 relative rounding in pow.
      double slack = 0;
      SatisfiesGradientSmoothness(f.smoothness, g, h, &slack);
      premise.Check(h, h + slack, 1e-12 * h);
      self_bounding.Check(g * g, SelfBoundingRhs(f.smoothness, g, gap),
                          1e-12 * g * g);
      conclusion.Check(h, CurvatureBound(k, gap), 1e-12 * h);
      const std::string name = f.name;
      if (name == "double_well" || name == "wavy_cosh") {
        nonconvex.Check(h, CurvatureBound(k, gap), 1e-12 * h);
        if (f.second(f.params, w) < 0) ++negative_curvature_points;
      }
    }
  }
  EXPECT_GE(conclusion.checks(), 19000);
  EXPECT_EQ(premise.violations(), 0);
  EXPECT_EQ(self_bounding.violations(), 0);
  EXPECT_EQ(conclusion.violations(), 0);
  // The nonconvex families were drawn and visited negative curvature.
  EXPECT_GE(nonconvex.checks(), 6000);
  EXPECT_GE(negative_curvature_points, 100);
}

}  // namespace
}  // namespace warmup
