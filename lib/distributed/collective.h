#ifndef WARMUP_LIB_DISTRIBUTED_COLLECTIVE_H_
#define WARMUP_LIB_DISTRIBUTED_COLLECTIVE_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "lib/distributed/worker_group.h"

namespace warmup {

// The ranks that train one run together (data parallel), through c10d's
// ProcessGroupGloo (CPU) or ProcessGroupNCCL (GPU): every rank holds the
// whole model, computes on its share
// of each batch, and averages with the others. Every rank makes the same
// calls in the same order. A failure (a rank gone, a timeout) throws, as
// LibTorch's operations do; the trainer turns it into its Status.
class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;  // among the run's ranks
  virtual int size() const = 0;
  // Replaces each tensor by its mean over the ranks (every rank gets the
  // same bits). The tensors travel flattened in buckets of at most
  // kBucketBytes, one all-reduce per bucket, all in flight together.
  virtual void Average(const std::vector<at::Tensor>& tensors) = 0;
  // Rank 0's values in every rank's tensors (in place, bucketed the same).
  virtual void Broadcast(const std::vector<at::Tensor>& tensors) = 0;
  // Rank 0's `bytes` on every rank.
  virtual void Broadcast(std::string* bytes) = 0;

  // PyTorch's DistributedDataParallel's default bucket size.
  static constexpr int64_t kBucketBytes = 25 << 20;
};

// The ranks of this worker's run: the job's `place.world` workers form
// groups of `ranks_per_run` consecutive ranks (world / ranks_per_run runs
// train side by side); each group meets under its own prefix of the job's
// store. A collective waiting longer than `timeout` for a rank fails.
// Runs on `gpu` (this rank's GPU) average through NCCL, others through
// Gloo. InvalidArgument when ranks_per_run does not divide the world size;
// Unimplemented for a GPU in a build without CUDA.
absl::StatusOr<std::unique_ptr<Collective>> JoinRunRanks(
    const WorkerPlace& place, int ranks_per_run, std::chrono::seconds timeout,
    std::optional<at::Device> gpu = std::nullopt);

}  // namespace warmup

#endif  // WARMUP_LIB_DISTRIBUTED_COLLECTIVE_H_
