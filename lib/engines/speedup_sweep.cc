// The speed-up sweep behind the speed-up table (docs/theory.md, R-Theorems 3
// and 4): on the instance family f_T, the constant step tuned for the final
// gap against the theory warmup, for GD and SGD, over a grid of horizons T.
#include "lib/engines/speedup_sweep.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/optim/gradient_descent.h"
#include "lib/problems/make_objective.h"
#include "lib/problems/speedup_instance.h"
#include "lib/engines/result_util.h"
#include "lib/engines/tuning.h"
#include "lib/schedule/schedule.h"
#include "lib/spec/spec.h"
#include "lib/stats/stats.h"
#include "lib/theory/warmup.h"

namespace warmup {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// One mode of the sweep: GD (no noise), SGD, or SGD under ABC noise.
struct SweepMode {
  std::string name;
  GradientNoise noise;
  std::vector<int64_t> seeds;         // score the two winners
  std::vector<int64_t> tuning_seeds;  // select them
};

// Means over seeds of one schedule's run; a diverged run makes the final gap
// +inf (a recorded outcome: the selection skips it).
struct RunSummary {
  double final_gap = 0.0;
  double sum_lr = 0.0;
  double min_grad_norm_sq = 0.0;
};

// The two sides at one horizon, and how the tuning went.
struct HorizonOutcome {
  int64_t horizon = 0;
  RunSummary constant, theory;
  double constant_multiple = 0.0;  // of eta_bar(y_0)
  double theory_cap = 0.0;         // max_lr * K0; 0: no cap
  bool constant_at_grid_edge = false;
  int lower_bound_violations = 0;  // GD only (R-Proposition 2)
};

// The three ratios, each oriented so that > 1 favours the theory warmup.
struct Ratios {
  double gap, step_sum, grad_norm;
};

// NaN for all three when either side diverged at every grid point (its gap
// is +inf): its step sum and gradient norm then describe no usable run.
Ratios RatiosOf(const HorizonOutcome& h) {
  if (!std::isfinite(h.constant.final_gap) || !std::isfinite(h.theory.final_gap)) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan};
  }
  return {h.constant.final_gap / h.theory.final_gap,
          h.theory.sum_lr / h.constant.sum_lr,
          h.constant.min_grad_norm_sq / h.theory.min_grad_norm_sq};
}

// GD on one seed (it is deterministic), then the spec's SGD modes
// (SweepNoiseModes) on every seed, selecting on the sweep's tuning seeds
// when it names them.
std::vector<SweepMode> Modes(const spec::Experiment& e) {
  std::vector<int64_t> seeds(e.seeds().begin(), e.seeds().end());
  if (seeds.empty()) seeds.push_back(0);
  std::vector<int64_t> tuning(e.sweep().tuning_seeds().begin(),
                              e.sweep().tuning_seeds().end());
  if (tuning.empty()) tuning = seeds;
  std::vector<SweepMode> modes = {{"gd", {}, {seeds.front()}, {seeds.front()}}};
  for (const SweepNoiseMode& mode : SweepNoiseModes(e)) {
    modes.push_back({mode.name, GradientNoiseOf(mode.noise), seeds, tuning});
  }
  return modes;
}

absl::StatusOr<RunSummary> MeanRun(const Objective& f,
                                   const spec::Schedule& schedule_spec,
                                   int64_t horizon, double init_curvature,
                                   const DescentOptions& base,
                                   const std::vector<int64_t>& seeds) {
  RunSummary mean;
  const double n = static_cast<double>(seeds.size());
  for (int64_t seed : seeds) {
    auto schedule = MakeSchedule(schedule_spec, horizon, init_curvature);
    if (!schedule.ok()) return schedule.status();
    DescentOptions o = base;
    o.seed = static_cast<uint64_t>(seed);
    const DescentTrace t = RunGradientDescent(f, **schedule, o);
    const bool diverged = t.outcome == DescentOutcome::kDiverged;
    mean.final_gap += (diverged ? kInf : t.final_gap) / n;
    mean.sum_lr += t.sum_lr / n;
    mean.min_grad_norm_sq += t.min_grad_norm_sq / n;
  }
  return mean;
}

