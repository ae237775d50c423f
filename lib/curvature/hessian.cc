#include "lib/curvature/hessian.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Eigenvalues>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "absl/strings/str_format.h"

namespace warmup {
namespace {

at::Tensor Flatten(const std::vector<at::Tensor>& parts,
                   const std::vector<at::Tensor>& like) {
  std::vector<at::Tensor> flat;
  flat.reserve(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    flat.push_back(parts[i].defined() ? parts[i].reshape(-1)
                                      : at::zeros({like[i].numel()}, like[i].options()));
  }
  return at::cat(flat);
}

std::vector<at::Tensor> Unflatten(const at::Tensor& v,
                                  const std::vector<at::Tensor>& like) {
  std::vector<at::Tensor> out;
  int64_t offset = 0;
  for (const at::Tensor& p : like) {
    at::Tensor part = v.slice(0, offset, offset + p.numel()).view(p.sizes());
    // In the parameter's memory layout (channels-last convolution weights),
    // so that the kernels that meet both do not convert on every product.
    if (!part.is_contiguous(p.suggest_memory_format())) {
      part = part.contiguous(p.suggest_memory_format());
    }
    out.push_back(part);
    offset += p.numel();
  }
  return out;
}

at::Tensor RandomUnit(int64_t n, const at::TensorOptions& options, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::Tensor v = at::randn({n}, gen, options.device(at::kCPU)).to(options.device());
  return v / v.norm();
}

SpectralEstimate Invalid(int iterations, const std::string& why) {
  SpectralEstimate e;
  e.valid = false;
  e.iterations = iterations;
  e.error = why;
  return e;
}

}  // namespace

absl::StatusOr<HessianOperator> HessianOperator::Create(
    const LossFunction& loss, std::vector<at::Tensor> params) {
  if (params.empty()) {
    return absl::InvalidArgumentError("Hessian: the parameter list is empty");
  }
  for (const at::Tensor& p : params) {
    if (!p.requires_grad()) {
      return absl::InvalidArgumentError(
          "Hessian: every parameter must require gradients");
    }
  }
  HessianOperator h;
  const at::Tensor value = loss();
  if (value.numel() != 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Hessian: the loss must be a scalar, got %d elements", value.numel()));
  }
  h.loss_value_ = value.item<double>();
  if (!std::isfinite(h.loss_value_)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Hessian: the loss is not finite (%g)", h.loss_value_));
  }
  h.grads_ = torch::autograd::grad({value}, params, /*grad_outputs=*/{},
                                   /*retain_graph=*/true, /*create_graph=*/true,
                                   /*allow_unused=*/true);
  for (size_t i = 0; i < h.grads_.size(); ++i) {
    if (!h.grads_[i].defined()) h.grads_[i] = at::zeros_like(params[i]);
    h.dim_ += params[i].numel();
  }
  h.params_ = std::move(params);
  return h;
}

at::Tensor HessianOperator::gradient() const {
  std::vector<at::Tensor> detached;
  for (const at::Tensor& g : grads_) detached.push_back(g.detach());
  return Flatten(detached, params_);
}

at::Tensor HessianOperator::Apply(const at::Tensor& v) {
  ++products_;
  const std::vector<at::Tensor> parts = Unflatten(v, params_);
  // H v = d<grad, v>/dparams: v enters as the output gradient of the
  // gradient's graph (no graph is built for the inner product itself).
  std::vector<at::Tensor> outputs, directions;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!grads_[i].requires_grad()) continue;  // constant in the parameters
    outputs.push_back(grads_[i]);
    directions.push_back(parts[i]);
  }
  if (outputs.empty()) return at::zeros_like(v);  // loss linear in params
  const std::vector<at::Tensor> hv =
      torch::autograd::grad(outputs, params_, directions, /*retain_graph=*/true,
                            /*create_graph=*/false, /*allow_unused=*/true);
  return Flatten(hv, params_).detach();
}

