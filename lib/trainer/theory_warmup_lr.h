#ifndef WARMUP_LIB_TRAINER_THEORY_WARMUP_LR_H_
#define WARMUP_LIB_TRAINER_THEORY_WARMUP_LR_H_

#include <vector>

#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

#include "absl/status/statusor.h"
#include "lib/schedule/schedule.h"

namespace warmup {

// Constants of the theory warmup eta_t = min(c / (K0 + Krho (l_t - f*)^rho),
// max_lr) (docs/theory.md, Theorem 1). l_t is the loss passed to step(), or
// its exponential moving average when ema > 0.
struct TheoryWarmupLROptions {
  double k0 = 0.0, krho = 0.0, rho = 1.0;
  double c = 1.0;
  double f_star = 0.0;
  double max_lr = 0.0;  // 0: no cap (then K0 must be > 0)
  double ema = 0.0;     // in [0, 1); 0: the current loss drives the rate
};

// The theory warmup as a drop-in LibTorch learning-rate scheduler, used like
// torch.optim.lr_scheduler.ReduceLROnPlateau: construct it on an optimizer,
// call step(loss) once per iteration with the loss of the current iterate,
// before optimizer.step(); it sets every parameter group's learning rate.
// Its state (the smoothed loss) checkpoints beside the optimizer's with
// save() and load().
class TheoryWarmupLR {
 public:
  // InvalidArgument for constants the schedule rejects (negative K0 or
  // Krho, rho <= 0, c <= 0, K0 = 0 without a cap, ema outside [0, 1)).
  static absl::StatusOr<TheoryWarmupLR> Create(torch::optim::Optimizer& optimizer,
                                               const TheoryWarmupLROptions& options);

  // Sets and returns the rate for the iterate whose loss is `loss`. A
  // non-finite loss gives the smallest rate the formula allows.
  double step(double loss);
  double get_last_lr() const { return last_lr_; }

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

  // The smoothed-loss state as numbers (for callers that store it themselves).
  std::vector<double> State() const { return schedule_.State(); }
  void SetState(const std::vector<double>& state) { schedule_.SetState(state); }

 private:
  TheoryWarmupLR(torch::optim::Optimizer& optimizer, const TheoryWarmupLROptions& options);
  torch::optim::Optimizer* optimizer_;
  TheoryWarmupSchedule schedule_;
  double last_lr_ = 0.0;
};

// Sets the learning rate of every parameter group of `optimizer`.
void SetLearningRate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace warmup

#endif  // WARMUP_LIB_TRAINER_THEORY_WARMUP_LR_H_
