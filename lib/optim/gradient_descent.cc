#include "lib/optim/gradient_descent.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace warmup {
namespace {

// Flushes subnormal results and operands to zero for the lifetime of the
// object (the x86 FTZ and DAZ bits of this thread's MXCSR, restored after),
// as XLA and the other ML runtimes do on CPU. Past |w_i| ~ 1e-308 a run has
// converged to the last digit, yet every subnormal operation takes a slow
// path: the converged tail of a 10^6-step river-valley run went 2-3x slower
// per step. Values above 2.2e-308 are unaffected.
class FlushSubnormals {
 public:
#if defined(__SSE__)
  FlushSubnormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtzDaz); }
  ~FlushSubnormals() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned kFtzDaz = 0x8040;
  unsigned saved_;
#endif
};

void Record(const Objective& objective, const Eigen::VectorXd& w, int64_t t,
            double loss, double gap, double lr, double grad_norm,
            bool smoothness, DescentTrace* trace) {
  trace->step.push_back(static_cast<double>(t));
  trace->loss.push_back(loss);
  trace->gap.push_back(gap);
  trace->lr.push_back(lr);
  trace->grad_norm.push_back(grad_norm);
  if (smoothness) trace->smoothness.push_back(objective.HessianNorm(w));
}

// grad + sigma xi_1 + scale_a xi_2 with xi uniform in the ball of radius
// sqrt(d + 2): a direction z / ||z|| (z standard normal) times the radius
// sqrt(d + 2) u^(1/d), u uniform in [0, 1), so E||xi||^2 = d and, by
// symmetry, E xi xi^T = I.
void UniformBallNoise(double sigma, double scale_a, const Eigen::VectorXd& grad,
                      std::mt19937_64& rng, Eigen::VectorXd* out) {
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  const Eigen::Index d = grad.size();
  Eigen::VectorXd z(d);
  auto draw = [&]() -> const Eigen::VectorXd& {
    for (Eigen::Index i = 0; i < d; ++i) z[i] = normal(rng);
    const double norm = z.norm();
    const double radius =
        std::sqrt(static_cast<double>(d) + 2.0) * std::pow(uniform(rng), 1.0 / d);
    z *= norm > 0.0 ? radius / norm : 0.0;
    return z;
  };
  *out = grad;
  if (sigma > 0.0) *out += sigma * draw();
  if (scale_a > 0.0) *out += scale_a * draw();
}

}  // namespace

GradientNoise GradientNoiseOf(const spec::Noise& noise) {
  return {noise.sigma(), noise.a(),
          noise.kind() == spec::Noise::UNIFORM_BALL ? NoiseLaw::kUniformBall
                                                     : NoiseLaw::kGaussian};
}

void NoisyGradient(const GradientNoise& noise, double gap,
                   const Eigen::VectorXd& grad, std::mt19937_64& rng,
                   Eigen::VectorXd* out) {
  const double scale_a = std::sqrt(2.0 * noise.a * std::max(gap, 0.0) /
                                   static_cast<double>(grad.size()));
  if (noise.law == NoiseLaw::kUniformBall) {
    return UniformBallNoise(noise.sigma, scale_a, grad, rng, out);
  }
  std::normal_distribution<double> normal;
  out->resize(grad.size());
  for (Eigen::Index i = 0; i < grad.size(); ++i) {
    (*out)[i] = grad[i] + noise.sigma * normal(rng);
    if (scale_a > 0.0) (*out)[i] += scale_a * normal(rng);
  }
}

namespace {

// Counts an increase of the loss over the previous step and marks the
// target reached. Increases within floating-point rounding of f (1e-13
// relative) are not counted: near f* the computed loss jitters by a few ulps.
void CountIncreaseAndTarget(int64_t t, double loss, double gap, double target_gap,
                            double* prev_loss, DescentTrace* trace) {
  if (t > 0 && loss > *prev_loss + 1e-13 * std::abs(*prev_loss)) ++trace->gap_increases;
  *prev_loss = loss;
  if (target_gap > 0.0 && gap <= target_gap) {
    if (trace->steps_to_target < 0) trace->steps_to_target = t;
    trace->outcome = DescentOutcome::kReachedTarget;
  }
}

}  // namespace

DescentTrace RunGradientDescent(const Objective& objective,
                                LearningRateSchedule& schedule,
                                const DescentOptions& options) {
  FlushSubnormals flush;
  DescentTrace trace;
  const double f_star = objective.OptimalValue();
  Eigen::VectorXd w = objective.InitialPoint();
  Eigen::VectorXd grad(w.size()), noisy(w.size());
  std::mt19937_64 rng(options.seed);

  double loss = objective.ValueAndGradient(w, &grad);
  double grad_norm_sq = grad.squaredNorm();
  trace.initial_gap = loss - f_star;
  trace.min_grad_norm_sq = std::numeric_limits<double>::infinity();
  const double limit = options.divergence_factor *
                       std::max(trace.initial_gap, 1e-300);
  double prev_lr = 0.0, prev_loss = loss;
  int64_t t = 0;
  for (;; ++t) {
    const double gap = loss - f_star;
    // A non-finite iterate makes f or its gradient non-finite, so w itself
    // is checked once, at the end, rather than in a pass of its own per step.
    if (!std::isfinite(loss) || !std::isfinite(grad_norm_sq) || gap > limit ||
        (t == options.iterations && !w.allFinite())) {
      trace.outcome = DescentOutcome::kDiverged;
      trace.final_gap = std::numeric_limits<double>::infinity();
      break;
    }
    CountIncreaseAndTarget(t, loss, gap, options.target_gap, &prev_loss, &trace);
    const bool last = t == options.iterations ||
                      trace.outcome == DescentOutcome::kReachedTarget;
    const double lr = schedule.Rate(t, loss);
    const bool record =
        last || (options.record_every > 0 && t % options.record_every == 0);
    if (record) {
      Record(objective, w, t, loss, gap, lr, std::sqrt(grad_norm_sq),
             options.record_smoothness, &trace);
    }
    if (last) {
      trace.final_gap = gap;
      break;
    }
    trace.min_grad_norm_sq = std::min(trace.min_grad_norm_sq, grad_norm_sq);
    trace.sum_lr += lr;
    if (t > 0 && lr < prev_lr * (1.0 - 1e-13)) ++trace.lr_decreases;
    prev_lr = lr;

    if (options.noise.active()) {  // step along the noisy draw instead
      NoisyGradient(options.noise, gap, grad, rng, &noisy);
      grad.swap(noisy);
    }
    loss = objective.StepValueAndGradient(lr, &w, &grad, &grad_norm_sq);
  }
  trace.steps_run = t;
  return trace;
}

}  // namespace warmup
