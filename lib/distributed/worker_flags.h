#ifndef WARMUP_LIB_DISTRIBUTED_WORKER_FLAGS_H_
#define WARMUP_LIB_DISTRIBUTED_WORKER_FLAGS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "lib/distributed/worker_group.h"

namespace warmup {

// The workers of this job, from the launcher's environment and the flags
// --rendezvous, --rendezvous_timeout and --worker_timeout (defined here, so
// that every program that links this takes the same ones); null when a
// single process runs.
absl::StatusOr<std::unique_ptr<WorkerGroup>> JoinWorkersFromFlags();

}  // namespace warmup

#endif  // WARMUP_LIB_DISTRIBUTED_WORKER_FLAGS_H_
