#ifndef WARMUP_LIB_NN_NANOGPT_H_
#define WARMUP_LIB_NN_NANOGPT_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace warmup {

struct GptConfig {
  int64_t vocab = 65;
  int64_t context = 64;
  int64_t layers = 4;
  int64_t heads = 4;
  int64_t embedding = 128;
  double dropout = 0.0;
};

// Causal self-attention written out (softmax(q k^T / sqrt(d)) v with a
// causal mask) so that double backward, and hence Hessian-vector products,
// work; fused attention kernels have no double backward.
struct CausalSelfAttentionImpl : torch::nn::Module {
  explicit CausalSelfAttentionImpl(const GptConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  int64_t heads;
  torch::nn::Linear qkv{nullptr}, proj{nullptr};
  torch::nn::Dropout attn_drop{nullptr}, resid_drop{nullptr};
  torch::Tensor mask;  // [context, context], true above the diagonal
};
TORCH_MODULE(CausalSelfAttention);

// Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x)).
struct GptBlockImpl : torch::nn::Module {
  explicit GptBlockImpl(const GptConfig& config);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  CausalSelfAttention attn{nullptr};
  torch::nn::Linear fc{nullptr}, out{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(GptBlock);

// NanoGPT for characters (after karpathy/nanoGPT): token and position
// embeddings, `layers` blocks, a final LayerNorm and a linear head. The head
// is not tied to the token embedding. Weights start N(0, 0.02), biases 0.
struct NanoGptImpl : torch::nn::Module {
  explicit NanoGptImpl(const GptConfig& config);
  // idx: [batch, time] int64 token ids -> logits [batch, time, vocab].
  torch::Tensor forward(const torch::Tensor& idx);

  GptConfig config;
  torch::nn::Embedding token{nullptr}, position{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(NanoGpt);

}  // namespace warmup

#endif  // WARMUP_LIB_NN_NANOGPT_H_
