#include <torch/torch.h>

#include "gtest/gtest.h"
#include "lib/nn/nanogpt.h"
#include "lib/nn/resnet.h"

namespace warmup {
namespace {

int64_t Count(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

TEST(ResNet18Test, ParameterCountAndShapes) {
  ResNet18 full(1.0);
  EXPECT_EQ(Count(*full), 11173962);  // kuangliu/pytorch-cifar ResNet18
  ResNet18 small(0.125);
  small->eval();
  const torch::Tensor out = small->forward(torch::randn({2, 3, 32, 32}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{2, 10}));
}

TEST(NanoGptTest, ShapesCountAndCausality) {
  GptConfig c;
  c.vocab = 65;
  c.context = 16;
  c.layers = 2;
  c.heads = 2;
  c.embedding = 32;
  NanoGpt gpt(c);
  gpt->eval();
  // Embeddings, 2 blocks (LN, qkv, proj, LN, MLP), final LN, head (no bias).
  const int64_t e = 32, block = 2 * e + 3 * e * e + 3 * e + e * e + e + 2 * e +
                                4 * e * e + 4 * e + 4 * e * e + e;
  EXPECT_EQ(Count(*gpt), 65 * e + 16 * e + 2 * block + 2 * e + e * 65);
  torch::Tensor idx = torch::randint(0, 65, {3, 16});
  const torch::Tensor logits = gpt->forward(idx);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 16, 65}));
  // Changing a later token leaves earlier positions unchanged.
  torch::Tensor idx2 = idx.clone();
  idx2.index_put_({torch::indexing::Slice(), 10}, (idx.select(1, 10) + 1) % 65);
  const torch::Tensor logits2 = gpt->forward(idx2);
  EXPECT_TRUE(torch::allclose(logits.slice(1, 0, 10), logits2.slice(1, 0, 10)));
  EXPECT_FALSE(torch::allclose(logits.slice(1, 10, 11), logits2.slice(1, 10, 11)));
}

TEST(NanoGptTest, SupportsDoubleBackward) {
  GptConfig c;
  c.context = 8;
  c.layers = 1;
  c.heads = 2;
  c.embedding = 16;
  NanoGpt gpt(c);
  torch::Tensor idx = torch::randint(0, 65, {2, 8});
  const torch::Tensor loss = torch::nn::functional::cross_entropy(
      gpt->forward(idx).view({-1, 65}), idx.view({-1}));
  auto params = gpt->parameters();
  auto grads = torch::autograd::grad({loss}, params, {}, true, true);
  torch::Tensor dot = torch::zeros({});
  for (auto& g : grads) dot = dot + g.sum();
  auto hv = torch::autograd::grad({dot}, params, {}, false, false, true);
  double norm = 0.0;
  for (auto& h : hv) if (h.defined()) norm += h.pow(2).sum().item<double>();
  EXPECT_GT(norm, 0.0);
  EXPECT_TRUE(std::isfinite(norm));
}

}  // namespace
}  // namespace warmup
