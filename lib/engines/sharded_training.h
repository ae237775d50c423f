#ifndef WARMUP_LIB_ENGINES_SHARDED_TRAINING_H_
#define WARMUP_LIB_ENGINES_SHARDED_TRAINING_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/engines/engine.h"
#include "lib/trainer/trainer.h"

namespace warmup {

// Trains every request and returns the traces by run name (request.label).
// With workers (context.workers), request k is trained by worker k % world,
// which hands the trace to the others through the store (exact: doubles as
// binary64), so every worker returns every trace and the Result does not
// depend on the number of workers; keys are "<phase>/<run>". With several
// ranks per run (data parallel), teams of that many workers take the runs
// in turn, and each team's first worker hands the traces over. A failed run
// stops every worker with its message. Each finished run leaves its trace
// beside its checkpoints (<checkpoint_dir>/finished.pb, named by RunIdentity)
// when the context has an output folder, and with --resume a run that left
// one is taken as it is.
absl::StatusOr<std::map<std::string, TrainTrace>> TrainAll(
    const std::vector<TrainRequest>& requests, const std::string& phase,
    const RunContext& context);

}  // namespace warmup

#endif  // WARMUP_LIB_ENGINES_SHARDED_TRAINING_H_
