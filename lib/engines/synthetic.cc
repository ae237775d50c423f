#include "lib/engines/synthetic.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/optim/gradient_descent.h"
#include "lib/problems/make_objective.h"
#include "lib/engines/result_util.h"
#include "lib/engines/speedup_sweep.h"
#include "lib/engines/tuning.h"
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
  if (noisy) o.noise = GradientNoiseOf(e.problem().noise());
  o.seed = seed;
  return o;
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

// One run of `schedule_spec` from the objective's initial point.
absl::StatusOr<DescentTrace> RunSchedule(const spec::Experiment& e,
                                         const Objective& f,
                                         const spec::Schedule& schedule_spec,
                                         double init_curvature,
                                         const DescentOptions& options) {
  auto schedule = MakeSchedule(schedule_spec, e.iterations(), init_curvature);
  if (!schedule.ok()) return schedule.status();
  return RunGradientDescent(f, **schedule, options);
}

// Runs every grid point of a tuned baseline with the method's budget and
// stopping rule (same iterations, target and divergence rule; nothing
// recorded), records the "tuning" table and scalars, and returns the winner
// as an ordinary schedule. MONOTONE counts a point as monotone when its gap
// never increased beyond the loop's 1e-13 relative rounding allowance.
absl::StatusOr<spec::Schedule> TuneBaseline(const spec::Experiment& e,
                                            const Objective& f,
                                            const spec::TunedBaseline& b,
                                            double init_curvature,
                                            spec::Result* result) {
  const std::vector<spec::Schedule> grid = TuningGrid(b);
  const bool noisy = e.optimizer().kind() == spec::Optimizer::SGD;
  std::vector<TuningTrial> trials;
  for (const spec::Schedule& point : grid) {
    TuningTrial trial;
    trial.monotone = true;
    for (int64_t seed : SeedsOf(e)) {
      DescentOptions o = OptionsFor(e, e.iterations(), noisy, seed);
      o.record_every = 0;
      o.record_smoothness = false;
      absl::StatusOr<DescentTrace> t = RunSchedule(e, f, point, init_curvature, o);
      if (!t.ok()) return t.status();
      const double score = b.objective() == "steps_to_target"
                               ? (t->steps_to_target >= 0
                                      ? static_cast<double>(t->steps_to_target)
                                      : kInf)
                               : t->final_gap;
      trial.score += score / static_cast<double>(SeedsOf(e).size());
      trial.diverged = trial.diverged || t->outcome == DescentOutcome::kDiverged;
      trial.monotone = trial.monotone && t->gap_increases == 0;
    }
    trials.push_back(trial);
  }
  const TuningSelection selection = SelectWinner(b, grid, trials);
  RecordTuning(b, grid, trials, selection, result);
  return WinningSchedule(b, grid, selection);
}

// The series a run records under the spec's Record: (metric, x).
std::vector<std::pair<std::string, std::string>> RecordedSeries(const spec::Record& rec) {
  std::vector<std::pair<std::string, std::string>> series;
  if (rec.loss()) series.emplace_back("loss", "step");
  if (rec.gap()) series.emplace_back("gap", "step");
  if (rec.lr()) series.emplace_back("lr", "step");
  if (rec.grad_norm()) series.emplace_back("grad_norm", "step");
  if (rec.smoothness()) {
    series.emplace_back("smoothness", "step");
    series.emplace_back("smoothness", "gap");
  }
  return series;
}

// The run's values of series `metric` against `x`.
std::pair<const std::vector<double>*, const std::vector<double>*> SeriesValues(
    const DescentTrace& t, const std::string& metric, const std::string& x) {
  const std::vector<double>* xs = x == "gap" ? &t.gap : &t.step;
  if (metric == "loss") return {xs, &t.loss};
  if (metric == "gap") return {xs, &t.gap};
  if (metric == "lr") return {xs, &t.lr};
  if (metric == "grad_norm") return {xs, &t.grad_norm};
  return {xs, &t.smoothness};
}

