// Proposition 2 (reconstructed, docs/theory.md): on the instance f_T, every
// non-increasing schedule whose first step does not increase |y|
// (eta_0 <= eta_bar(y_0)) ends with f(w_T) - f* >= q0 exp(-2 beta /
// (1 - beta/T)); under every constant step above eta_bar, f - f* >= h(y_0)
// at every step.
// 1,000 random non-increasing schedules and 1,000 unstable constants.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "lib/optim/gradient_descent.h"
#include "lib/problems/speedup_instance.h"
#include "tests/claims/test_functions.h"

namespace warmup {
namespace {

// A fixed sequence of rates.
class SequenceSchedule : public LearningRateSchedule {
 public:
  explicit SequenceSchedule(std::vector<double> rates) : rates_(std::move(rates)) {}
  double Rate(int64_t step, double) override {
    return rates_[std::min<size_t>(step, rates_.size() - 1)];
  }

 private:
  std::vector<double> rates_;
};

TEST(LowerBoundClaim, NonIncreasingSchedulesCannotBeatTheBound) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  SlackMeter stable("proposition2_stable_nonincreasing");
  SlackMeter unstable("proposition2_unstable_constant");
  for (int n = 0; n < 1000; ++n) {
    const int64_t horizon = static_cast<int64_t>(std::exp(std::log(10.0) + u(rng) * std::log(300.0)));
    const double beta = 0.05 + 0.45 * u(rng);
    const double k0 = std::exp(-1 + 2 * u(rng)), k1 = std::exp(-1 + 2 * u(rng));
    SpeedupInstance f(k0, k1, 20, 0.1 + u(rng), beta, 1e-4, horizon);
    const double eta_bar = f.LargestStableStepAtInit();
    // Random non-increasing sequence from eta_0 = U(0, 1] eta_bar.
    std::vector<double> rates(horizon);
    double eta = eta_bar * (1.0 - u(rng));
    for (auto& r : rates) {
      r = eta;
      if (u(rng) < 0.2) eta *= u(rng);
    }
    SequenceSchedule schedule(rates);
    DescentOptions o;
    o.iterations = horizon;
    o.record_every = 0;
    const DescentTrace t = RunGradientDescent(f, schedule, o);
    const double bound = f.InitialQ() * std::exp(-2 * beta / (1 - beta / horizon));
    // The comparison runs the other way: the gap must stay above the bound.
    stable.Check(bound, t.final_gap, 1e-12 * bound);

    // Above eta_bar, |y| never decreases, so every gap along the run (until
    // it overflows) stays >= h(y_0).
    ConstantSchedule big(eta_bar * (1.0 + 3.0 * u(rng) + 1e-9));
    o.divergence_factor = 1e300;
    o.record_every = 1;
    const DescentTrace b = RunGradientDescent(f, big, o);
    const double min_gap = *std::min_element(b.gap.begin(), b.gap.end());
    unstable.Check(f.InitialH(), min_gap, 1e-12 * f.InitialH());
  }
  EXPECT_EQ(stable.violations(), 0);
  EXPECT_EQ(unstable.violations(), 0);
}

}  // namespace
}  // namespace warmup
