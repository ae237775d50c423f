#include "lib/distributed/worker_flags.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "lib/trainer/device.h"

ABSL_FLAG(std::string, rendezvous, "",
          "host:port where the workers meet when MASTER_ADDR and MASTER_PORT are not set "
          "(Slurm); torchrun sets them");
ABSL_FLAG(int, rendezvous_timeout, 120,
          "seconds a worker waits for the others to reach the rendezvous");
ABSL_FLAG(int, worker_timeout, 30,
          "seconds without a heartbeat after which a worker is taken for dead");
ABSL_FLAG(int, ranks_per_run, 1,
          "workers that train each network run together (data parallel: each computes on "
          "its share of every batch); must divide the number of workers");

namespace warmup {

absl::StatusOr<std::unique_ptr<WorkerGroup>> JoinWorkersFromFlags(const std::string& device) {
  absl::StatusOr<WorkerPlace> place = WorkerPlaceFromEnvironment(absl::GetFlag(FLAGS_rendezvous));
  if (!place.ok()) return place.status();
  const int ranks_per_run = absl::GetFlag(FLAGS_ranks_per_run);
  if (place->world == 1 && ranks_per_run != 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--ranks_per_run=%d needs that many workers per run, but this is a single process: "
        "start it with torchrun --nproc_per_node=%d (or srun)", ranks_per_run,
        std::max(ranks_per_run, 2)));
  }
  if (place->world == 1) return std::unique_ptr<WorkerGroup>();
  int gpu = -1;
  if (ranks_per_run != 1) {
    absl::StatusOr<c10::Device> where = SelectDevice(device);  // as the trainer selects it
    if (!where.ok()) return where.status();
    if (where->is_cuda()) gpu = where->index();
  }
  return WorkerGroup::Join(
      *place, std::chrono::seconds(std::max(1, absl::GetFlag(FLAGS_rendezvous_timeout))),
      std::chrono::seconds(std::max(1, absl::GetFlag(FLAGS_worker_timeout))), ranks_per_run,
      gpu);
}

}  // namespace warmup
