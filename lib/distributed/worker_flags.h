#ifndef WARMUP_LIB_DISTRIBUTED_WORKER_FLAGS_H_
#define WARMUP_LIB_DISTRIBUTED_WORKER_FLAGS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/distributed/worker_group.h"

namespace warmup {

// The workers of this job, from the launcher's environment and the flags
// --rendezvous, --rendezvous_timeout, --worker_timeout and --ranks_per_run
// (defined here, so that every program that links this takes the same
// ones); null when a single process runs. `device` is the program's
// --device: runs on a GPU average through NCCL, others through Gloo.
absl::StatusOr<std::unique_ptr<WorkerGroup>> JoinWorkersFromFlags(const std::string& device);

}  // namespace warmup

#endif  // WARMUP_LIB_DISTRIBUTED_WORKER_FLAGS_H_
