// Batch norm's backward with a closed-form, cheap derivative, registered with
// the dispatcher (CPU) when this library is linked.
//
// A Hessian-vector product differentiates the backward pass. For batch norm
// in train mode LibTorch 1.13 does that with some forty full-size operations
// on expanded tensors, a third of a ResNet HVP. Here, only while a graph of
// the backward is being built, the backward is a custom autograd function:
// its forward is LibTorch's fused kernel and its backward the closed form
// below, about fifteen full-size passes. Every other call (the ordinary
// backward of training) runs the fused kernel exactly as before.
//
// Per channel, with N values, s = invstd, x_hat = (x - mean) s, g = grad_out:
//   grad_input = gamma s P(g),  grad_weight = <g, x_hat>,  grad_bias = <g, 1>,
// where P(v) = v - mean(v) - x_hat mean(v x_hat). Given the upstream
// gradients u (of grad_input), a (of grad_weight) and b (of grad_bias), with
// means g_bar, u_bar, m = mean(g x_hat), q = mean(u x_hat) and
// c = <u, g - g_bar>, the derivative of <u, grad_input> + a <g, x_hat> + b <g, 1> is
//   d/dg     = gamma s u + (a - gamma s q) x_hat + b - gamma s u_bar
//   d/dgamma = s (c - N m q)
//   d/dx     = A x_hat + B g + C u + D,  A = -gamma s^2 c / N + 3 gamma s^2 m q - a s m,
//              B = a s - gamma s^2 q,  C = -gamma s^2 m,  D = gamma s^2 (q g_bar + m u_bar) - a s g_bar
// (derived in docs/theory.md, "Hessian-vector products"; checked against
// finite differences in float64 by hessian_test).
#include <array>
#include <tuple>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/library.h>

#include "lib/curvature/double_backward.h"

namespace warmup {
namespace {

using at::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Every dimension but the channel's (1).
std::vector<int64_t> ReducedDims(const Tensor& input) {
  std::vector<int64_t> dims = {0};
  for (int64_t d = 2; d < input.dim(); ++d) dims.push_back(d);
  return dims;
}

// [1, C, 1, ...]: a per-channel vector broadcastable against the input.
std::vector<int64_t> ChannelShape(const Tensor& input) {
  std::vector<int64_t> shape(input.dim(), 1);
  shape[1] = input.size(1);
  return shape;
}

// Train-mode mean and invstd of x over `dims` (kept), built from
// differentiable operations.
std::pair<Tensor, Tensor> BatchStatistics(const Tensor& x, const std::vector<int64_t>& dims,
                                          double eps) {
  const Tensor mean = x.mean(dims, /*keepdim=*/true);
  const Tensor centered = x - mean;
  return {mean, (centered * centered).mean(dims, /*keepdim=*/true).add(eps).rsqrt()};
}

// Train-mode backward as an autograd function with the closed-form backward.
struct TrainBatchNormBackward : public torch::autograd::Function<TrainBatchNormBackward> {
  static variable_list forward(AutogradContext* ctx, const Tensor& grad_out,
                               const Tensor& input, const Tensor& weight,
                               const Tensor& save_mean, const Tensor& save_invstd,
                               double eps) {
    ctx->save_for_backward({grad_out, input, weight, save_mean, save_invstd});
    ctx->saved_data["eps"] = eps;
    auto [gi, gw, gb] = at::native_batch_norm_backward(
        grad_out, input, weight, {}, {}, save_mean, save_invstd, /*train=*/true, eps,
        {true, true, true});
    return {gi, gw, gb};
  }

