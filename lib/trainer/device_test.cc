#include "lib/trainer/device.h"

#include <cstdlib>

#include <ATen/ATen.h>
#include <torch/cuda.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace warmup {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Tests that need a GPU skip, with the reason, where LibTorch sees none: in
// a build without --config=cuda, or on a machine without a GPU.
#define SKIP_WITHOUT_GPU()                                                   \
  if (!torch::cuda::is_available()) {                                       \
    GTEST_SKIP() << "no CUDA device (build with --config=cuda, run on a GPU)"; \
  }

TEST(SelectDeviceTest, CpuIsAlwaysAvailable) {
  absl::StatusOr<c10::Device> d = SelectDevice("cpu");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->is_cpu());
}

TEST(SelectDeviceTest, AutoPicksTheGpuExactlyWhenThereIsOne) {
  absl::StatusOr<c10::Device> d = SelectDevice("auto");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->is_cuda(), torch::cuda::is_available());
}

TEST(SelectDeviceTest, CudaWithoutAGpuIsOneClearError) {
  absl::StatusOr<c10::Device> d = SelectDevice("cuda");
  if (torch::cuda::is_available()) {
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_TRUE(d->is_cuda());
  } else {
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(d.status().message(), HasSubstr("--config=cuda"));
  }
}

// Each worker of a host takes its own GPU: torchrun's LOCAL_RANK first,
// then Slurm's SLURM_LOCALID, modulo the GPUs there are.
TEST(LocalGpuTest, TheLocalRankPicksTheGpu) {
  unsetenv("LOCAL_RANK");
  unsetenv("SLURM_LOCALID");
  EXPECT_EQ(LocalGpu(8).value(), 0);
  setenv("SLURM_LOCALID", "2", 1);
  EXPECT_EQ(LocalGpu(4).value(), 2);
  setenv("LOCAL_RANK", "9", 1);
  EXPECT_EQ(LocalGpu(8).value(), 1);
  setenv("LOCAL_RANK", "x1", 1);
  absl::StatusOr<int> bad = LocalGpu(8);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("LOCAL_RANK='x1'"), std::string::npos) << bad.status();
  unsetenv("LOCAL_RANK");
  unsetenv("SLURM_LOCALID");
}

TEST(SelectDeviceTest, UnknownNameIsRejected) {
  absl::StatusOr<c10::Device> d = SelectDevice("tpu");
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr("'tpu'"));
}

// Restoring a generator's state replays exactly the draws made after it was
// taken (the rule a resumed run relies on).
void ExpectStateReplaysDraws(const c10::Device& device) {
  at::manual_seed(7);
  const at::Tensor state = GeneratorState(device);
  const at::Tensor first = at::randn({64}, at::TensorOptions().device(device)).cpu();
  const at::Tensor second = at::randn({64}, at::TensorOptions().device(device)).cpu();
  ASSERT_FALSE(at::equal(first, second));  // the generator did advance
  SetGeneratorState(device, state);
  const at::Tensor replay = at::randn({64}, at::TensorOptions().device(device)).cpu();
  EXPECT_TRUE(at::equal(first, replay));
}

TEST(GeneratorStateTest, CpuStateReplaysDraws) { ExpectStateReplaysDraws(c10::Device(c10::kCPU)); }

TEST(GeneratorStateTest, CudaStateReplaysDraws) {
  SKIP_WITHOUT_GPU();
  ExpectStateReplaysDraws(c10::Device(c10::kCUDA, 0));
}

TEST(DescribeDeviceTest, CpuNamesLibTorchOnly) {
  const DeviceProvenance p = DescribeDevice(c10::Device(c10::kCPU));
  EXPECT_TRUE(p.gpu.empty());
  EXPECT_THAT(p.versions.at("libtorch"), StartsWith("2."));
  EXPECT_EQ(p.versions.count("cuda"), 0u);
}

TEST(DescribeDeviceTest, CudaNamesGpuCudaAndCudnn) {
  SKIP_WITHOUT_GPU();
  const DeviceProvenance p = DescribeDevice(c10::Device(c10::kCUDA, 0));
  EXPECT_THAT(p.gpu, StartsWith("cuda: "));
  EXPECT_GT(p.gpu.size(), 6u);  // a model name follows
  EXPECT_THAT(p.versions.at("cuda"), StartsWith("13."));  // the wheel's CUDA 13 runtime
  EXPECT_THAT(p.versions.at("cudnn"), StartsWith("9."));
}

// histc has no deterministic CUDA kernel: with deterministic algorithms
// requested (warn-only) it still runs, and the device module names it.
TEST(PrepareDeviceTest, CudaRecordsOperationsWithoutDeterministicKernels) {
  SKIP_WITHOUT_GPU();
  const c10::Device gpu(c10::kCUDA, 0);
  PrepareDevice(gpu);
  EXPECT_TRUE(at::globalContext().deterministicAlgorithms());
  EXPECT_TRUE(at::globalContext().deterministicCuDNN());
  EXPECT_FALSE(at::globalContext().benchmarkCuDNN());
  const at::Tensor counts = at::histc(at::rand({1000}, at::TensorOptions().device(gpu)), 10);
  EXPECT_EQ(counts.sum().item<double>(), 1000.0);
  EXPECT_THAT(NondeterministicOperations(), ::testing::Contains(HasSubstr("histc")));
}

TEST(PrepareDeviceTest, CpuChangesNothing) {
  const bool deterministic = at::globalContext().deterministicAlgorithms();
  const std::vector<std::string> before = NondeterministicOperations();
  PrepareDevice(c10::Device(c10::kCPU));
  EXPECT_EQ(at::globalContext().deterministicAlgorithms(), deterministic);
  EXPECT_EQ(NondeterministicOperations(), before);
}

}  // namespace
}  // namespace warmup
