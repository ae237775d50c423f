#include "lib/nn/nanogpt.h"

#include <cmath>

#include <torch/nn/functional/activation.h>
#include <torch/nn/init.h>

namespace warmup {

CausalSelfAttentionImpl::CausalSelfAttentionImpl(const GptConfig& c)
    : heads(c.heads) {
  qkv = register_module("qkv", torch::nn::Linear(c.embedding, 3 * c.embedding));
  proj = register_module("proj", torch::nn::Linear(c.embedding, c.embedding));
  attn_drop = register_module("attn_drop", torch::nn::Dropout(c.dropout));
  resid_drop = register_module("resid_drop", torch::nn::Dropout(c.dropout));
  mask = register_buffer(
      "mask", torch::ones({c.context, c.context}, torch::kBool).triu(1));
}

torch::Tensor CausalSelfAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), t = x.size(1), e = x.size(2), hd = e / heads;
  auto parts = qkv(x).split(e, 2);
  auto shape = [&](const torch::Tensor& z) {
    return z.view({b, t, heads, hd}).transpose(1, 2);  // [b, h, t, hd]
  };
  const torch::Tensor q = shape(parts[0]), k = shape(parts[1]), v = shape(parts[2]);
  torch::Tensor att = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(hd));
  att = att.masked_fill(mask.slice(0, 0, t).slice(1, 0, t),
                        -std::numeric_limits<float>::infinity());
  att = attn_drop(torch::softmax(att, -1));
  torch::Tensor y = torch::matmul(att, v).transpose(1, 2).contiguous().view({b, t, e});
  return resid_drop(proj(y));
}

GptBlockImpl::GptBlockImpl(const GptConfig& c) {
  ln1 = register_module("ln1", torch::nn::LayerNorm(
                                   torch::nn::LayerNormOptions({c.embedding})));
  attn = register_module("attn", CausalSelfAttention(c));
  ln2 = register_module("ln2", torch::nn::LayerNorm(
                                   torch::nn::LayerNormOptions({c.embedding})));
  fc = register_module("fc", torch::nn::Linear(c.embedding, 4 * c.embedding));
  out = register_module("out", torch::nn::Linear(4 * c.embedding, c.embedding));
  drop = register_module("drop", torch::nn::Dropout(c.dropout));
}

torch::Tensor GptBlockImpl::forward(torch::Tensor x) {
  x = x + attn(ln1(x));
  return x + drop(out(torch::gelu(fc(ln2(x)))));
}

NanoGptImpl::NanoGptImpl(const GptConfig& c) : config(c) {
  token = register_module("token", torch::nn::Embedding(c.vocab, c.embedding));
  position = register_module("position", torch::nn::Embedding(c.context, c.embedding));
  drop = register_module("drop", torch::nn::Dropout(c.dropout));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; ++i) blocks->push_back(GptBlock(c));
  ln_f = register_module("ln_f", torch::nn::LayerNorm(
                                     torch::nn::LayerNormOptions({c.embedding})));
  head = register_module("head", torch::nn::Linear(
                                     torch::nn::LinearOptions(c.embedding, c.vocab).bias(false)));
  torch::NoGradGuard no_grad;
  for (auto& p : named_parameters()) {
    const std::string& name = p.key();
    if (name.find("ln") != std::string::npos) continue;  // LayerNorm: 1 and 0
    if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) {
      p.value().zero_();
    } else {
      p.value().normal_(0.0, 0.02);
    }
  }
}

torch::Tensor NanoGptImpl::forward(const torch::Tensor& idx) {
  const int64_t t = idx.size(1);
  const torch::Tensor pos = torch::arange(t, idx.options().dtype(torch::kLong));
  torch::Tensor x = drop(token(idx) + position(pos));
  for (const auto& block : *blocks) x = block->as<GptBlock>()->forward(x);
  return head(ln_f(x));
}

}  // namespace warmup
