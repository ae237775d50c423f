#ifndef WARMUP_LIB_TRAINER_DEVICE_H_
#define WARMUP_LIB_TRAINER_DEVICE_H_

#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "absl/status/statusor.h"

namespace warmup {

// The device a network run trains and measures on, from --device: "cpu",
// "cuda" (an error where LibTorch sees no GPU: a build without --config=cuda,
// or no device) or "auto" (the GPU when there is one, else the CPU). The GPU
// is this worker's own on a host with several: LocalGpu's.
absl::StatusOr<c10::Device> SelectDevice(const std::string& name);

// The GPU index of this worker among `gpus` on its host: its local rank
// (torchrun's LOCAL_RANK, else Slurm's SLURM_LOCALID) modulo `gpus`, so that
// the workers of one host spread over its GPUs; 0 without either.
// InvalidArgument (naming the variable) for a value that is not a
// non-negative integer.
absl::StatusOr<int> LocalGpu(int gpus);

// Prepares `device` for reproducible float32 runs. On CUDA: deterministic
// algorithms requested (warn-only, so an operation without one still runs and
// NondeterministicOperations() names it), cuDNN deterministic with its
// autotuner off, TF32 off in cuDNN and cuBLAS (full float32, no reduced
// precision), and the cuBLAS workspace setting CUDA's determinism needs. On
// the CPU nothing changes: its kernels are deterministic for a fixed thread
// count. Call before the first CUDA operation.
void PrepareDevice(const c10::Device& device);

// The operations LibTorch reported, since PrepareDevice, as having no
// deterministic implementation on this device (its warnings, one per
// operation, sorted).
std::vector<std::string> NondeterministicOperations();

// Where a run executed, for the Result's provenance: `gpu` is "cuda: <GPU
// model>" on CUDA and empty on the CPU; `versions` has "libtorch" always, and
// "cuda" and "cudnn" (the runtime versions LibTorch loaded) on CUDA.
struct DeviceProvenance {
  std::string gpu;
  std::map<std::string, std::string> versions;
};
DeviceProvenance DescribeDevice(const c10::Device& device);

// The state of `device`'s default random generator (the one dropout and
// random initialisation on that device draw from), for checkpoints; and its
// restoration.
at::Tensor GeneratorState(const c10::Device& device);
void SetGeneratorState(const c10::Device& device, const at::Tensor& state);

}  // namespace warmup

#endif  // WARMUP_LIB_TRAINER_DEVICE_H_
