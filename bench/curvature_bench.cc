// Benchmark of the curvature tools (not a test): HVP time over gradient time,
// and the HVPs Lanczos and power iteration need to reach 1e-3 relative error
// of the Hessian's spectral norm, on a small ResNet and a small GPT.
//
//   bazel run //bench:curvature [-- --threads=2 --repeats=5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "lib/curvature/hessian.h"
#include "lib/nn/nanogpt.h"
#include "lib/nn/resnet.h"
#include "lib/runtime/runtime.h"
#include "bench/timing.h"

ABSL_FLAG(int, threads, 2, "torch threads");
ABSL_FLAG(int, repeats, 5, "timed repeats (median reported), after a warm-up");
ABSL_FLAG(bool, resnet_train_mode, true,
          "BatchNorm on batch statistics (train) or running statistics (eval)");

namespace warmup {
namespace {

double Median(const std::vector<double>& v) { return Summarize(v).median; }

struct Case {
  std::string name;
  LossFunction loss;
  std::vector<torch::Tensor> params;
};

void Run(const Case& c, int repeats) {
  // Gradient and HVP alternate, so a slow phase of the host hits both.
  std::vector<double> grad_t, create_t, apply_t;
  torch::Tensor v;
  for (int r = 0; r <= repeats; ++r) {
    const double g = Seconds([&] {
      auto grads = torch::autograd::grad({c.loss()}, c.params);
    });
    absl::StatusOr<HessianOperator> h;
    const double create =
        Seconds([&] { h = HessianOperator::Create(c.loss, c.params); });
    if (!v.defined()) v = torch::randn({h->dim()});
    const double apply = Seconds([&] { h->Apply(v); });
    if (r == 0) continue;  // warm-up
    grad_t.push_back(g);
    create_t.push_back(create);
    apply_t.push_back(apply);
  }
  auto h = HessianOperator::Create(c.loss, c.params);
  SpectralOptions ref;
  ref.tolerance = 1e-9;
  ref.max_iterations = 120;
  const SpectralEstimate truth = LanczosSpectralNorm(*h, ref);
  auto hvps_to = [&](bool lanczos) {
    int reached = -1;
    SpectralOptions o;
    o.tolerance = 0.0;  // run to the cap; record when 1e-3 is reached
    o.max_iterations = lanczos ? 60 : 200;
    o.seed = 1;
    o.on_iteration = [&](int k, double est) {
      if (reached < 0 && std::abs(est - truth.spectral_norm) <= 1e-3 * truth.spectral_norm) {
        reached = k;
      }
    };
    if (lanczos) LanczosSpectralNorm(*h, o); else PowerIterationSpectralNorm(*h, o);
    return reached;
  };
  const int lanczos = hvps_to(true), power = hvps_to(false);
  std::printf("| %s | %d | %.1f | %.1f | %.2f | %.2f | %.4g (%+.4g, %+.4g) | %d | %s |\n",
              c.name.c_str(), static_cast<int>(h->dim()), 1e3 * Median(grad_t),
              1e3 * Median(apply_t), Median(apply_t) / Median(grad_t),
              (Median(create_t) + Median(apply_t)) / Median(grad_t),
              truth.spectral_norm, truth.lambda_max, truth.lambda_min, lanczos,
              power < 0 ? ">200" : std::to_string(power).c_str());
}

}  // namespace
}  // namespace warmup

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string runtime = warmup::ConfigureRuntime(absl::GetFlag(FLAGS_threads));
  torch::manual_seed(0);
  using namespace warmup;

  ResNet18 resnet(0.25);
  resnet->train(absl::GetFlag(FLAGS_resnet_train_mode));
  const torch::Tensor images = torch::randn({32, 3, 32, 32});
  const torch::Tensor labels = torch::randint(0, 10, {32});
  GptConfig config;  // 4 layers, 4 heads, 128 wide, context 64
  NanoGpt gpt(config);
  gpt->eval();  // no dropout
  const torch::Tensor tokens = torch::randint(0, config.vocab, {12, config.context + 1});
  const torch::Tensor x = tokens.slice(1, 0, config.context);
  const torch::Tensor y = tokens.slice(1, 1, config.context + 1);

  std::printf("curvature benchmark: %s; median of %d repeats after a warm-up\n\n",
              runtime.c_str(), absl::GetFlag(FLAGS_repeats));
  std::printf("| model | params | grad ms | HVP ms | HVP/grad | (graph+HVP)/grad | "
              "||H|| (lambda_max, lambda_min) | Lanczos HVPs to 1e-3 | power HVPs to 1e-3 |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  const Case cases[] = {
      {std::string("ResNet-18 x0.25, batch 32, ") +
           (absl::GetFlag(FLAGS_resnet_train_mode) ? "train mode" : "eval mode"),
       [&] { return torch::nn::functional::cross_entropy(resnet->forward(images), labels); },
       resnet->parameters()},
      {"NanoGPT 4x4x128, batch 12x64",
       [&] {
         return torch::nn::functional::cross_entropy(
             gpt->forward(x).view({-1, config.vocab}), y.reshape({-1}));
       },
       gpt->parameters()}};
  for (const Case& c : cases) {
    Run(c, absl::GetFlag(FLAGS_repeats));
  }
  std::printf("\nHVP/grad: one double-backward pass on a graph built once (what Lanczos "
              "pays per iteration); (graph+HVP)/grad: a one-off HVP from scratch.\n");
  return 0;
}
