#ifndef WARMUP_LIB_DISTRIBUTED_NCCL_BACKEND_H_
#define WARMUP_LIB_DISTRIBUTED_NCCL_BACKEND_H_

#include <chrono>

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include "absl/status/statusor.h"

namespace warmup {

// c10d's ProcessGroupNCCL for `size` ranks meeting on `store` (each rank on
// its own GPU, the one its tensors are on). Unimplemented in a build
// without CUDA (--config=cuda links libtorch_cuda, which holds it).
absl::StatusOr<c10::intrusive_ptr<c10d::Backend>> NcclBackend(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
    std::chrono::seconds timeout);

}  // namespace warmup

#endif  // WARMUP_LIB_DISTRIBUTED_NCCL_BACKEND_H_
