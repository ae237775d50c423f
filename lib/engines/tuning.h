#ifndef WARMUP_LIB_ENGINES_TUNING_H_
#define WARMUP_LIB_ENGINES_TUNING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// What an engine measured for one grid point of a tuned baseline (averaged
// over the tuning seeds when there are several).
struct TuningTrial {
  double score = 0.0;     // the baseline's objective; lower is better
  bool diverged = false;  // any tuning seed diverged
  bool monotone = false;  // the gap never increased (synthetic problems)
};

// The selected grid point.
struct TuningSelection {
  int winner = -1;  // index into the grid; -1: no eligible point
  bool at_grid_edge = false;
  int eligible = 0;
};

// One schedule per grid point, in grid order (rates outer, then lengths,
// then powers), labelled "<label>/grid<k>"; FamilyParametersOf
// (lib/schedule) reads a point's values back. The spec is assumed validated
// (ValidateTunedBaseline).
std::vector<spec::Schedule> TuningGrid(const spec::TunedBaseline& baseline);

// Applies the baseline's rule and objective to the trials (one per grid
// point): eligible points are those that did not diverge, have a finite
// score and, under MONOTONE, never increased the gap; the lowest score
// wins, ties to the earlier point. The winner is at the grid's edge when its
// rate or length is the smallest or largest of a dimension with more than
// one value (a power grid counts as a dimension too).
TuningSelection SelectWinner(const spec::TunedBaseline& baseline,
                             const std::vector<spec::Schedule>& grid,
                             const std::vector<TuningTrial>& trials);

// The winner as an ordinary schedule labelled baseline.label().
// FailedPrecondition when no grid point was eligible.
absl::StatusOr<spec::Schedule> WinningSchedule(
    const spec::TunedBaseline& baseline, const std::vector<spec::Schedule>& grid,
    const TuningSelection& selection);

// Writes every grid point's outcome to the Result's "tuning" table and the
// scalars <label>.at_grid_edge, .grid_points, .eligible_points, .tuned_rate
// and .tuned_warmup_steps, and .tuned_power when the baseline has a power
// grid (the tuned values NaN when nothing was eligible).
void RecordTuning(const spec::TunedBaseline& baseline,
                  const std::vector<spec::Schedule>& grid,
                  const std::vector<TuningTrial>& trials,
                  const TuningSelection& selection, spec::Result* result);

// The scalars RecordTuning writes for `baseline`.
std::vector<std::string> TuningScalarNames(const spec::TunedBaseline& baseline);

}  // namespace warmup

#endif  // WARMUP_LIB_ENGINES_TUNING_H_