// One horizon's instance and descent settings: MeanRun for any schedule.
struct HorizonSetup {
  const SpeedupInstance& f;
  int64_t horizon;
  double init_curvature;
  DescentOptions base;

  absl::StatusOr<RunSummary> Mean(const spec::Schedule& s,
                                  const std::vector<int64_t>& seeds) const {
    return MeanRun(f, s, horizon, init_curvature, base, seeds);
  }
};

// The constant tuned on the tuning seeds by the shared tuning rule
// (lib/engines/tuning.h) over the grid's multiples of eta_bar(y_0), rule ANY,
// scored by the final gap; GD counts the grid points below R-Proposition 2's
// bound. Returns the winner (no family when nothing was eligible).
absl::StatusOr<spec::Schedule> TuneConstant(const spec::Experiment& e, const SweepMode& mode,
                                            const HorizonSetup& h, HorizonOutcome* out) {
  const double beta = e.problem().speedup_instance().beta();
  // R-Proposition 2: stable constants keep q >= q0 exp(-2 beta / (1 - beta /
  // T)), unstable ones keep h >= h(y_0).
  const double bound =
      std::min(h.f.InitialQ() * std::exp(-2.0 * beta / (1.0 - beta / h.horizon)),
               h.f.InitialH());
  const auto& grid = e.sweep().constant_grid();
  spec::TunedBaseline tuned;
  tuned.set_label("constant");
  tuned.mutable_schedule()->mutable_constant();
  tuned.set_rule(spec::TunedBaseline::ANY);
  for (double m : grid) tuned.add_rate_grid(m * h.f.LargestStableStepAtInit());
  std::vector<spec::Schedule> points = TuningGrid(tuned);
  std::vector<TuningTrial> trials;
  std::vector<RunSummary> runs;
  for (spec::Schedule& c : points) {
    c.set_label("constant");
    absl::StatusOr<RunSummary> run = h.Mean(c, mode.tuning_seeds);
    if (!run.ok()) return run.status();
    if (mode.name == "gd" && run->final_gap < bound) ++out->lower_bound_violations;
    trials.push_back({run->final_gap, !std::isfinite(run->final_gap), false});
    runs.push_back(*run);
  }
  const TuningSelection selection = SelectWinner(tuned, points, trials);
  out->constant_at_grid_edge = selection.at_grid_edge;
  if (selection.winner < 0) return spec::Schedule();
  out->constant = runs[selection.winner];
  out->constant_multiple = grid[selection.winner];
  return points[selection.winner];
}

// The theory warmup with the cap (max_lr K0) of the cap grid that gives the
// smallest mean final gap on the tuning seeds; no cap when the grid is empty.
absl::StatusOr<spec::Schedule> TuneTheoryCap(const spec::Experiment& e, const SweepMode& mode,
                                             const HorizonSetup& h, HorizonOutcome* out) {
  const double k0 = e.problem().speedup_instance().k0();
  std::vector<double> caps(e.sweep().cap_grid().begin(), e.sweep().cap_grid().end());
  if (caps.empty()) caps.push_back(0.0);
  spec::Schedule best;
  for (const spec::Schedule& t : e.schedules()) {
    if (!t.has_theory_warmup()) continue;
    for (double cap : caps) {
      spec::Schedule s = t;
      if (cap > 0) s.mutable_theory_warmup()->set_max_lr(cap / k0);
      absl::StatusOr<RunSummary> run = h.Mean(s, mode.tuning_seeds);
      if (!run.ok()) return run.status();
      if (run->final_gap < out->theory.final_gap) {
        out->theory = *run;
        out->theory_cap = cap;
        best = s;
      }
    }
  }
  return best;
}

