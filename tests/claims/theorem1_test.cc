// Theorem 1 (reconstructed, docs/theory.md): GD with the theory warmup
// eta_t = c / (K0 + Krho gap_t^rho), c in (0, 1], (i) never increases f,
// (ii) never decreases eta_t (it is a warmup), (iii) satisfies
// min_{t<T} ||grad f(w_t)||^2 <= 2 gap_0 / sum_t eta_t, and (iv) its step
// sum is at least that of the largest non-increasing schedule the descent
// lemma allows, T c / (K0 + Krho gap_0^rho). 1,000 random instances.
#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "lib/optim/gradient_descent.h"
#include "lib/schedule/schedule.h"
#include "lib/theory/warmup.h"
#include "tests/claims/test_functions.h"

namespace warmup {
namespace {

TEST(Theorem1Claim, TheoryWarmupGuarantees) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  SlackMeter monotone_f("theorem1_gap_never_increases");
  SlackMeter monotone_eta("theorem1_eta_never_decreases");
  SlackMeter gradient_bound("theorem1_min_grad_norm_sq_bound");
  SlackMeter step_sum("theorem1_step_sum_beats_nonincreasing");
  int instances = 0;
  while (instances < 1000) {
    const auto f = RandomGapSmoothObjective(rng, /*convex_only=*/false);
    const GapSmoothness s = f->Smoothness();
    const double gap0 = f->Value(f->InitialPoint()) - f->OptimalValue();
    if (!std::isfinite(gap0) || gap0 > 1e12) continue;
    ++instances;
    const double c = 0.05 + 0.95 * u(rng);
    TheoryWarmupSchedule schedule(s, c, f->OptimalValue(), 0.0, 0.0);
    DescentOptions o;
    o.iterations = 10 + static_cast<int64_t>(rng() % 300);
    const DescentTrace t = RunGradientDescent(*f, schedule, o);
    ASSERT_NE(t.outcome, DescentOutcome::kDiverged) << f->Name();
    monotone_f.Check(static_cast<double>(t.gap_increases), 0.0);
    monotone_eta.Check(static_cast<double>(t.lr_decreases), 0.0);
    gradient_bound.Check(t.min_grad_norm_sq, GradientNormBound(gap0, {t.sum_lr}),
                         1e-12 * t.min_grad_norm_sq);
    const double nonincreasing = o.iterations * c / CurvatureBound(s, gap0);
    step_sum.Check(nonincreasing, t.sum_lr, 1e-12 * nonincreasing);
  }
  EXPECT_EQ(monotone_f.violations(), 0);
  EXPECT_EQ(monotone_eta.violations(), 0);
  EXPECT_EQ(gradient_bound.violations(), 0);
  EXPECT_EQ(step_sum.violations(), 0);
}

}  // namespace
}  // namespace warmup
