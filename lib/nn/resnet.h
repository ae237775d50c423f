#ifndef WARMUP_LIB_NN_RESNET_H_
#define WARMUP_LIB_NN_RESNET_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

namespace warmup {

// The BasicBlock of ResNet-18: two 3x3 convolutions with BatchNorm, and a
// 1x1 projection on the shortcut when the shape changes.
struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential shortcut{nullptr};
  // The projection runs in NCHW rather than channels-last (see
  // ProjectionNeedsNchw); its weight is then kept contiguous.
  bool shortcut_nchw = false;
};
TORCH_MODULE(BasicBlock);

// Whether a 1x1 projection from `in_channels` must run in NCHW: oneDNN 3.10's
// AVX2 kernel for the weight gradient of a channels-last 1x1 convolution with
// fewer input channels than its 8-channel block writes past its workspace,
// and returns wrong weight gradients (measured: 60-98% relative error for 4-7
// input channels, stride 2) or aborts the process. CPUs without AVX-512 run
// that kernel; NCHW is correct on every kernel. Only narrow networks (width
// below 1/8) have such a projection.
bool ProjectionNeedsNchw(int64_t in_channels);

// ResNet-18 for 32x32 inputs (the CIFAR variant of kuangliu/pytorch-cifar):
// a 3x3 stem, BasicBlocks [2, 2, 2, 2] at widths 64, 128, 256, 512 times
// `width`, global average pooling and a linear classifier. width = 1 has
// 11,173,962 parameters. Activations and convolution weights are kept
// channels-last (NHWC), oneDNN's own layout: a training step on CPU takes
// about 0.85 of the time it takes in NCHW. Values are unchanged. The one
// exception is a projection that ProjectionNeedsNchw.
struct ResNet18Impl : torch::nn::Module {
  explicit ResNet18Impl(double width = 1.0, int64_t classes = 10);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d stem{nullptr};
  torch::nn::BatchNorm2d stem_bn{nullptr};
  torch::nn::Sequential layers{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(ResNet18);

}  // namespace warmup

#endif  // WARMUP_LIB_NN_RESNET_H_
