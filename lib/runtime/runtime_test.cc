#include "lib/runtime/runtime.h"

#include <cstdlib>
#include <string>

#include <torch/torch.h>

#include "gtest/gtest.h"

namespace warmup {
namespace {

// The kernels line names what oneDNN and MKL said they dispatched to; with
// oneDNN capped by ONEDNN_MAX_CPU_ISA=AVX2 (the second test target) it says
// AVX2. Fails when the verbose output is not captured ("unknown") or parsed.
TEST(KernelsInUseTest, NamesOneDnnAndMklCodePaths) {
  // A convolution before the probe: oneDNN's header must still be read.
  torch::conv2d(torch::ones({1, 8, 8, 8}), torch::ones({8, 8, 3, 3}));
  const std::string kernels = KernelsInUse();
  std::printf("kernels: %s\n", kernels.c_str());
  EXPECT_EQ(kernels.find("unknown"), std::string::npos) << kernels;
  EXPECT_NE(kernels.find("oneDNN: Intel AVX"), std::string::npos) << kernels;
  EXPECT_NE(kernels.find("processors"), std::string::npos) << kernels;
  const char* cap = std::getenv("ONEDNN_MAX_CPU_ISA");
  if (cap != nullptr && std::string(cap) == "AVX2") {
    EXPECT_NE(kernels.find("oneDNN: Intel AVX2;"), std::string::npos) << kernels;
  }
  EXPECT_EQ(KernelsInUse(), kernels);  // a second probe says the same
}

}  // namespace
}  // namespace warmup