// Both sides at one horizon, each tuned on the tuning seeds and, when those
// differ from the experiment's seeds, scored on the latter.
absl::StatusOr<HorizonOutcome> RunHorizon(const spec::Experiment& e,
                                          const SweepMode& mode, int64_t horizon) {
  auto objective = MakeObjective(e.problem(), horizon);
  if (!objective.ok()) return objective.status();
  const auto& f = static_cast<const SpeedupInstance&>(**objective);
  HorizonSetup h{f, horizon, f.HessianNorm(f.InitialPoint()), DescentOptions()};
  h.base.iterations = horizon;
  h.base.record_every = 0;
  h.base.divergence_factor = e.optimizer().divergence_factor() > 0
                                 ? e.optimizer().divergence_factor()
                                 : 1e8;
  h.base.noise = mode.noise;

  HorizonOutcome out;
  out.horizon = horizon;
  out.constant.final_gap = out.theory.final_gap = kInf;
  absl::StatusOr<spec::Schedule> best_constant = TuneConstant(e, mode, h, &out);
  if (!best_constant.ok()) return best_constant.status();
  absl::StatusOr<spec::Schedule> best_theory = TuneTheoryCap(e, mode, h, &out);
  if (!best_theory.ok()) return best_theory.status();
  if (mode.tuning_seeds != mode.seeds) {
    // Score the winners on the experiment's seeds, none of which selected them.
    for (auto [side, winner] : {std::pair{&out.constant, &*best_constant},
                                std::pair{&out.theory, &*best_theory}}) {
      if (!winner->has_constant() && !winner->has_theory_warmup()) continue;
      absl::StatusOr<RunSummary> run = h.Mean(*winner, mode.seeds);
      if (!run.ok()) return run.status();
      *side = *run;
    }
  }
  return out;
}

spec::Table* NewTable(spec::Result* result) {
  spec::Table* table = result->add_tables();
  table->set_name("speedup");
  for (const char* c : {"method", "T", "best_constant_gap", "constant_multiple",
                        "theory_gap", "theory_cap", "gap_ratio", "step_sum_ratio",
                        "grad_norm_ratio"}) {
    table->add_columns(c);
  }
  return table;
}

void AddRow(spec::Table* table, const std::vector<std::string>& cells) {
  auto* row = table->add_rows();
  for (const std::string& cell : cells) row->add_cells(cell);
}

// Fits one ratio's slope. The scalar <mode>.<metric>_slope is NaN when any
// horizon's ratio is missing (non-finite or non-positive), so that a claim on
// it fails; <mode>.<metric>_slope_horizons says how many it rests on.
std::string RecordSlope(const std::string& mode, const std::string& metric,
                        const std::vector<double>& horizons,
                        const std::vector<double>& ratios, spec::Result* result) {
  const LogLogFit fit = FitLogLog(horizons, ratios);
  const std::string name = absl::StrCat(mode, ".", metric, "_slope");
  AddScalar(name, fit.missing == 0 ? fit.slope : std::nan(""), result);
  AddScalar(name + "_horizons", fit.points, result);
  AddScalar(name + "_missing_horizons", fit.missing, result);
  std::string cell = absl::StrFormat("%.3f", fit.slope);
  if (fit.missing > 0) {
    absl::StrAppendFormat(&cell, " (%d of %d horizons)", fit.points,
                          fit.points + fit.missing);
  }
  return cell;
}

