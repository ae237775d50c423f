// ProcessGroupNCCL in the CUDA build; an error naming the build otherwise.
#include "lib/distributed/nccl_backend.h"

#ifdef WARMUP_WITH_CUDA
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace warmup {

absl::StatusOr<c10::intrusive_ptr<c10d::Backend>> NcclBackend(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
    std::chrono::seconds timeout) {
#ifdef WARMUP_WITH_CUDA
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::intrusive_ptr<c10d::Backend>(
      c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options));
#else
  (void)store, (void)rank, (void)size, (void)timeout;
  return absl::UnimplementedError(
      "a run on GPUs over several ranks averages through NCCL, which this build lacks: "
      "build with --config=cuda");
#endif
}

}  // namespace warmup
