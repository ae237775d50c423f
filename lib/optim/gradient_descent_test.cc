#include "lib/optim/gradient_descent.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "lib/problems/cosh_valley.h"
#include "lib/problems/river_valley.h"

namespace warmup {
namespace {

// f(w) = w^2 / 2, remembering the last point it was evaluated at.
class HalfSquare : public Objective {
 public:
  std::string Name() const override { return "half_square"; }
  int Dim() const override { return 1; }
  double ValueAndGradient(const Eigen::VectorXd& w, Eigen::VectorXd* grad) const override {
    last = w[0];
    (*grad)[0] = w[0];
    return 0.5 * w[0] * w[0];
  }
  double HessianNorm(const Eigen::VectorXd&) const override { return 1.0; }
  Eigen::VectorXd InitialPoint() const override { return Eigen::VectorXd::Constant(1, 1.0); }
  GapSmoothness Smoothness() const override { return {1.0, 1.0, 0.0}; }
  mutable double last = 1.0;
};

#if defined(__SSE__)
// With step 1/2 the iterate halves exactly and would reach the subnormal
// 2^-1050. The engine flushes subnormals on x86: once w = 2^-1022 (the
// smallest normal) the step 2^-1023 flushes to zero and w stays there. The
// caller's floating-point mode is left as it was.
TEST(GradientDescentTest, FlushesSubnormalIteratesToZero) {
  HalfSquare f;
  ConstantSchedule schedule(0.5);
  DescentOptions o;
  o.iterations = 1050;
  o.record_every = 0;
  RunGradientDescent(f, schedule, o);
  EXPECT_EQ(f.last, std::numeric_limits<double>::min());
  volatile double subnormal = std::ldexp(1.0, -1050);
  EXPECT_GT(subnormal * 0.5, 0.0);  // gradual underflow again outside the engine
}
#endif

TEST(GradientDescentTest, ConstantStepOnCoshMatchesHandIteration) {
  CoshValley f(1.0, 1.0, 1, Eigen::VectorXd::Constant(1, 0.5));
  ConstantSchedule schedule(0.1);
  DescentOptions o;
  o.iterations = 3;
  const DescentTrace t = RunGradientDescent(f, schedule, o);
  double w = 0.5;
  for (int i = 0; i < 3; ++i) w -= 0.1 * std::sinh(w);
  EXPECT_EQ(t.steps_run, 3);
  EXPECT_NEAR(t.final_gap, std::cosh(w) - 1.0, 1e-15);
  ASSERT_EQ(t.step.size(), 4u);  // steps 0..3
  EXPECT_DOUBLE_EQ(t.sum_lr, 0.3);
}

TEST(GradientDescentTest, StopsAtTarget) {
  CoshValley f(1.0, 1.0, 1, Eigen::VectorXd::Constant(1, 1.0));
  ConstantSchedule schedule(0.5);
  DescentOptions o;
  o.iterations = 1000;
  o.target_gap = 1e-8;
  const DescentTrace t = RunGradientDescent(f, schedule, o);
  EXPECT_EQ(t.outcome, DescentOutcome::kReachedTarget);
  EXPECT_EQ(t.steps_to_target, t.steps_run);
  EXPECT_LE(t.final_gap, 1e-8);
  EXPECT_LT(t.steps_run, 100);
}

TEST(GradientDescentTest, DivergenceIsAnOutcomeNotACrash) {
  RiverValley f(0.05, 1.0, 1.0, Eigen::Vector2d(80.0, 0.5));
  ConstantSchedule schedule(1.0);
  DescentOptions o;
  o.iterations = 10000;
  const DescentTrace t = RunGradientDescent(f, schedule, o);
  EXPECT_EQ(t.outcome, DescentOutcome::kDiverged);
  EXPECT_LT(t.steps_run, 100);
  EXPECT_TRUE(std::isinf(t.final_gap));
  // Overflow to inf/NaN is caught as well.
  CoshValley g(1.0, 1.0, 1, Eigen::VectorXd::Constant(1, 5.0));
  ConstantSchedule huge(1e6);
  o.divergence_factor = 1e300;
  EXPECT_EQ(RunGradientDescent(g, huge, o).outcome, DescentOutcome::kDiverged);
}

TEST(NoisyGradientTest, MeetsTheAbcConditionWithEquality) {
  // E||g||^2 = 2 A gap + ||grad||^2 + d sigma^2. Here Var ||g||^2 is about
  // 104, so the mean of 20000 draws has standard error 0.072; the bound 0.25
  // is 3.5 standard errors.
  const GradientNoise noise{0.3, 2.0};
  Eigen::VectorXd grad(5);
  grad << 1, -2, 0.5, 0, 3;
  const double gap = 1.7;
  std::mt19937_64 rng(11);
  Eigen::VectorXd g;
  const int n = 20000;
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    NoisyGradient(noise, gap, grad, rng, &g);
    sum += g.squaredNorm();
  }
  const double expected = 2 * 2.0 * gap + grad.squaredNorm() + 5 * 0.09;
  EXPECT_NEAR(sum / n, expected, 0.25);
}

// The uniform-ball law meets the same ABC equality (E xi xi^T = I) and is
// bounded: ||g - grad f|| <= sigma sqrt(d + 2) with a = 0, a bound it comes
// within 1% of (P(||xi|| > 0.99 sqrt(d + 2)) = 1 - 0.99^5 = 4.9% per draw).
TEST(NoisyGradientTest, UniformBallIsBoundedWithTheSameSecondMoment) {
  Eigen::VectorXd grad(5);
  grad << 1, -2, 0.5, 0, 3;
  std::mt19937_64 rng(11);
  Eigen::VectorXd g;
  const int n = 20000;
  double sum = 0.0;
  const GradientNoise abc{0.3, 2.0, NoiseLaw::kUniformBall};
  for (int i = 0; i < n; ++i) {
    NoisyGradient(abc, 1.7, grad, rng, &g);
    sum += g.squaredNorm();
  }
  // Same expectation as the Gaussian test above; the ball's ||g||^2 varies
  // less, so the same 0.25 bound is at least 3.5 standard errors.
  EXPECT_NEAR(sum / n, 2 * 2.0 * 1.7 + grad.squaredNorm() + 5 * 0.09, 0.25);

  const GradientNoise additive{0.3, 0.0, NoiseLaw::kUniformBall};
  const double bound = 0.3 * std::sqrt(7.0);
  double largest = 0.0;
  Eigen::VectorXd second_moment = Eigen::VectorXd::Zero(5);
  for (int i = 0; i < n; ++i) {
    NoisyGradient(additive, 1.7, grad, rng, &g);
    largest = std::max(largest, (g - grad).norm());
    second_moment += (g - grad).cwiseAbs2() / n;
  }
  EXPECT_LE(largest, bound * (1 + 1e-12));
  EXPECT_GE(largest, 0.99 * bound);
  // Per coordinate E xi_i^2 sigma^2 = 0.09; the mean of 20000 draws of a
  // variable with variance below 2 * 0.09^2 has standard error below 0.0009.
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(second_moment[i], 0.09, 0.0035) << i;
}

TEST(GradientDescentTest, SameSeedSameRun) {
  CoshValley f(1.0, 1.0, 4, Eigen::VectorXd::Constant(4, 0.3));
  DescentOptions o;
  o.iterations = 200;
  o.noise = {0.05, 0.2};
  o.seed = 7;
  ConstantSchedule a(0.05), b(0.05);
  const DescentTrace ta = RunGradientDescent(f, a, o);
  const DescentTrace tb = RunGradientDescent(f, b, o);
  EXPECT_EQ(ta.loss, tb.loss);
  o.seed = 8;
  ConstantSchedule c(0.05);
  EXPECT_NE(RunGradientDescent(f, c, o).loss, ta.loss);
}

}  // namespace
}  // namespace warmup
