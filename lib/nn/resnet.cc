#include "lib/nn/resnet.h"

#include <algorithm>
#include <cmath>

#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/pooling.h>

namespace warmup {
namespace {

torch::nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                               .stride(stride)
                               .padding(kernel / 2)
                               .bias(false));
}

}  // namespace

bool ProjectionNeedsNchw(int64_t in_channels) { return in_channels < 8; }

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t out_channels,
                               int64_t stride) {
  conv1 = register_module("conv1", Conv(in_channels, out_channels, 3, stride));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(out_channels));
  conv2 = register_module("conv2", Conv(out_channels, out_channels, 3, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(out_channels));
  shortcut = register_module("shortcut", torch::nn::Sequential());
  if (stride != 1 || in_channels != out_channels) {
    shortcut->push_back(Conv(in_channels, out_channels, 1, stride));
    shortcut->push_back(torch::nn::BatchNorm2d(out_channels));
    shortcut_nchw = ProjectionNeedsNchw(in_channels);
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = torch::relu(bn1(conv1(x)));
  out = bn2(conv2(out));
  if (shortcut->is_empty()) return torch::relu(out + x);
  if (!shortcut_nchw) return torch::relu(out + shortcut->forward(x));
  const torch::Tensor projected = shortcut->forward(x.contiguous());
  return torch::relu(out + projected.contiguous(at::MemoryFormat::ChannelsLast));
}

ResNet18Impl::ResNet18Impl(double width, int64_t classes) {
  auto channels = [&](int64_t base) {
    return std::max<int64_t>(1, static_cast<int64_t>(std::lround(base * width)));
  };
  stem = register_module("stem", Conv(3, channels(64), 3, 1));
  stem_bn = register_module("stem_bn", torch::nn::BatchNorm2d(channels(64)));
  layers = register_module("layers", torch::nn::Sequential());
  int64_t in = channels(64);
  const int64_t bases[4] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t out = channels(bases[stage]);
    layers->push_back(BasicBlock(in, out, stage == 0 ? 1 : 2));
    layers->push_back(BasicBlock(out, out, 1));
    in = out;
  }
  classifier = register_module("classifier", torch::nn::Linear(in, classes));
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  }
  for (const auto& child : layers->children()) {
    auto* block = dynamic_cast<BasicBlockImpl*>(child.get());
    if (block == nullptr || !block->shortcut_nchw) continue;
    for (torch::Tensor& p : block->shortcut->parameters()) {
      if (p.dim() == 4) p.set_data(p.contiguous());
    }
  }
}

torch::Tensor ResNet18Impl::forward(const torch::Tensor& x) {
  torch::Tensor out =
      torch::relu(stem_bn(stem(x.contiguous(at::MemoryFormat::ChannelsLast))));
  out = layers->forward(out);
  out = torch::adaptive_avg_pool2d(out, {1, 1}).flatten(1);
  return classifier(out);
}

}  // namespace warmup
