#ifndef WARMUP_LIB_RUNNER_SPEEDUP_SWEEP_H_
#define WARMUP_LIB_RUNNER_SPEEDUP_SWEEP_H_

#include "absl/status/status.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// The speed-up sweep (experiment.sweep, docs/theory.md R-Theorems 3 and 4):
// for each horizon T, GD and SGD on f_T with the constant step tuned for the
// final gap against the theory warmup (tuned over caps). For every horizon it
// records three ratios, constant over theory: the final gap, the step sum
// (inverted: theory over constant, Theorem 1's guarantee) and min_t
// ||grad f||^2, and for each a fitted log-log slope with the number of
// horizons it rests on. A slope with a missing horizon is recorded as NaN,
// so a claim on it fails. Schedule errors are returned, never scored.
absl::Status RunSpeedupSweep(const spec::Experiment& experiment,
                             spec::Result* result);

}  // namespace warmup

#endif  // WARMUP_LIB_RUNNER_SPEEDUP_SWEEP_H_