// Records one run's series, scalars and outcome; adds its scalars to `mean`.
void RecordRun(const spec::Experiment& e, const std::string& run,
               const DescentTrace& trace, double seconds, bool per_seed,
               std::map<std::string, double>* mean, double seeds,
               spec::Result* result) {
  for (const auto& [metric, x] : RecordedSeries(e.record())) {
    const auto [xs, ys] = SeriesValues(trace, metric, x);
    AddSeries(run, metric, x, *xs, *ys, result);
  }
  for (const auto& [name, value] : RunScalars(trace)) {
    if (per_seed) AddScalar(absl::StrCat(run, ".", name), value, result);
    (*mean)[name] += value / seeds;
  }
  spec::RunOutcome* outcome = result->add_runs();
  outcome->set_run(run);
  outcome->set_outcome(ToProto(trace.outcome));
  outcome->set_steps(trace.steps_run);
  outcome->set_final_gap(trace.final_gap);
  outcome->set_seconds(seconds);
}

constexpr const char* kProblemScalars[] = {"init_curvature", "initial_gap", "k0", "krho",
                                           "rho"};

}  // namespace

DeclaredOutputs SyntheticEngine::Declare(const spec::Experiment& e) const {
  DeclaredOutputs out;
  for (const char* name : kProblemScalars) out.scalars.insert(absl::StrCat("problem.", name));
  for (const spec::TunedBaseline& b : e.tuned()) {
    for (const std::string& name : TuningScalarNames(b)) out.scalars.insert(name);
  }
  const std::vector<int64_t> seeds = SeedsOf(e);
  // The keys of RunScalars do not depend on the trace.
  const std::map<std::string, double> quantities = RunScalars(DescentTrace{});
  for (const std::string& label : LabelsOf(e)) {
    for (int64_t seed : seeds) {
      const std::string run = RunName(label, seed, seeds.size());
      for (const auto& [metric, x] : RecordedSeries(e.record())) {
        out.series.insert({run, metric, x});
      }
      for (const auto& [name, value] : quantities) {
        out.scalars.insert(absl::StrCat(run, ".", name));
        out.scalars.insert(absl::StrCat(label, ".", name));
      }
    }
  }
  return out;
}

absl::Status SyntheticEngine::Run(const spec::Experiment& e, const RunContext&,
                                  spec::Result* result) const {
  absl::StatusOr<std::unique_ptr<Objective>> objective =
      MakeObjective(e.problem(), e.iterations());
  if (!objective.ok()) return objective.status();
  const Objective& f = **objective;
  const double init_curvature = f.HessianNorm(f.InitialPoint());
  const GapSmoothness s = f.Smoothness();
  const double problem_scalars[] = {init_curvature,
                                    f.Value(f.InitialPoint()) - f.OptimalValue(), s.k0,
                                    s.krho, s.rho};
  for (size_t k = 0; k < std::size(kProblemScalars); ++k) {
    AddScalar(absl::StrCat("problem.", kProblemScalars[k]), problem_scalars[k], result);
  }

  // The spec's schedules, then each tuned baseline's winner under its label.
  std::vector<spec::Schedule> schedules(e.schedules().begin(), e.schedules().end());
  for (const spec::TunedBaseline& b : e.tuned()) {
    absl::StatusOr<spec::Schedule> winner =
        TuneBaseline(e, f, b, init_curvature, result);
    if (!winner.ok()) return winner.status();
    schedules.push_back(*std::move(winner));
  }

  const std::vector<int64_t> seeds = SeedsOf(e);
  const bool noisy = e.optimizer().kind() == spec::Optimizer::SGD;
  for (const spec::Schedule& schedule_spec : schedules) {
    std::map<std::string, double> mean;
    for (int64_t seed : seeds) {
      const auto start = std::chrono::steady_clock::now();
      absl::StatusOr<DescentTrace> trace = RunSchedule(
          e, f, schedule_spec, init_curvature,
          OptionsFor(e, e.iterations(), noisy, seed));
      if (!trace.ok()) return trace.status();
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
      RecordRun(e, RunName(schedule_spec.label(), seed, seeds.size()), *trace, seconds,
                seeds.size() > 1, &mean, static_cast<double>(seeds.size()), result);
    }
    // With several seeds, "<label>.<quantity>" is the mean over seeds.
    for (const auto& [name, value] : mean) {
      AddScalar(absl::StrCat(schedule_spec.label(), ".", name), value, result);
    }
  }
  return absl::OkStatus();
}

const EngineSet& SyntheticEngines() {
  static const SyntheticEngine* synthetic = new SyntheticEngine();
  static const SpeedupSweepEngine* sweep = new SpeedupSweepEngine();
  static const EngineSet* engines = new EngineSet{synthetic, sweep, nullptr};
  return *engines;
}

}  // namespace warmup