  static variable_list backward(AutogradContext* ctx, variable_list upstream) {
    const variable_list saved = ctx->get_saved_variables();
    const Tensor &g = saved[0], &x = saved[1], &weight = saved[2];
    const std::vector<int64_t> dims = ReducedDims(x), shape = ChannelShape(x);
    const double n = static_cast<double>(x.numel() / x.size(1));
    auto sum = [&](const Tensor& t) { return t.sum(dims, /*keepdim=*/true); };
    // When this backward is itself differentiated, mean and invstd are
    // recomputed from x so that their dependence on x is recorded.
    Tensor mean = saved[3].reshape(shape), s = saved[4].reshape(shape);
    if (at::GradMode::is_enabled()) {
      std::tie(mean, s) = BatchStatistics(x, dims, ctx->saved_data["eps"].toDouble());
    }
    const Tensor gamma = weight.defined() ? weight.reshape(shape) : at::ones_like(s);
    const Tensor x_hat = at::addcmul(-mean * s, x, s);  // one pass
    const Tensor &u = upstream[0];
    const Tensor a = upstream[1].defined() ? upstream[1].reshape(shape) : at::zeros_like(s);
    const Tensor b = upstream[2].defined() ? upstream[2].reshape(shape) : at::zeros_like(s);
    const Tensor g_bar = sum(g) / n, m = sum(g * x_hat) / n;
    const Tensor gs = gamma * s;
    const Tensor gs2 = gs * s;
    // Per-channel coefficients first, then each result in two or three fused
    // passes (addcmul: self + t1 * t2, broadcasting the coefficients).
    Tensor d_g, d_x, d_gamma;
    if (u.defined()) {
      const Tensor u_bar = sum(u) / n, q = sum(u * x_hat) / n;
      const Tensor c = sum(u * g) - n * u_bar * g_bar;
      d_g = at::addcmul(b - gs * u_bar, u, gs).addcmul_(x_hat, a - gs * q);
      const Tensor coef_x_hat = -gs2 * c / n + 3.0 * gs2 * m * q - a * s * m;
      const Tensor coef_g = a * s - gs2 * q;
      const Tensor constant = gs2 * (q * g_bar + m * u_bar) - a * s * g_bar;
      d_x = at::addcmul(constant, g, coef_g).addcmul_(x_hat, coef_x_hat).addcmul_(u, -gs2 * m);
      if (weight.defined()) d_gamma = (s * (c - n * m * q)).reshape({-1});
    } else {
      d_g = at::addcmul(b, x_hat, a);
      d_x = at::addcmul(-(a * s) * (g_bar), g, a * s).addcmul_(x_hat, -(a * s) * m);
    }
    return {d_g, d_x, d_gamma, Tensor(), Tensor(), Tensor()};
  }
};

// The backward in a few operations that autograd differentiates (both modes;
// for forward-mode tangents and eval mode, where it is already cheap).
std::tuple<Tensor, Tensor, Tensor> DifferentiableBackward(
    const Tensor& grad_out, const Tensor& input, const Tensor& weight,
    const c10::optional<Tensor>& running_mean, const c10::optional<Tensor>& running_var,
    bool train, double eps, std::array<bool, 3> output_mask) {
  const std::vector<int64_t> dims = ReducedDims(input), shape = ChannelShape(input);
  Tensor x_hat, s;
  if (train) {
    Tensor mean;
    std::tie(mean, s) = BatchStatistics(input, dims, eps);
    x_hat = (input - mean) * s;
  } else {
    TORCH_CHECK(running_mean && running_var && running_mean->defined() && running_var->defined(),
                "native_batch_norm_backward in eval mode needs the running statistics");
    s = running_var->add(eps).rsqrt().reshape(shape);
    x_hat = (input - running_mean->reshape(shape)) * s;
  }
  const Tensor scale = weight.defined() ? weight.reshape(shape) * s : s;
  Tensor gi, gw, gb;
  if (output_mask[0]) {
    gi = train ? scale * (grad_out - grad_out.mean(dims, /*keepdim=*/true) -
                          x_hat * (grad_out * x_hat).mean(dims, /*keepdim=*/true))
               : scale * grad_out;
  }
  if (output_mask[1]) gw = (grad_out * x_hat).sum(dims);
  if (output_mask[2]) gb = grad_out.sum(dims);
  return {gi, gw, gb};
}

// Whether t carries a forward-mode tangent, which the fused kernel would drop.
bool HasTangent(const Tensor& t) {
  return t.defined() && t._fw_grad(/*level=*/0).defined();
}

std::tuple<Tensor, Tensor, Tensor> BatchNormBackward(
    const Tensor& grad_out, const Tensor& input, const c10::optional<Tensor>& weight_opt,
    const c10::optional<Tensor>& running_mean, const c10::optional<Tensor>& running_var,
    const c10::optional<Tensor>& save_mean, const c10::optional<Tensor>& save_invstd,
    bool train, double eps, std::array<bool, 3> output_mask) {
  const Tensor weight = weight_opt.value_or(Tensor());
  const bool graph = at::GradMode::is_enabled() &&
                     (grad_out.requires_grad() || input.requires_grad() ||
                      (weight.defined() && weight.requires_grad()));
  const bool tangents = HasTangent(grad_out) || HasTangent(input) || HasTangent(weight);
  if (graph && !tangents && train && input.dim() >= 2 && save_mean && save_invstd &&
      save_mean->defined() && save_invstd->defined()) {
    const variable_list r =
        TrainBatchNormBackward::apply(grad_out, input, weight, *save_mean, *save_invstd, eps);
    return {output_mask[0] ? r[0] : Tensor(), output_mask[1] ? r[1] : Tensor(),
            output_mask[2] ? r[2] : Tensor()};
  }
  if (graph || tangents) return DifferentiableBackward(grad_out, input, weight, running_mean,
                                                      running_var, train, eps, output_mask);
  at::AutoDispatchBelowADInplaceOrView below_autograd;
  return at::native_batch_norm_backward(grad_out, input, weight_opt, running_mean,
                                        running_var, save_mean, save_invstd, train, eps,
                                        output_mask);
}

}  // namespace

namespace double_backward_internal {

// Above autograd, where LibTorch's own backward formula sits: the operations
// it calls are recorded while a graph is being built.
void RegisterBatchNormBackward(torch::Library& library) {
  library.impl("native_batch_norm_backward", BatchNormBackward);
}

}  // namespace double_backward_internal
}  // namespace warmup
