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
    const LossFunction& loss, std::vector<at::Tensor> params, RankAverage average) {
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
  h.average_ = std::move(average);
  const at::Tensor value = loss();
  if (value.numel() != 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Hessian: the loss must be a scalar, got %d elements", value.numel()));
  }
  at::Tensor mean = value.detach().clone();
  if (h.average_) h.average_({mean});
  h.loss_value_ = mean.item<double>();
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
  at::Tensor flat = Flatten(detached, params_);
  if (average_) average_({flat});
  return flat;
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
  at::Tensor product = Flatten(hv, params_).detach();
  if (average_) average_({product});
  return product;
}

Lanczos::Lanczos(HessianOperator& hessian, const at::Tensor& start, int capacity)
    : hessian_(&hessian) {
  const int64_t rows = std::min<int64_t>(std::max(capacity, 0), hessian.dim()) + 1;
  basis_ = at::empty({rows, hessian.dim()}, start.options());
  const double norm = start.norm().item<double>();
  if (!(std::isfinite(norm) && norm > 0)) {
    error_ = "Lanczos: the start vector has zero or non-finite norm";
    return;
  }
  basis_[0].copy_(start / norm);
}

bool Lanczos::Step() {
  const int k = steps();
  if (exhausted_ || !error_.empty() || k + 1 >= basis_.size(0)) return false;
  const at::Tensor q = basis_[k];
  at::Tensor w = hessian_->Apply(q);
  if (!at::isfinite(w).all().item<bool>()) {
    error_ = "non-finite Hessian-vector product";
    return false;
  }
  const double a = at::dot(w, q).item<double>();
  alpha_.push_back(a);
  w.sub_(q, a);
  if (k > 0) w.sub_(basis_[k - 1], beta_[k - 1]);
  // Full reorthogonalisation against q_0..q_k; a second pass only when the
  // first cancelled much of w (then rounding in it matters).
  const at::Tensor q_all = basis_.narrow(0, 0, k + 1);
  for (int pass = 0; pass < 2; ++pass) {
    const double before = w.norm().item<double>();
    w.sub_(at::mv(q_all.t(), at::mv(q_all, w)));
    if (w.norm().item<double>() > M_SQRT1_2 * before) break;
  }
  const double b = w.norm().item<double>();
  beta_.push_back(b);
  next_beta_ = b;
  scale_ = std::max({scale_, std::abs(a), b});
  if (b <= 1e-12 * scale_ || k + 1 >= hessian_->dim()) {
    exhausted_ = true;
  } else {
    basis_[k + 1].copy_(w / b);
  }
  return true;
}

Eigen::MatrixXd Lanczos::Tridiagonal() const {
  const int m = steps();
  Eigen::MatrixXd t = Eigen::MatrixXd::Zero(m, m);
  for (int i = 0; i < m; ++i) {
    t(i, i) = alpha_[i];
    if (i + 1 < m) t(i, i + 1) = t(i + 1, i) = beta_[i];
  }
  return t;
}

at::Tensor Lanczos::Combine(const Eigen::VectorXd& s) const {
  const at::Tensor coefficients =
      at::from_blob(const_cast<double*>(s.data()), {s.size()}, at::kDouble)
          .to(basis_.options());
  return at::mv(basis().t(), coefficients);
}

SpectralEstimate LanczosSpectralNorm(HessianOperator& hessian,
                                     const SpectralOptions& options) {
  const int64_t n = hessian.dim();
  const int k_max = static_cast<int>(std::min<int64_t>(options.max_iterations, n));
  const int64_t first_product = hessian.products();
  Lanczos lanczos(hessian, RandomUnit(n, hessian.options(), options.seed), k_max);
  SpectralEstimate e;
  double previous = 0.0;
  while (lanczos.Step()) {
    const int m = lanczos.steps();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(lanczos.Tridiagonal());
    const Eigen::VectorXd& theta = eig.eigenvalues();
    const int top = std::abs(theta[0]) > std::abs(theta[m - 1]) ? 0 : m - 1;
    e.lambda_min = theta[0];
    e.lambda_max = theta[m - 1];
    e.spectral_norm = std::abs(theta[top]);
    e.iterations = m;
    if (options.on_iteration) options.on_iteration(m, e.spectral_norm);
    const double residual = std::abs(lanczos.next_beta() * eig.eigenvectors()(m - 1, top));
    const bool enough = m >= std::min<int64_t>(options.min_iterations, n);
    const bool stop =
        options.stop == SpectralOptions::Stop::kResidual
            ? enough && residual <= options.tolerance * e.spectral_norm
            : m > 1 && std::abs(e.spectral_norm - previous) <
                           options.tolerance * (std::abs(previous) + 1e-6);
    previous = e.spectral_norm;
    if (lanczos.exhausted() || stop) {
      e.converged = true;
      return e;
    }
  }
  if (!lanczos.error().empty()) {
    return Invalid(static_cast<int>(hessian.products() - first_product), lanczos.error());
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
