// Lemma 3 (reconstructed, docs/theory.md): for convex f satisfying
// Definition 1 and any direction g, f(w - eta g) <= f(w) - eta <grad f, g> +
// (Lbar / 2) eta^2 ||g||^2 with Lbar = K0 + Krho max(gap, gap+)^rho, where
// gap+ is the gap after the step. This is the one-step inequality behind the
// SGD analysis under ABC noise. Checked at 2,000 random draws of the noisy
// oracle (A, B = 1, C known) at random convex instances.
#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "lib/optim/gradient_descent.h"
#include "lib/theory/warmup.h"
#include "tests/claims/test_functions.h"

namespace warmup {
namespace {

TEST(SgdStepClaim, OneStepInequalityUnderAbcNoise) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  SlackMeter meter("lemma3_sgd_one_step");
  for (int n = 0; n < 2000; ++n) {
    const auto f = RandomGapSmoothObjective(rng, /*convex_only=*/true);
    const Eigen::VectorXd w = f->InitialPoint();
    Eigen::VectorXd grad(f->Dim()), g, unused(f->Dim());
    const double value = f->ValueAndGradient(w, &grad);
    const double gap = value - f->OptimalValue();
    if (!std::isfinite(value) || gap > 1e12) continue;
    const GradientNoise noise{u(rng), 2 * u(rng)};
    NoisyGradient(noise, gap, grad, rng, &g);
    const GapSmoothness s = f->Smoothness();
    const double eta = TheoryStepSize(s, u(rng), gap);
    const double next = f->ValueAndGradient(w - eta * g, &unused);
    const double gap_next = next - f->OptimalValue();
    if (!std::isfinite(next)) continue;
    const double lbar = CurvatureBound(s, std::max(gap, gap_next));
    const double bound =
        value - eta * grad.dot(g) + 0.5 * lbar * eta * eta * g.squaredNorm();
    meter.Check(next, bound, 1e-12 * (std::abs(value) + std::abs(bound)));
  }
  EXPECT_GE(meter.checks(), 1900);
  EXPECT_EQ(meter.violations(), 0);
}

}  // namespace
}  // namespace warmup
