#ifndef WARMUP_LIB_PROBLEMS_MAKE_OBJECTIVE_H_
#define WARMUP_LIB_PROBLEMS_MAKE_OBJECTIVE_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "lib/problems/objective.h"
#include "proto/experiment.pb.h"

namespace warmup {

// Checks the parameters of a synthetic problem; the error names the field.
absl::Status ValidateSyntheticProblem(const spec::Problem& problem);

// Builds the synthetic objective a Problem spec describes. `horizon` indexes
// instance families (speedup_instance); other problems ignore it.
absl::StatusOr<std::unique_ptr<Objective>> MakeObjective(const spec::Problem& problem,
                                                         int64_t horizon);

}  // namespace warmup

#endif  // WARMUP_LIB_PROBLEMS_MAKE_OBJECTIVE_H_
