// The speed-up sweep behind the speed-up table (docs/theory.md, Theorems 3
// and 4): on the instance family f_T, the best-tuned constant step against
// the theory warmup, for GD and for SGD, over a grid of horizons T.
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/optim/gradient_descent.h"
#include "lib/problems/make_objective.h"
#include "lib/problems/speedup_instance.h"
#include "lib/runner/result_util.h"
#include "lib/runner/synthetic.h"
#include "lib/schedule/schedule.h"
#include "lib/theory/warmup.h"

namespace warmup {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Mean final gap over seeds; a diverged run counts as +inf.
double MeanFinalGap(const Objective& f, const spec::Schedule& schedule_spec,
                    int64_t horizon, double init_curvature,
                    const DescentOptions& base,
                    const std::vector<int64_t>& seeds) {
  double sum = 0.0;
  for (int64_t seed : seeds) {
    auto schedule = MakeSchedule(schedule_spec, horizon, init_curvature);
    if (!schedule.ok()) return kInf;
    DescentOptions o = base;
    o.seed = static_cast<uint64_t>(seed);
    const DescentTrace t = RunGradientDescent(f, **schedule, o);
    sum += t.outcome == DescentOutcome::kDiverged ? kInf : t.final_gap;
  }
  return sum / static_cast<double>(seeds.size());
}

std::string Num(double v) { return absl::StrFormat("%.4g", v); }

}  // namespace

absl::Status RunSpeedupSweep(const spec::Experiment& e, spec::Result* result) {
  const spec::Sweep& sweep = e.sweep();
  if (e.problem().kind_case() != spec::Problem::kSpeedupInstance) {
    return absl::InvalidArgumentError(
        "sweep: needs problem.speedup_instance (the instance family f_T)");
  }
  if (sweep.constant_grid().empty()) {
    return absl::InvalidArgumentError("sweep.constant_grid: must not be empty");
  }
  std::vector<spec::Schedule> theory;
  for (const spec::Schedule& s : e.schedules()) {
    if (s.has_theory_warmup()) theory.push_back(s);
  }
  if (theory.empty()) {
    return absl::InvalidArgumentError(
        "sweep: needs a theory_warmup schedule among the schedules");
  }
  std::vector<double> caps(sweep.cap_grid().begin(), sweep.cap_grid().end());
  if (caps.empty()) caps.push_back(0.0);
  std::vector<int64_t> seeds(e.seeds().begin(), e.seeds().end());
  if (seeds.empty()) seeds.push_back(0);

  spec::Table* table = result->add_tables();
  table->set_name("speedup");
  for (const char* c : {"method", "T", "best_constant_gap", "constant_multiple",
                        "theory_gap", "theory_cap", "ratio"}) {
    table->add_columns(c);
  }
  const double k0 = e.problem().speedup_instance().k0();
  const double beta = e.problem().speedup_instance().beta();
  const bool sgd = e.problem().noise().sigma() > 0 || e.problem().noise().a() > 0;
  std::vector<std::string> modes = {"gd"};
  if (sgd) modes.push_back("sgd");
  int violations = 0;
  for (const std::string& mode : modes) {
    std::vector<double> horizons, ratios, const_gaps, theory_gaps;
    const std::vector<int64_t> mode_seeds =
        mode == "gd" ? std::vector<int64_t>{seeds.front()} : seeds;
    for (int64_t horizon : sweep.horizons()) {
      auto objective = MakeObjective(e.problem(), horizon);
      if (!objective.ok()) return objective.status();
      const auto& f = static_cast<const SpeedupInstance&>(**objective);
      const double init_curvature = f.HessianNorm(f.InitialPoint());
      DescentOptions base;
      base.iterations = horizon;
      base.record_every = 0;
      base.divergence_factor = e.optimizer().divergence_factor() > 0
                                   ? e.optimizer().divergence_factor()
                                   : 1e8;
      if (mode == "sgd") {
        base.noise = {e.problem().noise().sigma(), e.problem().noise().a()};
      }
      // Lower bound for constant steps (Proposition 2): stable ones keep
      // q >= q0 exp(-2 beta / (1 - beta / T)), unstable ones keep h >= h(y0).
      const double bound =
          std::min(f.InitialQ() * std::exp(-2.0 * beta / (1.0 - beta / horizon)),
                   f.InitialH());
      double best_const = kInf, best_multiple = 0.0;
      for (double m : sweep.constant_grid()) {
        spec::Schedule c;
        c.set_label("constant");
        c.mutable_constant()->set_lr(m * f.LargestStableStepAtInit());
        const double gap =
            MeanFinalGap(f, c, horizon, init_curvature, base, mode_seeds);
        if (mode == "gd" && gap < bound) ++violations;
        if (gap < best_const) {
          best_const = gap;
          best_multiple = m;
        }
      }
      double best_theory = kInf, best_cap = 0.0;
      for (const spec::Schedule& t : theory) {
        for (double cap : caps) {
          spec::Schedule s = t;
          if (cap > 0) s.mutable_theory_warmup()->set_max_lr(cap / k0);
          const double gap =
              MeanFinalGap(f, s, horizon, init_curvature, base, mode_seeds);
          if (gap < best_theory) {
            best_theory = gap;
            best_cap = cap;
          }
        }
      }
      const double ratio = best_const / best_theory;
      horizons.push_back(static_cast<double>(horizon));
      ratios.push_back(ratio);
      const_gaps.push_back(best_const);
      theory_gaps.push_back(best_theory);
      AddScalar(absl::StrCat(mode, ".ratio_T", horizon), ratio, result);
      auto* row = table->add_rows();
      for (const std::string& cell :
           {mode, absl::StrCat(horizon), Num(best_const), Num(best_multiple),
            Num(best_theory), best_cap > 0 ? Num(best_cap) : std::string("none"),
            Num(ratio)}) {
        row->add_cells(cell);
      }
    }
    const double slope = LogLogSlope(horizons, ratios);
    AddScalar(absl::StrCat(mode, ".slope"), slope, result);
    auto* row = table->add_rows();
    for (const std::string& cell :
         {mode, std::string("slope"), std::string(""), std::string(""),
          std::string(""), std::string(""), absl::StrFormat("%.3f", slope)}) {
      row->add_cells(cell);
    }
    for (auto [metric, run, ys] :
         {std::make_tuple("speedup", mode, &ratios),
          std::make_tuple("gap", mode + "/best_constant", &const_gaps),
          std::make_tuple("gap", mode + "/theory_warmup", &theory_gaps)}) {
      AddSeries(run, metric, "horizon", horizons, *ys, result);
    }
  }
  AddScalar("gd.lower_bound_violations", violations, result);
  return absl::OkStatus();
}

}  // namespace warmup
