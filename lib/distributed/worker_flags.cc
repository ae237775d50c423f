#include "lib/distributed/worker_flags.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, rendezvous, "",
          "host:port where the workers meet when MASTER_ADDR and MASTER_PORT are not set "
          "(Slurm); torchrun sets them");
ABSL_FLAG(int, rendezvous_timeout, 120,
          "seconds a worker waits for the others to reach the rendezvous");
ABSL_FLAG(int, worker_timeout, 30,
          "seconds without a heartbeat after which a worker is taken for dead");

namespace warmup {

absl::StatusOr<std::unique_ptr<WorkerGroup>> JoinWorkersFromFlags() {
  absl::StatusOr<WorkerPlace> place = WorkerPlaceFromEnvironment(absl::GetFlag(FLAGS_rendezvous));
  if (!place.ok()) return place.status();
  if (place->world == 1) return std::unique_ptr<WorkerGroup>();
  return WorkerGroup::Join(
      *place, std::chrono::seconds(std::max(1, absl::GetFlag(FLAGS_rendezvous_timeout))),
      std::chrono::seconds(std::max(1, absl::GetFlag(FLAGS_worker_timeout))));
}

}  // namespace warmup
