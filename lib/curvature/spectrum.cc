#include "lib/curvature/spectrum.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <ATen/CPUGeneratorImpl.h>
#include <Eigen/Eigenvalues>

#include "absl/strings/str_format.h"

namespace warmup {
namespace {

// Random vectors of the Hessian's length, dtype and device, drawn in
// sequence from one CPU generator.
class Probes {
 public:
  Probes(const HessianOperator& hessian, uint64_t seed)
      : n_(hessian.dim()), options_(hessian.options()),
        generator_(at::detail::createCPUGenerator(seed)) {}
  // Entries +-1 with equal probability.
  at::Tensor Rademacher() {
    return at::randint(0, 2, {n_}, generator_, options_.device(at::kCPU))
        .mul_(2)
        .sub_(1)
        .to(options_.device());
  }
  at::Tensor Gaussian() {
    return at::randn({n_}, generator_, options_.device(at::kCPU)).to(options_.device());
  }

 private:
  int64_t n_;
  at::TensorOptions options_;
  at::Generator generator_;
};

constexpr char kNonFinite[] = "non-finite Hessian-vector product";

// Indices of the k wanted Ritz values (ascending theta), best first.
std::vector<int> Wanted(const Eigen::VectorXd& theta, int k, TopEigenOptions::Order order) {
  std::vector<int> idx(theta.size());
  std::iota(idx.begin(), idx.end(), 0);
  if (order == TopEigenOptions::Order::kAlgebraic) {
    std::reverse(idx.begin(), idx.end());
  } else {
    std::stable_sort(idx.begin(), idx.end(),
                     [&](int a, int b) { return std::abs(theta[a]) > std::abs(theta[b]); });
  }
  idx.resize(std::min<size_t>(idx.size(), k));
  return idx;
}

// Whether the stopping rule of `options` holds for the wanted Ritz values
// after `m` HVPs.
bool TopConverged(const TopEigenOptions& options, int m, int64_t dim,
                  const std::vector<double>& values, const std::vector<double>& residuals,
                  const std::vector<double>& previous) {
  if (static_cast<int>(values.size()) < options.k) return false;
  if (options.stop == SpectralOptions::Stop::kRelativeChange) {
    if (previous.size() != values.size()) return false;
    for (size_t i = 0; i < values.size(); ++i) {
      if (std::abs(values[i] - previous[i]) >= options.tolerance * (std::abs(previous[i]) + 1e-6)) {
        return false;
      }
    }
    return true;
  }
  if (m < std::min<int64_t>(std::max(options.min_hvps, options.k + 1), dim)) return false;
  for (size_t i = 0; i < values.size(); ++i) {
    if (residuals[i] > options.tolerance * std::abs(values[i])) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Eigenpairs> TopEigenpairs(HessianOperator& hessian,
                                         const TopEigenOptions& options) {
  if (options.k < 1 || options.max_hvps < 1 || !(options.tolerance >= 0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "top eigenpairs: need k >= 1, max_hvps >= 1 and tolerance >= 0; got k = %d, "
        "max_hvps = %d, tolerance = %g",
        options.k, options.max_hvps, options.tolerance));
  }
  const int64_t first_product = hessian.products();
  Probes probes(hessian, options.seed);
  Lanczos lanczos(hessian, probes.Gaussian(), options.max_hvps);
  Eigenpairs out;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
  std::vector<int> wanted;
  std::vector<double> previous;
  while (lanczos.Step()) {
    eig.compute(lanczos.Tridiagonal());
    wanted = Wanted(eig.eigenvalues(), options.k, options.order);
    out.values.clear();
    out.residuals.clear();
    for (int i : wanted) {
      out.values.push_back(eig.eigenvalues()[i]);
      out.residuals.push_back(
          std::abs(lanczos.next_beta() * eig.eigenvectors()(lanczos.steps() - 1, i)));
    }
    out.converged = lanczos.exhausted() ||
                    TopConverged(options, lanczos.steps(), hessian.dim(), out.values,
                                 out.residuals, previous);
    if (out.converged) break;
    previous = out.values;
  }
  out.hvps = static_cast<int>(hessian.products() - first_product);
  if (!lanczos.error().empty()) {
    out.valid = false;
    out.error = lanczos.error();
    return out;
  }
  for (int i : wanted) {
    const at::Tensor v = lanczos.Combine(eig.eigenvectors().col(i));
    out.vectors.push_back(v / v.norm());
  }
  return out;
}

namespace {

// The interval of m + shift (an exactly known part added to a sample mean).
MeanInterval Shifted(MeanInterval m, double shift) {
  m.mean += shift;
  m.lo95 += shift;
  m.hi95 += shift;
  return m;
}

// H v, or an undefined tensor (with `e` made invalid) when it is not finite.
at::Tensor CheckedApply(HessianOperator& hessian, const at::Tensor& v, TraceEstimate* e) {
  at::Tensor hv = hessian.Apply(v);
  if (at::isfinite(hv).all().item<bool>()) return hv;
  e->valid = false;
  e->error = kNonFinite;
  return at::Tensor();
}

// Hutchinson: z^T H z over Rademacher z, with ||H z||^2 on the side.
TraceEstimate Hutchinson(HessianOperator& hessian, Probes& probes, int hvps) {
  TraceEstimate out;
  for (int i = 0; i < hvps; ++i) {
    const at::Tensor z = probes.Rademacher();
    const at::Tensor hz = CheckedApply(hessian, z, &out);
    if (!hz.defined()) return out;
    out.samples.push_back(at::dot(hz, z).item<double>());
    out.squared_samples.push_back(at::dot(hz, hz).item<double>());
  }
  out.trace = StudentInterval(out.samples);
  out.squared_frobenius = StudentInterval(out.squared_samples);
  return out;
}

// Hutch++: a sketch of hvps / 3 columns, its exact trace, and the
// remaining HVPs as probes of the deflated Hessian.
TraceEstimate HutchPlusPlus(HessianOperator& hessian, Probes& probes, int hvps) {
  TraceEstimate out;
  const int sketch = hvps / 3;
  std::vector<at::Tensor> range;
  for (int i = 0; i < sketch; ++i) {
    range.push_back(CheckedApply(hessian, probes.Rademacher(), &out));
    if (!range.back().defined()) return out;
  }
  // Orthonormal columns spanning H S (Householder: orthonormal even when
  // H S is rank deficient).
  const at::Tensor q = std::get<0>(at::linalg_qr(at::stack(range, 1)));
  const at::Tensor q_rows = q.t().contiguous();
  double exact_squares = 0;
  for (int i = 0; i < sketch; ++i) {
    const at::Tensor hq = CheckedApply(hessian, q_rows[i], &out);
    if (!hq.defined()) return out;
    out.exact_part += at::dot(hq, q_rows[i]).item<double>();
    exact_squares += at::dot(hq, hq).item<double>();
  }
  for (int i = 0; i < hvps - 2 * sketch; ++i) {
    const at::Tensor g = probes.Rademacher();
    const at::Tensor p = g - at::mv(q, at::mv(q_rows, g));
    const at::Tensor hp = CheckedApply(hessian, p, &out);
    if (!hp.defined()) return out;
    out.samples.push_back(at::dot(hp, p).item<double>());
    out.squared_samples.push_back(at::dot(hp, hp).item<double>());
  }
  out.trace = Shifted(StudentInterval(out.samples), out.exact_part);
  out.squared_frobenius = Shifted(StudentInterval(out.squared_samples), exact_squares);
  return out;
}

}  // namespace

absl::StatusOr<TraceEstimate> EstimateTrace(HessianOperator& hessian,
                                            const TraceOptions& options) {
  const bool plus = options.method == TraceOptions::Method::kHutchPlusPlus;
  const int fewest = plus ? 4 : 2;  // two probes for a standard error
  if (options.hvps < fewest) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "trace: %s needs at least %d HVPs, got %d", plus ? "Hutch++" : "Hutchinson", fewest,
        options.hvps));
  }
  const int64_t first_product = hessian.products();
  Probes probes(hessian, options.seed);
  TraceEstimate out = plus ? HutchPlusPlus(hessian, probes, options.hvps)
                           : Hutchinson(hessian, probes, options.hvps);
  out.hvps = static_cast<int>(hessian.products() - first_product);
  return out;
}

absl::StatusOr<SpectralDensity> EstimateSpectralDensity(HessianOperator& hessian,
                                                        const DensityOptions& options) {
  if (options.runs < 1 || options.lanczos_steps < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "density: need runs >= 1 and lanczos_steps >= 1; got %d and %d", options.runs,
        options.lanczos_steps));
  }
  const int64_t first_product = hessian.products();
  Probes probes(hessian, options.seed);
  SpectralDensity out;
  out.dim = hessian.dim();
  for (int r = 0; r < options.runs && out.valid; ++r) {
    Lanczos lanczos(hessian, probes.Rademacher(), options.lanczos_steps);
    while (lanczos.Step()) {
    }
    if (!lanczos.error().empty()) {
      out.valid = false;
      out.error = lanczos.error();
      break;
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(lanczos.Tridiagonal());
    Quadrature q;
    for (int i = 0; i < eig.eigenvalues().size(); ++i) {
      q.nodes.push_back(eig.eigenvalues()[i]);
      q.weights.push_back(eig.eigenvectors()(0, i) * eig.eigenvectors()(0, i));
    }
    out.runs.push_back(std::move(q));
  }
  out.hvps = static_cast<int>(hessian.products() - first_product);
  return out;
}

}  // namespace warmup