// One mode's rows, per-horizon scalars, slopes and series.
void RecordMode(const SweepMode& mode, const std::vector<HorizonOutcome>& outcomes,
                spec::Table* table, spec::Result* result) {
  std::vector<double> horizons, gap, step_sum, grad, const_gaps, theory_gaps;
  int edges = 0;
  for (const HorizonOutcome& h : outcomes) {
    const Ratios r = RatiosOf(h);
    horizons.push_back(static_cast<double>(h.horizon));
    gap.push_back(r.gap);
    step_sum.push_back(r.step_sum);
    grad.push_back(r.grad_norm);
    const_gaps.push_back(h.constant.final_gap);
    theory_gaps.push_back(h.theory.final_gap);
    edges += h.constant_at_grid_edge ? 1 : 0;
    const std::string t = absl::StrCat("_T", h.horizon);
    AddScalar(absl::StrCat(mode.name, ".gap_ratio", t), r.gap, result);
    AddScalar(absl::StrCat(mode.name, ".step_sum_ratio", t), r.step_sum, result);
    AddScalar(absl::StrCat(mode.name, ".grad_norm_ratio", t), r.grad_norm, result);
    AddRow(table, {mode.name, absl::StrCat(h.horizon), TableNumber(h.constant.final_gap),
                   TableNumber(h.constant_multiple), TableNumber(h.theory.final_gap),
                   h.theory_cap > 0 ? TableNumber(h.theory_cap) : std::string("none"),
                   TableNumber(r.gap), TableNumber(r.step_sum), TableNumber(r.grad_norm)});
  }
  AddRow(table, {mode.name, "slope", "", "", "", "",
                 RecordSlope(mode.name, "gap", horizons, gap, result),
                 RecordSlope(mode.name, "step_sum", horizons, step_sum, result),
                 RecordSlope(mode.name, "grad_norm", horizons, grad, result)});
  AddScalar(mode.name + ".constant_at_grid_edge_horizons", edges, result);
  AddSeries(mode.name, "speedup", "horizon", horizons, gap, result);
  AddSeries(mode.name + "_step_sum", "speedup", "horizon", horizons, step_sum, result);
  AddSeries(mode.name + "_grad_norm", "speedup", "horizon", horizons, grad, result);
  AddSeries(mode.name + "/best_constant", "gap", "horizon", horizons, const_gaps, result);
  AddSeries(mode.name + "/theory_warmup", "gap", "horizon", horizons, theory_gaps,
            result);
}

}  // namespace

DeclaredOutputs SpeedupSweepEngine::Declare(const spec::Experiment& e) const {
  DeclaredOutputs out;
  for (const SweepMode& mode : Modes(e)) {
    const std::string& m = mode.name;
    for (int64_t horizon : e.sweep().horizons()) {
      for (const char* ratio : {".gap_ratio_T", ".step_sum_ratio_T", ".grad_norm_ratio_T"}) {
        out.scalars.insert(absl::StrCat(m, ratio, horizon));
      }
    }
    for (const char* metric : {"gap", "step_sum", "grad_norm"}) {
      for (const char* suffix : {"_slope", "_slope_horizons", "_slope_missing_horizons"}) {
        out.scalars.insert(absl::StrCat(m, ".", metric, suffix));
      }
    }
    out.scalars.insert(m + ".constant_at_grid_edge_horizons");
    for (const std::string& run : {m, m + "_step_sum", m + "_grad_norm"}) {
      out.series.insert({run, "speedup", "horizon"});
    }
    out.series.insert({m + "/best_constant", "gap", "horizon"});
    out.series.insert({m + "/theory_warmup", "gap", "horizon"});
  }
  out.scalars.insert("gd.lower_bound_violations");
  return out;
}

absl::Status SpeedupSweepEngine::Run(const spec::Experiment& e, const RunContext&,
                                     spec::Result* result) const {
  spec::Table* table = NewTable(result);
  int violations = 0;
  for (const SweepMode& mode : Modes(e)) {
    std::vector<HorizonOutcome> outcomes;
    for (int64_t horizon : e.sweep().horizons()) {
      absl::StatusOr<HorizonOutcome> h = RunHorizon(e, mode, horizon);
      if (!h.ok()) return h.status();
      violations += h->lower_bound_violations;
      outcomes.push_back(*std::move(h));
    }
    RecordMode(mode, outcomes, table, result);
  }
  AddScalar("gd.lower_bound_violations", violations, result);
  return absl::OkStatus();
}

}  // namespace warmup
