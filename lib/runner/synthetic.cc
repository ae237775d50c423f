#include "lib/runner/synthetic.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/optim/gradient_descent.h"
#include "lib/problems/make_objective.h"
#include "lib/problems/speedup_instance.h"
#include "lib/runner/result_util.h"
#include "lib/schedule/schedule.h"
#include "lib/theory/warmup.h"

namespace warmup {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

DescentOptions OptionsFor(const spec::Experiment& e, int64_t iterations,
                          bool noisy, uint64_t seed) {
  DescentOptions o;
  o.iterations = iterations;
  o.record_every = e.record().every() > 0 ? e.record().every() : 1;
  o.record_smoothness = e.record().smoothness();
  o.target_gap = e.stop().target_gap();
  if (e.optimizer().divergence_factor() > 0) {
    o.divergence_factor = e.optimizer().divergence_factor();
  }
  if (noisy) o.noise = {e.problem().noise().sigma(), e.problem().noise().a()};
  o.seed = seed;
  return o;
}

std::vector<int64_t> Seeds(const spec::Experiment& e) {
  if (e.seeds().empty()) return {0};
  return {e.seeds().begin(), e.seeds().end()};
}

// The per-run scalars a claim can name.
std::map<std::string, double> RunScalars(const DescentTrace& t) {
  return {
      {"steps", static_cast<double>(t.steps_run)},
      {"steps_to_target",
       t.steps_to_target >= 0 ? static_cast<double>(t.steps_to_target) : kInf},
      {"final_gap", t.final_gap},
      {"initial_gap", t.initial_gap},
      {"diverged", t.outcome == DescentOutcome::kDiverged ? 1.0 : 0.0},
      {"lr_decreases", static_cast<double>(t.lr_decreases)},
      {"gap_increases", static_cast<double>(t.gap_increases)},
      {"initial_lr", t.lr.empty() ? 0.0 : t.lr.front()},
      {"final_lr", t.lr.empty() ? 0.0 : t.lr.back()},
      {"sum_lr", t.sum_lr},
      {"min_grad_norm_sq", t.min_grad_norm_sq},
      {"grad_norm_bound", GradientNormBound(t.initial_gap, {t.sum_lr})},
  };
}

spec::RunOutcome::Outcome ToProto(DescentOutcome o) {
  switch (o) {
    case DescentOutcome::kReachedTarget: return spec::RunOutcome::REACHED_TARGET;
    case DescentOutcome::kDiverged: return spec::RunOutcome::DIVERGED;
    default: return spec::RunOutcome::COMPLETED;
  }
}

}  // namespace

absl::Status RunSyntheticExperiment(const spec::Experiment& e,
                                    spec::Result* result) {
  absl::StatusOr<std::unique_ptr<Objective>> objective =
      MakeObjective(e.problem(), e.iterations());
  if (!objective.ok()) return objective.status();
  const Objective& f = **objective;
  const double init_curvature = f.HessianNorm(f.InitialPoint());
  AddScalar("problem.init_curvature", init_curvature, result);
  AddScalar("problem.initial_gap", f.Value(f.InitialPoint()) - f.OptimalValue(),
            result);
  const GapSmoothness s = f.Smoothness();
  AddScalar("problem.k0", s.k0, result);
  AddScalar("problem.krho", s.krho, result);
  AddScalar("problem.rho", s.rho, result);

  const std::vector<int64_t> seeds = Seeds(e);
  const bool noisy = e.optimizer().kind() == spec::Optimizer::SGD;
  for (const spec::Schedule& schedule_spec : e.schedules()) {
    std::map<std::string, double> mean;
    for (int64_t seed : seeds) {
      auto schedule = MakeSchedule(schedule_spec, e.iterations(), init_curvature);
      if (!schedule.ok()) return schedule.status();
      const auto start = std::chrono::steady_clock::now();
      const DescentTrace trace = RunGradientDescent(
          f, **schedule, OptionsFor(e, e.iterations(), noisy, seed));
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
      const std::string run =
          seeds.size() > 1 ? absl::StrCat(schedule_spec.label(), "/seed", seed)
                           : schedule_spec.label();
      const spec::Record& rec = e.record();
      if (rec.loss()) AddSeries(run, "loss", "step", trace.step, trace.loss, result);
      if (rec.gap()) AddSeries(run, "gap", "step", trace.step, trace.gap, result);
      if (rec.lr()) AddSeries(run, "lr", "step", trace.step, trace.lr, result);
      if (rec.grad_norm()) {
        AddSeries(run, "grad_norm", "step", trace.step, trace.grad_norm, result);
      }
      if (rec.smoothness()) {
        AddSeries(run, "smoothness", "step", trace.step, trace.smoothness, result);
        AddSeries(run, "smoothness", "gap", trace.gap, trace.smoothness, result);
      }
      for (const auto& [name, value] : RunScalars(trace)) {
        if (seeds.size() > 1) AddScalar(absl::StrCat(run, ".", name), value, result);
        mean[name] += value / seeds.size();
      }
      spec::RunOutcome* outcome = result->add_runs();
      outcome->set_run(run);
      outcome->set_outcome(ToProto(trace.outcome));
      outcome->set_steps(trace.steps_run);
      outcome->set_final_gap(trace.final_gap);
      outcome->set_seconds(seconds);
    }
    // With several seeds, "<label>.<quantity>" is the mean over seeds.
    for (const auto& [name, value] : mean) {
      AddScalar(absl::StrCat(schedule_spec.label(), ".", name), value, result);
    }
  }
  return absl::OkStatus();
}

}  // namespace warmup
