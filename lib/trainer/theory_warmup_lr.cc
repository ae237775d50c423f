#include "lib/trainer/theory_warmup_lr.h"

#include <torch/serialize.h>

namespace warmup {
namespace {

constexpr char kStateKey[] = "theory_warmup_lr_state";

spec::Schedule AsSpec(const TheoryWarmupLROptions& o) {
  spec::Schedule s;
  s.set_label("theory_warmup_lr");
  spec::TheoryWarmup* t = s.mutable_theory_warmup();
  t->set_k0(o.k0);
  t->set_krho(o.krho);
  t->set_rho(o.rho);
  t->set_c(o.c);
  t->set_f_star(o.f_star);
  t->set_max_lr(o.max_lr);
  t->set_ema(o.ema);
  return s;
}

}  // namespace

void SetLearningRate(torch::optim::Optimizer& optimizer, double lr) {
  for (torch::optim::OptimizerParamGroup& group : optimizer.param_groups()) {
    group.options().set_lr(lr);
  }
}

absl::StatusOr<TheoryWarmupLR> TheoryWarmupLR::Create(torch::optim::Optimizer& optimizer,
                                                      const TheoryWarmupLROptions& options) {
  // One validation for specs and direct use: the schedule's own.
  if (absl::Status st = ValidateSchedule(AsSpec(options)); !st.ok()) return st;
  return TheoryWarmupLR(optimizer, options);
}

TheoryWarmupLR::TheoryWarmupLR(torch::optim::Optimizer& optimizer,
                               const TheoryWarmupLROptions& o)
    : optimizer_(&optimizer),
      schedule_(GapSmoothness{o.rho, o.k0, o.krho}, o.c, o.f_star, o.max_lr, o.ema) {}

double TheoryWarmupLR::step(double loss) {
  last_lr_ = schedule_.Rate(0, loss);
  SetLearningRate(*optimizer_, last_lr_);
  return last_lr_;
}

void TheoryWarmupLR::save(torch::serialize::OutputArchive& archive) const {
  archive.write(kStateKey, torch::tensor(schedule_.State(), torch::kDouble));
}

void TheoryWarmupLR::load(torch::serialize::InputArchive& archive) {
  torch::Tensor t;
  archive.read(kStateKey, t);
  const torch::Tensor c = t.to(torch::kDouble).contiguous();
  schedule_.SetState({c.data_ptr<double>(), c.data_ptr<double>() + c.numel()});
}

}  // namespace warmup
