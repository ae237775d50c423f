#include "lib/runner/tuning.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/runner/result_util.h"

namespace warmup {
namespace {

bool SetsInverseCurvature(const spec::Schedule& s) {
  return s.has_constant() && s.constant().times_inverse_init_curvature() > 0;
}

spec::Schedule GridPoint(const spec::TunedBaseline& b, double rate,
                         int64_t warmup_steps, int k) {
  spec::Schedule s = b.schedule();
  s.set_label(absl::StrCat(b.label(), "/grid", k));
  if (s.has_constant()) {
    if (SetsInverseCurvature(s)) {
      s.mutable_constant()->set_times_inverse_init_curvature(rate);
    } else {
      s.mutable_constant()->set_lr(rate);
    }
  } else if (s.has_linear_warmup()) {
    s.mutable_linear_warmup()->set_peak_lr(rate);
    if (warmup_steps > 0) s.mutable_linear_warmup()->set_warmup_steps(warmup_steps);
  } else if (s.has_exponential_warmup()) {
    s.mutable_exponential_warmup()->set_peak_lr(rate);
    if (warmup_steps > 0) {
      s.mutable_exponential_warmup()->set_warmup_steps(warmup_steps);
    }
  }
  return s;
}

bool HasWarmupLength(const spec::Schedule& s) {
  return s.has_linear_warmup() || s.has_exponential_warmup();
}

// Whether `value` is the smallest or largest of a grid with several values.
template <typename T>
bool AtEdge(const google::protobuf::RepeatedField<T>& grid, T value) {
  if (grid.size() < 2) return false;
  const auto [lo, hi] = std::minmax_element(grid.begin(), grid.end());
  return value == *lo || value == *hi;
}

std::string Num(double v) { return absl::StrFormat("%.6g", v); }

}  // namespace

std::vector<spec::Schedule> TuningGrid(const spec::TunedBaseline& b) {
  std::vector<spec::Schedule> grid;
  std::vector<int64_t> lengths(b.warmup_steps_grid().begin(),
                               b.warmup_steps_grid().end());
  if (lengths.empty() || !HasWarmupLength(b.schedule())) lengths = {0};
  for (double rate : b.rate_grid()) {
    for (int64_t w : lengths) {
      grid.push_back(GridPoint(b, rate, w, static_cast<int>(grid.size())));
    }
  }
  return grid;
}

double GridRate(const spec::Schedule& s) {
  if (s.has_linear_warmup()) return s.linear_warmup().peak_lr();
  if (s.has_exponential_warmup()) return s.exponential_warmup().peak_lr();
  return SetsInverseCurvature(s) ? s.constant().times_inverse_init_curvature()
                                 : s.constant().lr();
}

int64_t GridWarmupSteps(const spec::Schedule& s) {
  if (s.has_linear_warmup()) return s.linear_warmup().warmup_steps();
  if (s.has_exponential_warmup()) return s.exponential_warmup().warmup_steps();
  return 0;
}

TuningSelection SelectWinner(const spec::TunedBaseline& b,
                             const std::vector<spec::Schedule>& grid,
                             const std::vector<TuningTrial>& trials) {
  TuningSelection sel;
  double best = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < trials.size() && k < grid.size(); ++k) {
    const TuningTrial& t = trials[k];
    const bool eligible = !t.diverged && std::isfinite(t.score) &&
                          (b.rule() != spec::TunedBaseline::MONOTONE || t.monotone);
    if (!eligible) continue;
    ++sel.eligible;
    if (t.score < best) {
      best = t.score;
      sel.winner = static_cast<int>(k);
    }
  }
  if (sel.winner >= 0) {
    const spec::Schedule& w = grid[sel.winner];
    // A warmup of length 1 is the family's own limit (no warmup: the peak
    // from the first steps); a winner there is at the end of the family,
    // not of an arbitrary grid, and is not flagged.
    const bool length_at_edge = HasWarmupLength(w) && GridWarmupSteps(w) > 1 &&
                                AtEdge(b.warmup_steps_grid(), GridWarmupSteps(w));
    sel.at_grid_edge = AtEdge(b.rate_grid(), GridRate(w)) || length_at_edge;
  }
  return sel;
}

absl::StatusOr<spec::Schedule> WinningSchedule(const spec::TunedBaseline& b,
                                               const std::vector<spec::Schedule>& grid,
                                               const TuningSelection& sel) {
  if (sel.winner < 0 || sel.winner >= static_cast<int>(grid.size())) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "tuned baseline '%s': none of its %d grid points is eligible under rule "
        "%s; widen the grid",
        b.label(), grid.size(), spec::TunedBaseline::Rule_Name(b.rule())));
  }
  spec::Schedule s = grid[sel.winner];
  s.set_label(b.label());
  return s;
}

void RecordTuning(const spec::TunedBaseline& b,
                  const std::vector<spec::Schedule>& grid,
                  const std::vector<TuningTrial>& trials,
                  const TuningSelection& sel, spec::Result* result) {
  spec::Table* table = TableNamed(
      "tuning",
      {"baseline", "rule", "objective", "rate", "warmup_steps", "score", "diverged",
       "monotone", "eligible", "winner"},
      result);
  for (size_t k = 0; k < grid.size() && k < trials.size(); ++k) {
    const TuningTrial& t = trials[k];
    const bool eligible = !t.diverged && std::isfinite(t.score) &&
                          (b.rule() != spec::TunedBaseline::MONOTONE || t.monotone);
    auto* row = table->add_rows();
    for (const std::string& cell :
         {b.label(), spec::TunedBaseline::Rule_Name(b.rule()), b.objective(),
          Num(GridRate(grid[k])), absl::StrCat(GridWarmupSteps(grid[k])),
          Num(t.score), std::string(t.diverged ? "yes" : "no"),
          std::string(t.monotone ? "yes" : "no"), std::string(eligible ? "yes" : "no"),
          std::string(static_cast<int>(k) == sel.winner ? "yes" : "")}) {
      row->add_cells(cell);
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const bool won = sel.winner >= 0;
  AddScalar(b.label() + ".at_grid_edge", sel.at_grid_edge ? 1.0 : 0.0, result);
  AddScalar(b.label() + ".grid_points", static_cast<double>(grid.size()), result);
  AddScalar(b.label() + ".eligible_points", sel.eligible, result);
  AddScalar(b.label() + ".tuned_rate", won ? GridRate(grid[sel.winner]) : nan, result);
  AddScalar(b.label() + ".tuned_warmup_steps",
            won ? static_cast<double>(GridWarmupSteps(grid[sel.winner])) : nan,
            result);
}

}  // namespace warmup
