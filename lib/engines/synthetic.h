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

}  // namespace warmup

#endif  // WARMUP_LIB_RUNNER_SYNTHETIC_H_
