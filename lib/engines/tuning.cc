#include "lib/engines/tuning.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/engines/result_util.h"
#include "lib/schedule/schedule.h"

namespace warmup {
namespace {

spec::Schedule GridPoint(const spec::TunedBaseline& b, const FamilyParameters& f,
                         int k) {
  spec::Schedule s = b.schedule();
  s.set_label(absl::StrCat(b.label(), "/grid", k));
  SetFamilyParameters(f, &s);
  return s;
}

// Whether `value` is the smallest or largest of a grid with several values.
template <typename T>
bool AtEdge(const google::protobuf::RepeatedField<T>& grid, T value) {
  if (grid.size() < 2) return false;
  const auto [lo, hi] = std::minmax_element(grid.begin(), grid.end());
  return value == *lo || value == *hi;
}

std::string Num(double v) { return absl::StrFormat("%.6g", v); }

// The rule: a point that did not diverge, has a finite score and, under
// MONOTONE, never increased the gap.
bool Eligible(const spec::TunedBaseline& b, const TuningTrial& t) {
  return !t.diverged && std::isfinite(t.score) &&
         (b.rule() != spec::TunedBaseline::MONOTONE || t.monotone);
}

}  // namespace

std::vector<spec::Schedule> TuningGrid(const spec::TunedBaseline& b) {
  std::vector<spec::Schedule> grid;
  std::vector<int64_t> lengths(b.warmup_steps_grid().begin(),
                               b.warmup_steps_grid().end());
  if (lengths.empty() || !IsWarmupFamily(b.schedule())) lengths = {0};
  std::vector<double> powers(b.power_grid().begin(), b.power_grid().end());
  if (powers.empty() || !b.schedule().has_polynomial_warmup()) powers = {0.0};
  for (double rate : b.rate_grid()) {
    for (int64_t w : lengths) {
      for (double power : powers) {
        grid.push_back(GridPoint(b, {rate, w, power}, static_cast<int>(grid.size())));
      }
    }
  }
  return grid;
}

TuningSelection SelectWinner(const spec::TunedBaseline& b,
                             const std::vector<spec::Schedule>& grid,
                             const std::vector<TuningTrial>& trials) {
  TuningSelection sel;
  double best = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < trials.size() && k < grid.size(); ++k) {
    const TuningTrial& t = trials[k];
    if (!Eligible(b, t)) continue;
    ++sel.eligible;
    if (t.score < best) {
      best = t.score;
      sel.winner = static_cast<int>(k);
    }
  }
  if (sel.winner >= 0) {
    const FamilyParameters w = FamilyParametersOf(grid[sel.winner]);
    // A warmup of length 1 is the family's own limit (no warmup: the peak
    // from the first steps); a winner there is at the end of the family,
    // not of an arbitrary grid, and is not flagged.
    const bool length_at_edge =
        w.warmup_steps > 1 && AtEdge(b.warmup_steps_grid(), w.warmup_steps);
    sel.at_grid_edge = AtEdge(b.rate_grid(), w.rate) || length_at_edge ||
                       AtEdge(b.power_grid(), w.power);
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
      {"baseline", "rule", "objective", "rate", "warmup_steps", "power", "score",
       "diverged", "monotone", "eligible", "winner"},
      result);
  for (size_t k = 0; k < grid.size() && k < trials.size(); ++k) {
    const TuningTrial& t = trials[k];
    const bool eligible = Eligible(b, t);
    const FamilyParameters f = FamilyParametersOf(grid[k]);
    auto* row = table->add_rows();
    for (const std::string& cell :
         {b.label(), spec::TunedBaseline::Rule_Name(b.rule()), b.objective(),
          Num(f.rate), absl::StrCat(f.warmup_steps), f.power > 0 ? Num(f.power) : "",
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
  const FamilyParameters w = won ? FamilyParametersOf(grid[sel.winner]) : FamilyParameters{};
  AddScalar(b.label() + ".tuned_rate", won ? w.rate : nan, result);
  AddScalar(b.label() + ".tuned_warmup_steps",
            won ? static_cast<double>(w.warmup_steps) : nan, result);
  if (!b.power_grid().empty()) {
    AddScalar(b.label() + ".tuned_power", won ? w.power : nan, result);
  }
}

std::vector<std::string> TuningScalarNames(const spec::TunedBaseline& b) {
  std::vector<std::string> names;
  for (const char* q : {"at_grid_edge", "grid_points", "eligible_points", "tuned_rate",
                        "tuned_warmup_steps"}) {
    names.push_back(absl::StrCat(b.label(), ".", q));
  }
  if (!b.power_grid().empty()) names.push_back(b.label() + ".tuned_power");
  return names;
}

}  // namespace warmup
