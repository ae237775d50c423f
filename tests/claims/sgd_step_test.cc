// R-Lemma 3 (reconstructed, docs/theory.md): for f C^2 and (rho, K0,
// Krho)-smooth (no convexity needed), any direction g, delta > 0 and a step
// eta with eta ||grad f(w)|| ||g|| + L(gap + delta) eta^2 ||g||^2 / 2 < delta,
// the gap stays below gap + delta on the whole segment [w, w - eta g] and
//   f(w - eta g) <= f(w) - eta <grad f, g> + L(gap + delta) eta^2 ||g||^2 / 2
// with L(x) = K0 + Krho x^rho a fixed number, not a function of the draw.
// With noise bounded by S (||g|| <= ||grad f|| + S almost surely) the step
// condition can be met for every draw, so the bound survives the expectation
// over the noise. Checked at 2,000 random (objective, point, bounded noise
// draw with ABC constants, delta, step) draws over every Definition-1
// objective of this project, nonconvex ones included.
#include <algorithm>
#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "lib/optim/gradient_descent.h"
#include "lib/theory/warmup.h"
#include "tests/claims/test_functions.h"

namespace warmup {
namespace {

// The largest eta with eta a + l eta^2 b^2 / 2 <= delta (a = ||grad||
// ||g||, b = ||g||).
double LargestStep(double a, double b, double l, double delta) {
  const double qa = 0.5 * l * b * b;
  if (qa == 0.0) return a > 0 ? delta / a : 1e300;
  return (-a + std::sqrt(a * a + 4 * qa * delta)) / (2 * qa);
}

TEST(SgdStepClaim, OneStepInequalityWithAFixedCurvatureBound) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  SlackMeter step("r_lemma3_one_step_fixed_bound");
  SlackMeter segment("r_lemma3_gap_on_segment");
  for (int n = 0; n < 2000; ++n) {
    const auto f = RandomGapSmoothObjective(rng, /*convex_only=*/false);
    const Eigen::VectorXd w = f->InitialPoint();
    Eigen::VectorXd grad(f->Dim()), g, unused(f->Dim());
    const double value = f->ValueAndGradient(w, &grad);
    const double gap = value - f->OptimalValue();
    if (!std::isfinite(value) || gap > 1e12) continue;
    // An ABC draw, then clipped to ||g - grad|| <= S: bounded noise.
    const GradientNoise noise{u(rng), 2 * u(rng)};
    NoisyGradient(noise, gap, grad, rng, &g);
    const double bound_s = 3.0 * u(rng) * (noise.sigma + 1e-3);
    Eigen::VectorXd xi = g - grad;
    if (xi.norm() > bound_s) xi *= bound_s / xi.norm();
    g = grad + xi;
    const GapSmoothness s = f->Smoothness();
    const double delta = std::max(gap, 1e-6) * std::exp(-3 + 6 * u(rng));
    const double l = CurvatureBound(s, gap + delta);
    const double eta =
        (1.0 - 1e-9) * u(rng) * LargestStep(grad.norm() * g.norm(), g.norm(), l, delta);
    if (!(eta > 0) || !std::isfinite(eta)) continue;
    for (int k = 1; k <= 8; ++k) {
      const double mid = f->ValueAndGradient(w - (k / 8.0) * eta * g, &unused);
      const double limit = gap + delta;
      segment.Check(mid - f->OptimalValue(), limit, 1e-12 * (std::abs(value) + limit));
    }
    const double next = f->ValueAndGradient(w - eta * g, &unused);
    const double rhs = value - eta * grad.dot(g) + 0.5 * l * eta * eta * g.squaredNorm();
    step.Check(next, rhs, 1e-12 * (std::abs(value) + std::abs(rhs)));
  }
  EXPECT_GE(step.checks(), 1900);
  EXPECT_EQ(step.violations(), 0);
  EXPECT_EQ(segment.violations(), 0);
}

}  // namespace
}  // namespace warmup