SpectralEstimate LanczosSpectralNorm(HessianOperator& hessian,
                                     const SpectralOptions& options) {
  const int64_t n = hessian.dim();
  const int k_max = static_cast<int>(std::min<int64_t>(options.max_iterations, n));
  const at::Tensor start = hessian.gradient();
  std::vector<at::Tensor> basis;
  std::vector<double> alpha, beta;
  at::Tensor q = RandomUnit(n, start.options(), options.seed);
  SpectralEstimate e;
  double previous = 0.0;
  for (int k = 0; k < k_max; ++k) {
    basis.push_back(q);
    at::Tensor w = hessian.Apply(q);
    if (!at::isfinite(w).all().item<bool>()) {
      return Invalid(k + 1, "non-finite Hessian-vector product");
    }
    alpha.push_back(at::dot(w, q).item<double>());
    // Full reorthogonalisation (twice, for stability in float32).
    for (int pass = 0; pass < 2; ++pass) {
      for (const at::Tensor& b : basis) w = w - at::dot(w, b) * b;
    }
    const double b_next = w.norm().item<double>();
    // Ritz values of the k+1 by k+1 tridiagonal matrix.
    const int m = k + 1;
    Eigen::MatrixXd t = Eigen::MatrixXd::Zero(m, m);
    for (int i = 0; i < m; ++i) {
      t(i, i) = alpha[i];
      if (i + 1 < m) t(i, i + 1) = t(i + 1, i) = beta[i];
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(t);
    const Eigen::VectorXd& theta = eig.eigenvalues();
    const int top = std::abs(theta[0]) > std::abs(theta[m - 1]) ? 0 : m - 1;
    e.lambda_min = theta[0];
    e.lambda_max = theta[m - 1];
    e.spectral_norm = std::abs(theta[top]);
    e.iterations = m;
    if (options.on_iteration) options.on_iteration(m, e.spectral_norm);
    const double residual = std::abs(b_next * eig.eigenvectors()(m - 1, top));
    const bool enough = m >= std::min<int64_t>(options.min_iterations, n);
    const bool stop =
        options.stop == SpectralOptions::Stop::kResidual
            ? enough && residual <= options.tolerance * e.spectral_norm
            : m > 1 && std::abs(e.spectral_norm - previous) <
                           options.tolerance * (std::abs(previous) + 1e-6);
    previous = e.spectral_norm;
    if (b_next < 1e-12 * (1 + e.spectral_norm) || stop) {
      e.converged = true;
      return e;
    }
    beta.push_back(b_next);
    q = w / b_next;
  }
  return e;
}

SpectralEstimate PowerIterationSpectralNorm(HessianOperator& hessian,
                                            const SpectralOptions& options) {
  const at::Tensor start = hessian.gradient();
  at::Tensor v = RandomUnit(hessian.dim(), start.options(), options.seed);
  SpectralEstimate e;
  double previous = 0.0;
  for (int k = 0; k < options.max_iterations; ++k) {
    const at::Tensor hv = hessian.Apply(v);
    if (!at::isfinite(hv).all().item<bool>()) {
      return Invalid(k + 1, "non-finite Hessian-vector product");
    }
    const double norm = hv.norm().item<double>();
    e.iterations = k + 1;
    e.spectral_norm = norm;
    if (options.on_iteration) options.on_iteration(k + 1, norm);
    if (options.on_iteration) options.on_iteration(k + 1, norm);
    if (norm == 0.0) {
      e.converged = true;
      return e;
    }
    if (k > 0 && std::abs(norm - previous) <= options.tolerance * norm) {
      e.converged = true;
      return e;
    }
    previous = norm;
    v = hv / norm;
  }
  return e;
}

absl::StatusOr<double> DirectionalSmoothness(const LossFunction& loss,
                                             std::vector<at::Tensor> params,
                                             const std::vector<at::Tensor>& x_prev,
                                             const std::vector<at::Tensor>& x_next) {
  if (params.empty() || params.size() != x_prev.size() ||
      params.size() != x_next.size()) {
    return absl::InvalidArgumentError(
        "directional smoothness: params, x_prev and x_next must be non-empty "
        "lists of the same length");
  }
  std::vector<at::Tensor> saved;
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].sizes().equals(x_prev[i].sizes()) ||
        !params[i].sizes().equals(x_next[i].sizes())) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "directional smoothness: shape mismatch at parameter %d", i));
    }
    saved.push_back(params[i].detach().clone());
  }
  auto gradient_at = [&](bool midpoint) -> at::Tensor {
    {
      at::NoGradGuard guard;
      for (size_t i = 0; i < params.size(); ++i) {
        params[i].copy_(midpoint ? 0.5 * (x_prev[i] + x_next[i]) : x_prev[i]);
      }
    }
    at::AutoGradMode enable(true);
    const at::Tensor value = loss();
    auto g = torch::autograd::grad({value}, params, {}, false, false, true);
    return Flatten(g, params);
  };
  const at::Tensor g_prev = gradient_at(false);
  const at::Tensor g_mid = gradient_at(true);
  double step_sq = 0.0;
  for (size_t i = 0; i < params.size(); ++i) {
    step_sq += (0.5 * (x_next[i] - x_prev[i])).pow(2).sum().item<double>();
    params[i].copy_(saved[i]);
  }
  const double num = (g_mid - g_prev).norm().item<double>();
  if (!std::isfinite(num)) {
    return absl::InvalidArgumentError("directional smoothness: non-finite gradient");
  }
  if (step_sq == 0.0) {
    return absl::InvalidArgumentError("directional smoothness: zero step");
  }
  return num / std::sqrt(step_sq);
}

}  // namespace warmup
