#ifndef WARMUP_LIB_SCHEDULE_SCHEDULE_H_
#define WARMUP_LIB_SCHEDULE_SCHEDULE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/theory/smoothness.h"
#include "proto/experiment.pb.h"

namespace warmup {

// A learning-rate schedule, shared by the Eigen optimizer loop and the
// LibTorch trainer. Both ask for the rate at step t given the current loss
// f(w_t); schedules that do not depend on the loss ignore it.
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  // Rate for step `step` (counted from 0) at current loss `loss`. Not const:
  // the theory warmup may keep a smoothed loss.
  virtual double Rate(int64_t step, double loss) = 0;
  // Internal state for checkpoints (empty for stateless schedules).
  virtual std::vector<double> State() const { return {}; }
  virtual void SetState(const std::vector<double>&) {}
};

// eta_t = lr.
class ConstantSchedule : public LearningRateSchedule {
 public:
  explicit ConstantSchedule(double lr) : lr_(lr) {}
  double Rate(int64_t, double) override { return lr_; }

 private:
  double lr_;
};

// Linear warmup, then hold or cosine decay; formulas in experiment.proto.
class LinearWarmupSchedule : public LearningRateSchedule {
 public:
  LinearWarmupSchedule(const spec::LinearWarmup& spec, int64_t total_steps)
      : spec_(spec), total_steps_(total_steps) {}
  double Rate(int64_t step, double loss) override;

 private:
  spec::LinearWarmup spec_;
  int64_t total_steps_;
};

// A warmup ramp to `peak` over W steps, then hold: peak * shape(t / W) for
// t < W, peak for t >= W. The exponential, cosine and polynomial warmups
// (experiment.proto) are ramps with shapes start_fraction^(1 - x),
// (1 - cos(pi x)) / 2 and x^power.
class RampWarmupSchedule : public LearningRateSchedule {
 public:
  RampWarmupSchedule(double peak, int64_t warmup_steps, std::function<double(double)> shape)
      : peak_(peak), warmup_steps_(warmup_steps), shape_(std::move(shape)) {}
  double Rate(int64_t step, double loss) override;

 private:
  double peak_;
  int64_t warmup_steps_;
  std::function<double(double)> shape_;
};

// eta_t = min + (peak - min)(1 + cos(pi t / T)) / 2.
class CosineSchedule : public LearningRateSchedule {
 public:
  CosineSchedule(double peak_lr, double min_lr, int64_t total_steps)
      : peak_(peak_lr), min_(min_lr), total_(total_steps) {}
  double Rate(int64_t step, double loss) override;

 private:
  double peak_, min_;
  int64_t total_;
};

// The theory warmup: c / (K0 + Krho (l_t - f*)^rho), capped at max_lr, where
// l_t is the loss or its exponential moving average.
class TheoryWarmupSchedule : public LearningRateSchedule {
 public:
  TheoryWarmupSchedule(GapSmoothness smoothness, double c, double f_star,
                       double max_lr, double ema)
      : s_(smoothness), c_(c), f_star_(f_star), max_lr_(max_lr), ema_(ema) {}
  double Rate(int64_t step, double loss) override;
  std::vector<double> State() const override {
    return {smoothed_, has_smoothed_ ? 1.0 : 0.0};
  }
  void SetState(const std::vector<double>& state) override {
    if (state.size() == 2) {
      smoothed_ = state[0];
      has_smoothed_ = state[1] != 0.0;
    }
  }

 private:
  GapSmoothness s_;
  double c_, f_star_, max_lr_, ema_;
  double smoothed_ = 0.0;
  bool has_smoothed_ = false;
};

// The parameters a tuned baseline sets on a schedule family
// (experiment.proto, TunedBaseline): the rate (a constant's lr, or its
// multiple of 1 / ||H(w_0)|| when the family sets that; a warmup's peak),
// the warmup length and the polynomial power. 0 where the family has no
// such parameter.
struct FamilyParameters {
  double rate = 0.0;
  int64_t warmup_steps = 0;
  double power = 0.0;
};

// Whether the schedule is a warmup family (it has a peak and a length).
bool IsWarmupFamily(const spec::Schedule& spec);

// The family parameters of a schedule (constant or warmup family).
FamilyParameters FamilyParametersOf(const spec::Schedule& spec);

// Sets the family parameters on `spec`; a warmup_steps or power of 0 keeps
// the schedule's own value, as does a parameter the family does not have.
void SetFamilyParameters(const FamilyParameters& parameters,
                         spec::Schedule* spec);

// Checks a Schedule spec; the error names the schedule's label and field.
absl::Status ValidateSchedule(const spec::Schedule& spec);

// Builds the schedule of a spec. `total_steps` is the run length (cosine
// decay); `init_curvature` is ||H(w_0)|| for constants given as a multiple
// of its inverse (pass 0 when unknown: such a spec is then an error).
absl::StatusOr<std::unique_ptr<LearningRateSchedule>> MakeSchedule(
    const spec::Schedule& spec, int64_t total_steps, double init_curvature);

}  // namespace warmup

#endif  // WARMUP_LIB_SCHEDULE_SCHEDULE_H_
