#include "lib/curvature/double_backward.h"

#include <memory>
#include <mutex>

#include <torch/library.h>

namespace warmup {
namespace {

// One IMPL library per kernel: destroying it unregisters the kernel, which
// restores LibTorch's own.
struct Installed {
  std::mutex mu;
  std::unique_ptr<torch::Library> convolution, batch_norm;
};

Installed& Kernels() {
  static auto* installed = new Installed();
  return *installed;
}

void Toggle(bool on, std::unique_ptr<torch::Library>& slot, void (*reg)(torch::Library&)) {
  if (on && slot == nullptr) {
    slot = std::make_unique<torch::Library>(torch::Library::IMPL, "aten",
                                            c10::DispatchKey::AutogradCPU, __FILE__, __LINE__);
    reg(*slot);
  } else if (!on) {
    slot.reset();
  }
}

const bool kInstalledAtLink = [] {
  SetCustomSecondDerivatives(CustomSecondDerivatives{});
  return true;
}();

}  // namespace

void SetCustomSecondDerivatives(const CustomSecondDerivatives& on) {
  Installed& k = Kernels();
  std::lock_guard<std::mutex> lock(k.mu);
  Toggle(on.convolution, k.convolution, double_backward_internal::RegisterConvolutionDoubleBackward);
  Toggle(on.batch_norm, k.batch_norm, double_backward_internal::RegisterBatchNormBackward);
}

CustomSecondDerivatives GetCustomSecondDerivatives() {
  Installed& k = Kernels();
  std::lock_guard<std::mutex> lock(k.mu);
  return {k.convolution != nullptr, k.batch_norm != nullptr};
}

}  // namespace warmup
