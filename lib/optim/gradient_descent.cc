#include "lib/optim/gradient_descent.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace warmup {
namespace {

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

}  // namespace

void NoisyGradient(const GradientNoise& noise, double gap,
                   const Eigen::VectorXd& grad, std::mt19937_64& rng,
                   Eigen::VectorXd* out) {
  std::normal_distribution<double> normal;
  const double scale_a = std::sqrt(2.0 * noise.a * std::max(gap, 0.0) /
                                   static_cast<double>(grad.size()));
  out->resize(grad.size());
  for (Eigen::Index i = 0; i < grad.size(); ++i) {
    (*out)[i] = grad[i] + noise.sigma * normal(rng);
    if (scale_a > 0.0) (*out)[i] += scale_a * normal(rng);
  }
}

DescentTrace RunGradientDescent(const Objective& objective,
                                LearningRateSchedule& schedule,
                                const DescentOptions& options) {
  DescentTrace trace;
  const double f_star = objective.OptimalValue();
  Eigen::VectorXd w = objective.InitialPoint();
  Eigen::VectorXd grad(w.size()), noisy(w.size());
  std::mt19937_64 rng(options.seed);

  double loss = objective.ValueAndGradient(w, &grad);
  trace.initial_gap = loss - f_star;
  trace.min_grad_norm_sq = std::numeric_limits<double>::infinity();
  const double limit = options.divergence_factor *
                       std::max(trace.initial_gap, 1e-300);
  double prev_lr = 0.0, prev_loss = loss;
  int64_t t = 0;
  for (;; ++t) {
    const double gap = loss - f_star;
    const double grad_norm_sq = grad.squaredNorm();
    if (!std::isfinite(loss) || !std::isfinite(grad_norm_sq) ||
        !w.allFinite() || gap > limit) {
      trace.outcome = DescentOutcome::kDiverged;
      trace.final_gap = std::numeric_limits<double>::infinity();
      break;
    }
    // Increases within floating-point rounding of f (1e-13 relative) are not
    // counted: near f* the computed loss jitters by a few ulps.
    if (t > 0 && loss > prev_loss + 1e-13 * std::abs(prev_loss)) {
      ++trace.gap_increases;
    }
    prev_loss = loss;
    if (options.target_gap > 0.0 && gap <= options.target_gap) {
      if (trace.steps_to_target < 0) trace.steps_to_target = t;
      trace.outcome = DescentOutcome::kReachedTarget;
    }
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

    if (options.noise.active()) {
      NoisyGradient(options.noise, gap, grad, rng, &noisy);
      w.noalias() -= lr * noisy;
    } else {
      w.noalias() -= lr * grad;
    }
    loss = objective.ValueAndGradient(w, &grad);
  }
  trace.steps_run = t;
  return trace;
}

}  // namespace warmup
