#ifndef WARMUP_LIB_RUNNER_SYNTHETIC_H_
#define WARMUP_LIB_RUNNER_SYNTHETIC_H_

#include "absl/status/status.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// Runs every schedule (and seed) of a synthetic-problem experiment with the
// Eigen GD/SGD loop and appends series, scalars and outcomes to `result`.
// Scalars are named "<run>.<quantity>"; see docs/specs.md for the list.
absl::Status RunSyntheticExperiment(const spec::Experiment& experiment,
                                    spec::Result* result);

// The speed-up sweep (experiment.sweep): for each horizon T, GD and SGD on
// f_T with the best-tuned constant step against the theory warmup. Adds the
// ratio series, the fitted log-log slopes and the "speedup" table.
absl::Status RunSpeedupSweep(const spec::Experiment& experiment,
                             spec::Result* result);

}  // namespace warmup

#endif  // WARMUP_LIB_RUNNER_SYNTHETIC_H_
