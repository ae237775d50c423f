#ifndef WARMUP_LIB_OPTIM_GRADIENT_DESCENT_H_
#define WARMUP_LIB_OPTIM_GRADIENT_DESCENT_H_

#include <cstdint>
#include <random>
#include <vector>

#include "lib/problems/objective.h"
#include "lib/schedule/schedule.h"
#include "proto/experiment.pb.h"

namespace warmup {

// The law of the noise vectors xi in R^d: mean 0, covariance I under both.
enum class NoiseLaw {
  kGaussian,     // standard normal per coordinate (unbounded)
  kUniformBall,  // uniform in the ball of radius sqrt(d + 2): ||xi|| <= sqrt(d + 2)
};

// Gradient noise of the SGD oracle: g = grad f + sigma xi_1 +
// sqrt(2 a (f - f*) / d) xi_2 with xi_1, xi_2 independent draws of `law`. It
// meets the ABC condition E||g||^2 = 2 a (f - f*) + ||grad f||^2 + d sigma^2
// (A = a, B = 1, C = d sigma^2) with equality under either law; under
// kUniformBall it is also bounded, ||g - grad f|| <= (sigma + sqrt(2 a (f -
// f*) / d)) sqrt(d + 2), as R-Theorem 4 assumes.
struct GradientNoise {
  double sigma = 0.0;
  double a = 0.0;
  NoiseLaw law = NoiseLaw::kGaussian;
  bool active() const { return sigma > 0.0 || a > 0.0; }
};

// The oracle a spec's noise describes (experiment.proto, Noise).
GradientNoise GradientNoiseOf(const spec::Noise& noise);

// One draw of the noisy oracle at a point with suboptimality `gap` and exact
// gradient `grad`.
void NoisyGradient(const GradientNoise& noise, double gap,
                   const Eigen::VectorXd& grad, std::mt19937_64& rng,
                   Eigen::VectorXd* out);

struct DescentOptions {
  int64_t iterations = 0;
  int64_t record_every = 1;  // 0: record nothing but the end points
  bool record_smoothness = false;
  double target_gap = 0.0;          // > 0: stop once f - f* <= target_gap
  double divergence_factor = 1e8;   // gap > factor * initial gap: diverged
  GradientNoise noise;
  uint64_t seed = 0;
};

enum class DescentOutcome { kCompleted, kReachedTarget, kDiverged };

// What a run recorded: per recorded step the loss, gap, learning rate,
// gradient norm and (optionally) Hessian norm, plus summary quantities.
struct DescentTrace {
  std::vector<double> step, loss, gap, lr, grad_norm, smoothness;
  DescentOutcome outcome = DescentOutcome::kCompleted;
  int64_t steps_run = 0;         // steps taken
  int64_t steps_to_target = -1;  // first t with gap <= target, or -1
  double initial_gap = 0.0;
  double final_gap = 0.0;
  double min_grad_norm_sq = 0.0;  // min over t < steps_run of ||grad f||^2
  double sum_lr = 0.0;            // sum of eta_t over the steps taken
  // Steps with eta_{t+1} < eta_t, and with f(w_{t+1}) > f(w_t), beyond a
  // relative rounding allowance of 1e-13.
  int64_t lr_decreases = 0;
  int64_t gap_increases = 0;
};

// Runs w_{t+1} = w_t - eta_t g_t from the objective's initial point, with
// eta_t = schedule.Rate(t, f(w_t)) and g_t the exact gradient (or the noisy
// oracle when options.noise is active). Non-finite values or a gap beyond
// divergence_factor times the initial gap end the run as diverged.
DescentTrace RunGradientDescent(const Objective& objective,
                                LearningRateSchedule& schedule,
                                const DescentOptions& options);

}  // namespace warmup

#endif  // WARMUP_LIB_OPTIM_GRADIENT_DESCENT_H_
