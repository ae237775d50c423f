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
};
TORCH_MODULE(BasicBlock);

// ResNet-18 for 32x32 inputs (the CIFAR variant of kuangliu/pytorch-cifar):
// a 3x3 stem, BasicBlocks [2, 2, 2, 2] at widths 64, 128, 256, 512 times
// `width`, global average pooling and a linear classifier. width = 1 has
// 11,173,962 parameters. Activations and convolution weights are kept
// channels-last (NHWC), oneDNN's own layout: a training step on CPU takes
// about 0.85 of the time it takes in NCHW. Values are unchanged.
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
