#include "lib/trainer/device.h"

#include <cstdlib>
#include <mutex>
#include <set>

#include <ATen/Context.h>
#include <ATen/core/Generator.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/util/Exception.h>
#include <torch/cuda.h>
#include <torch/headeronly/version.h>
#if WARMUP_WITH_CUDA
#include <ATen/cuda/CUDAContextLight.h>
#endif

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace warmup {
namespace {

constexpr char kNotDeterministic[] = " does not have a deterministic implementation";

// Records LibTorch's "no deterministic implementation" warnings (the
// operation's name) and passes every other warning on.
class NondeterminismRecorder : public c10::WarningHandler {
 public:
  explicit NondeterminismRecorder(c10::WarningHandler* next) : next_(next) {}
  void process(const c10::Warning& warning) override {
    const std::string& msg = warning.msg();
    const size_t at = msg.find(kNotDeterministic);
    if (at == std::string::npos) {
      next_->process(warning);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    operations_.insert(msg.substr(0, at));
  }
  std::vector<std::string> operations() {
    std::lock_guard<std::mutex> lock(mu_);
    return {operations_.begin(), operations_.end()};
  }

 private:
  c10::WarningHandler* next_;
  std::mutex mu_;
  std::set<std::string> operations_;
};

// The process's recorder, installed by the first PrepareDevice on CUDA.
NondeterminismRecorder*& Recorder() {
  static NondeterminismRecorder* recorder = nullptr;
  return recorder;
}

// A version number as CUDA writes it (major * 1000 + minor * 10) or cuDNN 9
// does (major * 10000 + minor * 100 + patch), as "major.minor[.patch]".
std::string CudaVersion(long v) { return absl::StrFormat("%d.%d", v / 1000, (v % 1000) / 10); }
std::string CudnnVersion(long v) {
  return absl::StrFormat("%d.%d.%d", v / 10000, (v % 10000) / 100, v % 100);
}

}  // namespace

absl::StatusOr<int> LocalGpu(int gpus) {
  for (const char* name : {"LOCAL_RANK", "SLURM_LOCALID"}) {
    const char* value = std::getenv(name);
    if (value == nullptr) continue;
    char* end = nullptr;
    const long local = std::strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || local < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s='%s': expected a non-negative integer", name, value));
    }
    return gpus > 0 ? static_cast<int>(local % gpus) : 0;
  }
  return 0;
}

absl::StatusOr<c10::Device> SelectDevice(const std::string& name) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  if (name != "cuda" && name != "auto" && !name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--device must be cpu, cuda or auto, got '%s'", name));
  }
  if (!torch::cuda::is_available()) {
    if (name != "cuda") return c10::Device(c10::kCPU);
    return absl::InvalidArgumentError(
        "--device=cuda, but LibTorch sees no CUDA device (a build without "
        "--config=cuda links only its CPU libraries); use --device=cpu or auto");
  }
  absl::StatusOr<int> gpu = LocalGpu(static_cast<int>(torch::cuda::device_count()));
  if (!gpu.ok()) return gpu.status();
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(*gpu));
}

void PrepareDevice(const c10::Device& device) {
  if (!device.is_cuda()) return;
  // cuBLAS is deterministic only with a fixed workspace; it reads this when
  // its first handle is created. A value the user set is kept.
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  at::Context& ctx = at::globalContext();
  ctx.setDeterministicAlgorithms(true, /*warn_only=*/true);
  ctx.setDeterministicCuDNN(true);
  ctx.setBenchmarkCuDNN(false);
  ctx.setFloat32Precision(at::Float32Backend::CUDA, at::Float32Op::CONV,
                          at::Float32Precision::IEEE);
  ctx.setFloat32Precision(at::Float32Backend::CUDA, at::Float32Op::MATMUL,
                          at::Float32Precision::IEEE);
  if (Recorder() == nullptr) {
    Recorder() = new NondeterminismRecorder(c10::WarningUtils::get_warning_handler());
    c10::WarningUtils::set_warning_handler(Recorder());
    // Each operation is reported on every call, not only once per process.
    c10::WarningUtils::set_warnAlways(true);
  }
}

std::vector<std::string> NondeterministicOperations() {
  return Recorder() != nullptr ? Recorder()->operations() : std::vector<std::string>{};
}

DeviceProvenance DescribeDevice(const c10::Device& device) {
  DeviceProvenance p;
  p.versions["libtorch"] = TORCH_VERSION;
  if (!device.is_cuda()) return p;
  const at::CUDAHooksInterface& hooks = at::detail::getCUDAHooks();
  p.versions["cuda"] = CudaVersion(hooks.versionCUDART());
  p.versions["cudnn"] = hooks.hasCuDNN() ? CudnnVersion(hooks.versionRuntimeCuDNN()) : "none";
#if WARMUP_WITH_CUDA
  p.gpu = absl::StrCat("cuda: ", at::cuda::getDeviceProperties(device.index())->name);
#else
  p.gpu = "cuda";  // unreachable: without --config=cuda there is no CUDA device
#endif
  return p;
}

at::Tensor GeneratorState(const c10::Device& device) {
  return at::globalContext().defaultGenerator(device).get_state();
}

void SetGeneratorState(const c10::Device& device, const at::Tensor& state) {
  at::Generator generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

}  // namespace warmup
