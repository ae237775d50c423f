#include "lib/trainer/gradient_check.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <torch/torch.h>

#include "gtest/gtest.h"
#include "lib/nn/resnet.h"

namespace warmup {
namespace {

// A block's gradient, float32 on the layout `nchw_projection` says, against
// its float64 copy, on a batch of 32 inputs of 32x32 with 4 channels (the
// block of ResNet-18 at width 1/16 whose 1x1 stride-2 projection has 4
// input channels).
GradientAgreement BlockAgreement(bool nchw_projection) {
  torch::manual_seed(0);
  BasicBlock working(4, 8, 2), reference(4, 8, 2);
  working->shortcut_nchw = nchw_projection;
  reference->shortcut_nchw = nchw_projection;
  {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : working->parameters()) {
      if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
    }
    for (torch::Tensor& p : working->shortcut->parameters()) {
      if (p.dim() == 4 && nchw_projection) p.set_data(p.contiguous());
    }
  }
  ToFloat64(*reference);
  CopyModelState(*working, *reference);
  const torch::Tensor x = torch::randn({32, 4, 32, 32}).contiguous(at::MemoryFormat::ChannelsLast);
  const torch::Tensor target = torch::randn({32, 8, 16, 16});
  return CompareGradients(
      *working, [&] { return (working->forward(x) - target).square().mean(); }, *reference,
      [&] {
        return (reference->forward(x.to(torch::kFloat64)) - target.to(torch::kFloat64))
            .square()
            .mean();
      });
}

bool AvxTwoCap() {
  const char* cap = std::getenv("ONEDNN_MAX_CPU_ISA");
  return cap != nullptr && std::string(cap) == "AVX2";
}

// The layout ResNet-18 uses agrees with float64 to rounding, with or
// without the AVX2 cap. Fails if the projection is moved back to
// channels-last on a machine with the defect (then its error is ~0.6).
TEST(GradientCheckTest, ResNetProjectionLayoutAgreesWithFloat64) {
  ASSERT_TRUE(ProjectionNeedsNchw(4));
  const GradientAgreement a = BlockAgreement(ProjectionNeedsNchw(4));
  std::printf("NCHW projection: worst %s %.3g\n", a.worst_parameter.c_str(), a.worst_error);
  EXPECT_LT(a.worst_error, 1e-4);  // float32 rounding: measured 1.7e-5 (a BatchNorm bias)
  EXPECT_TRUE(CheckGradientAgreement(a, "resnet18").ok());
}

// Under the AVX2 cap the channels-last projection meets oneDNN's defect on
// the machines that have it, which either returns a wrong weight gradient
// (seen: 0.6 relative) or corrupts the heap and aborts the process (seen:
// "double free or corruption"). The block runs in a child process: a wrong
// gradient must fail the check with a message naming the parameter; an
// abort is the defect too (ResNet18 avoids that layout, see the test above);
// where the gradient is right, the defect is absent and the test skips.
TEST(GradientCheckTest, DefectiveKernelIsCaught) {
  if (!AvxTwoCap()) GTEST_SKIP() << "runs under ONEDNN_MAX_CPU_ISA=AVX2 (gradient_check_avx2_test)";
  std::fflush(stdout);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const GradientAgreement a = BlockAgreement(false);
    std::printf("channels-last projection: worst %s %.3g\n", a.worst_parameter.c_str(),
                a.worst_error);
    const absl::Status st = CheckGradientAgreement(a, "resnet18");
    const bool named = std::string(st.message()).find("shortcut.0.weight") != std::string::npos;
    std::fflush(stdout);
    _exit(a.worst_error <= kGradientTolerance ? 3 : (!st.ok() && named ? 0 : 1));
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  if (WIFSIGNALED(status)) {
    std::printf("channels-last projection: the process died of signal %d (the defect)\n",
                WTERMSIG(status));
    return;
  }
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 3) GTEST_SKIP() << "the defect does not reproduce on this CPU";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the wrong gradient passed the check, or the message "
                                       "does not name the projection's weight";
}

// A mutation every machine can run: a loss that is 1% off on the working
// side (as a kernel scaling its output would be) fails the check.
TEST(GradientCheckTest, ScaledGradientFailsTheCheck) {
  torch::manual_seed(1);
  torch::nn::Linear working(16, 4), reference(16, 4);
  ToFloat64(*reference);
  CopyModelState(*working, *reference);
  const torch::Tensor x = torch::randn({8, 16});
  const GradientAgreement a = CompareGradients(
      *working, [&] { return 1.01 * working->forward(x).square().sum(); }, *reference,
      [&] { return reference->forward(x.to(torch::kFloat64)).square().sum(); });
  EXPECT_NEAR(a.worst_error, 0.01, 1e-4);
  const absl::Status st = CheckGradientAgreement(a, "linear");
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(st.message()).find("parameter '"), std::string::npos);
}

}  // namespace
}  // namespace warmup
