// Descent lemma under Definition 1 (reconstructed, docs/theory.md): for
// eta <= 1 / (K0 + Krho gap^rho), f(w - eta grad) <= f(w) - eta (1 - eta L/2)
// ||grad||^2. Checked at 2,000 random (objective, point, c) draws.
#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "lib/theory/smoothness.h"
#include "lib/theory/warmup.h"
#include "tests/claims/test_functions.h"

namespace warmup {
namespace {

TEST(DescentLemmaClaim, HoldsAtRandomPointsAndSteps) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  SlackMeter meter("descent_lemma");
  // How loose Definition 1's stated constants are for the Patel-example
  // stand-ins: relative slack (bound - ||H||) / bound at the drawn points.
  // Their bounds are upper bounds from norm inequalities, loose by orders of
  // magnitude, so the descent check on them is weak; the slack says how weak.
  SlackMeter feed_forward("definition1_slack_feedforward_standin");
  SlackMeter recurrent("definition1_slack_recurrent_standin");
  for (int n = 0; n < 2000; ++n) {
    const auto f = RandomGapSmoothObjective(rng, /*convex_only=*/false);
    const Eigen::VectorXd w = f->InitialPoint();
    Eigen::VectorXd grad(f->Dim()), unused(f->Dim());
    const double value = f->ValueAndGradient(w, &grad);
    const double gap = value - f->OptimalValue();
    if (!std::isfinite(value) || gap > 1e12) continue;
    const GapSmoothness s = f->Smoothness();
    if (f->Name() == "feedforward_standin" || f->Name() == "recurrent_standin") {
      SlackMeter& m = f->Name() == "recurrent_standin" ? recurrent : feed_forward;
      m.Check(f->HessianNorm(w), CurvatureBound(s, gap));
    }
    const double c = u(rng);  // eta = c / L(gap), c in (0, 1]
    const double eta = TheoryStepSize(s, c, gap);
    const double next = f->ValueAndGradient(w - eta * grad, &unused);
    const double bound = value - GuaranteedDecrease(s, gap, eta, grad.squaredNorm());
    // Rounding: f is evaluated to about 1e-15 relative; allow 1e-12 |f(w)|.
    meter.Check(next, bound, 1e-12 * std::abs(value));
  }
  EXPECT_GE(meter.checks(), 1900);
  EXPECT_EQ(meter.violations(), 0);
}

}  // namespace
}  // namespace warmup
