#ifndef WARMUP_LIB_DISTRIBUTED_WORKER_GROUP_H_
#define WARMUP_LIB_DISTRIBUTED_WORKER_GROUP_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace warmup {

class Collective;  // lib/distributed/collective.h

// Where this process stands among the workers of one job.
struct WorkerPlace {
  int rank = 0;
  int world = 1;      // 1: a single process, no rendezvous
  std::string host;   // the rendezvous (rank 0 hosts c10d's TCPStore there)
  int port = 0;
  std::string source;  // which environment said so, for messages
  // torchrun's agent already hosts a TCPStore at the rendezvous
  // (TORCHELASTIC_USE_AGENT_STORE=True): every worker joins it as a client,
  // under a prefix of its own for each restart of the job.
  bool agent_store = false;
  std::string key_prefix = "warmup/0";
};

// Reads the place from the launcher's environment: torchrun's RANK,
// WORLD_SIZE, MASTER_ADDR and MASTER_PORT, else Slurm's SLURM_PROCID and
// SLURM_NTASKS with the rendezvous from `rendezvous` ("host:port") or
// MASTER_ADDR / MASTER_PORT. Neither: a single worker. InvalidArgument for a
// partial or malformed set, naming the variable.
absl::StatusOr<WorkerPlace> WorkerPlaceFromEnvironment(const std::string& rendezvous);

// The workers of one job meeting through c10d's TCPStore (rank 0 hosts it):
// they hand each other finished runs by key and wait for each other at
// barriers. Values travel through the store, so workers need no shared
// folder. Each worker beats a heartbeat; a wait for a value from a worker
// whose heartbeat stops fails, naming that worker and what it was doing.
class WorkerGroup {
 public:
  // Meets the other workers. DeadlineExceeded (naming the address tried)
  // when the rendezvous is not reached within `timeout`. A worker whose
  // heartbeat (one a second) has not moved for `silent` is taken for dead.
  // With `ranks_per_run` > 1, groups of that many consecutive workers each
  // train one run together (data parallel; InvalidArgument unless it
  // divides the world size), through NCCL on GPU `gpu` when it is >= 0,
  // else through Gloo.
  static absl::StatusOr<std::unique_ptr<WorkerGroup>> Join(
      const WorkerPlace& place, std::chrono::seconds timeout,
      std::chrono::seconds silent = std::chrono::seconds(30), int ranks_per_run = 1,
      int gpu = -1);
  virtual ~WorkerGroup() = default;

  virtual int rank() const = 0;
  virtual int world() const = 0;
  // The ranks this worker trains each of its runs with, or null when each
  // worker trains runs of its own (ranks_per_run 1).
  virtual Collective* ranks() const = 0;
  // Says what this worker is doing (in the message others give if it dies).
  virtual void SetActivity(const std::string& activity) = 0;
  // Stores `value` under `key` (once per key).
  virtual absl::Status Publish(const std::string& key, const std::string& value) = 0;
  // The value under `key`, which worker `owner` publishes; waits for it.
  // Aborted when `owner` published an error instead (its message), or when
  // its heartbeat stopped (naming its rank and last activity).
  virtual absl::StatusOr<std::string> Fetch(const std::string& key, int owner) = 0;
  // Publishes that this worker failed, so that the others stop at once.
  virtual void PublishError(const std::string& key, const std::string& message) = 0;
  // Returns when every worker has reached the barrier `name`.
  virtual absl::Status Barrier(const std::string& name) = 0;
};

}  // namespace warmup

#endif  // WARMUP_LIB_DISTRIBUTED_WORKER_GROUP_H_
