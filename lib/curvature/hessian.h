#ifndef WARMUP_LIB_CURVATURE_HESSIAN_H_
#define WARMUP_LIB_CURVATURE_HESSIAN_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <Eigen/Core>

#include "absl/status/statusor.h"

namespace warmup {

// A scalar loss over a list of parameters, evaluated on data the caller has
// fixed (the same examples for every call) in the model mode the caller has
// set (train or eval: BatchNorm and dropout change the Hessian).
using LossFunction = std::function<at::Tensor()>;

// Replaces tensors by their mean over the ranks of a data-parallel run (each
// rank's loss covers its share of the examples). Empty: one process.
using RankAverage = std::function<void(const std::vector<at::Tensor>&)>;

// The Hessian of a loss at the current parameters, as a linear operator on
// flat vectors. Building it runs the forward and the first backward once
// (with create_graph); each Apply is then one double-backward pass.
class HessianOperator {
 public:
  // InvalidArgument for an empty parameter list, a loss that is not a finite
  // scalar, or parameters that do not require gradients. With `average`,
  // the loss, the gradient and every product are averaged over the ranks, so
  // that every rank holds the Hessian of the loss over all their examples
  // (one all-reduce per product) and runs the same Lanczos.
  static absl::StatusOr<HessianOperator> Create(const LossFunction& loss,
                                                std::vector<at::Tensor> params,
                                                RankAverage average = {});

  // H v for a flat v of length dim().
  at::Tensor Apply(const at::Tensor& v);
  int64_t dim() const { return dim_; }
  double loss() const { return loss_value_; }
  // The flat gradient at the current parameters.
  at::Tensor gradient() const;
  // The dtype and device of vectors in the Hessian's space (without the
  // all-reduce gradient() costs on several ranks).
  at::TensorOptions options() const { return params_.front().options(); }
  int64_t products() const { return products_; }

 private:
  HessianOperator() = default;
  std::vector<at::Tensor> params_, grads_;
  RankAverage average_;
  int64_t dim_ = 0;
  double loss_value_ = 0.0;
  int64_t products_ = 0;
};

// Lanczos tridiagonalisation of a Hessian from a start vector, with full
// reorthogonalisation: after the three-term recurrence each new vector is
// orthogonalised against the whole basis by classical Gram-Schmidt (two
// matrix-vector products with the stored basis), repeated once when that
// cancels more than 1 - 1/sqrt(2) of its norm (Kahan's "twice is enough").
// So the basis stays orthonormal to rounding in float32 too, and no ghost
// copies of converged eigenvalues appear. Every Step() is one HVP. The
// basis is held as a capacity x dim tensor on the Hessian's device.
class Lanczos {
 public:
  // `start` (length dim, any non-zero norm) is normalised here; at most
  // `capacity` steps (capped at dim).
  Lanczos(HessianOperator& hessian, const at::Tensor& start, int capacity);

  // One HVP. False when the product was not finite (error() says so) or
  // when no step is left (exhausted() or the capacity reached).
  bool Step();
  int steps() const { return static_cast<int>(alpha_.size()); }
  // The Krylov space is invariant (next beta below 1e-12 of the largest
  // |alpha| or beta seen, or dim steps): T's eigenvalues are eigenvalues of
  // the Hessian and its quadrature is exact.
  bool exhausted() const { return exhausted_; }
  const std::string& error() const { return error_; }

  // T, the steps() x steps() tridiagonal matrix (alpha on the diagonal).
  Eigen::MatrixXd Tridiagonal() const;
  // The next off-diagonal entry: the residual of the Ritz pair (theta, Q s)
  // is |next_beta * s_last|.
  double next_beta() const { return next_beta_; }
  // Q s: the vector of the Hessian's space with coordinates s in the basis.
  at::Tensor Combine(const Eigen::VectorXd& s) const;
  // The basis as a steps() x dim tensor (a view of the stored basis).
  at::Tensor basis() const { return basis_.narrow(0, 0, steps()); }

 private:
  HessianOperator* hessian_;
  at::Tensor basis_;  // capacity x dim; rows 0..steps() are filled
  std::vector<double> alpha_, beta_;  // beta_[k] couples q_k and q_{k+1}
  double next_beta_ = 0.0, scale_ = 0.0;
  bool exhausted_ = false;
  std::string error_;
};

struct SpectralOptions {
  int max_iterations = 100;  // Hessian-vector products at most
  double tolerance = 1e-3;   // relative
  // Lanczos runs at least this many HVPs (or dim) before testing convergence:
  // from a start vector with little weight on the extreme eigenvector, an
  // interior Ritz value can look converged before the extreme one appears.
  int min_iterations = 8;
  uint64_t seed = 0;         // start vector
  // When Lanczos has converged: its Ritz pair's residual is at most
  // `tolerance` times the estimate (default), or, PyHessian's rule, the
  // estimate changed by less than `tolerance` relative to the previous one
  // (|new - old| < tolerance (|old| + 1e-6); min_iterations does not apply).
  enum class Stop { kResidual, kRelativeChange };
  Stop stop = Stop::kResidual;
  // Called after each HVP with the count so far and the current estimate.
  std::function<void(int, double)> on_iteration;
};

// An estimate of the spectral norm max |lambda| of the Hessian. valid is
// false (with a reason) when an HVP was non-finite; converged is false when
// the iteration cap was reached first.
struct SpectralEstimate {
  double spectral_norm = 0.0;
  double lambda_max = 0.0;  // Lanczos only; power iteration leaves them 0
  double lambda_min = 0.0;
  int iterations = 0;  // HVPs used
  bool converged = false;
  bool valid = true;
  std::string error;
};

// Lanczos with full reorthogonalisation. Both ends of the spectrum come from
// one run; it stops when the Ritz value of largest magnitude has residual
// bound |beta_k s_k| <= tolerance * |theta|.
SpectralEstimate LanczosSpectralNorm(HessianOperator& hessian,
                                     const SpectralOptions& options);

// Power iteration on H (PyHessian's estimator, applied to |lambda|): stops
// when the estimate changes by at most tolerance relative.
SpectralEstimate PowerIterationSpectralNorm(HessianOperator& hessian,
                                            const SpectralOptions& options);

// The directional estimate of Zhang et al. (2020) along an update from
// x_prev to x_next: ||grad f(x_mid) - grad f(x_prev)|| / ||x_mid - x_prev||
// with x_mid the midpoint and both gradients on the same data (the loss
// closure). The parameters are restored before returning. InvalidArgument
// on mismatched shapes, a zero step or a non-finite gradient.
absl::StatusOr<double> DirectionalSmoothness(const LossFunction& loss,
                                             std::vector<at::Tensor> params,
                                             const std::vector<at::Tensor>& x_prev,
                                             const std::vector<at::Tensor>& x_next);

}  // namespace warmup

#endif  // WARMUP_LIB_CURVATURE_HESSIAN_H_
