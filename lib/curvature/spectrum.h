#ifndef WARMUP_LIB_CURVATURE_SPECTRUM_H_
#define WARMUP_LIB_CURVATURE_SPECTRUM_H_

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "lib/curvature/hessian.h"
#include "lib/curvature/spectral_density.h"

namespace warmup {

// What PyHessian reports about a Hessian besides its norm: the top
// eigenpairs, the trace and the eigenvalue density, for any HessianOperator
// (any LibTorch module and loss closure, on the CPU or CUDA). Random probes
// are drawn on the CPU from the seed given and moved to the Hessian's
// device, so results do not depend on the device's generator and training's
// generators are left alone. Each result counts the Hessian-vector products
// (HVPs) it used; a non-finite HVP makes it invalid, with the reason.
// Options out of range are InvalidArgument.

struct TopEigenOptions {
  int k = 1;  // eigenpairs wanted
  // The k eigenvalues of largest magnitude (what PyHessian's power iteration
  // converges to) or the k algebraically largest.
  enum class Order { kMagnitude, kAlgebraic };
  Order order = Order::kMagnitude;
  int max_hvps = 100;
  // kResidual: stop when every wanted Ritz pair (theta, v) has
  // ||H v - theta v|| <= tolerance |theta|; an eigenvalue of H then lies
  // within tolerance |theta| of theta (symmetric H), and within
  // (tolerance theta)^2 / gap when isolated by `gap`. Tested from
  // max(min_hvps, k + 1) HVPs on, as a Ritz value can look converged before
  // a poorly started extreme eigenvalue appears.
  // kRelativeChange: PyHessian's rule for each of the k: every wanted Ritz
  // value moved by less than tolerance (|previous| + 1e-6) since the last HVP.
  double tolerance = 1e-6;
  SpectralOptions::Stop stop = SpectralOptions::Stop::kResidual;
  int min_hvps = 8;
  uint64_t seed = 0;  // Gaussian start vector
};

struct Eigenpairs {
  std::vector<double> values;       // in the order asked for
  std::vector<at::Tensor> vectors;  // flat unit Ritz vectors, on the Hessian's device
  std::vector<double> residuals;    // ||H v - theta v||
  int hvps = 0;
  bool converged = false;  // false: max_hvps reached first
  bool valid = true;
  std::string error;
};

// The top k eigenpairs by Lanczos with full reorthogonalisation (single
// vector, not blocks; lib/curvature/hessian.h). A single start vector sees
// one direction of each eigenspace, so an eigenvalue of multiplicity m
// appears once, not m times. When the Krylov space closes (dim < k or an
// invariant subspace) the values found are exact and fewer than k may be
// returned.
absl::StatusOr<Eigenpairs> TopEigenpairs(HessianOperator& hessian,
                                         const TopEigenOptions& options);

struct TraceOptions {
  // kHutchinson: mean of z^T H z over Rademacher probes z, one HVP each
  // (PyHessian's trace). kHutchPlusPlus (Meyer, Musco, Musco and Woodruff,
  // 2021): a third of the HVPs sketch H's range (Q = orth(H S), S
  // Rademacher), a third give tr(Q^T H Q) exactly, and the rest average
  // g^T P H P g over Rademacher g with P = I - Q Q^T, removing the top of
  // the spectrum from the variance.
  enum class Method { kHutchinson, kHutchPlusPlus };
  Method method = Method::kHutchPlusPlus;
  int hvps = 99;  // >= 2 (Hutchinson) or >= 4 (Hutch++)
  uint64_t seed = 0;
};

struct TraceEstimate {
  // The estimate with its standard error and 95% interval: Student's t over
  // the random probes (conditional on the sketch for Hutch++, whose exact
  // part adds no variance).
  MeanInterval trace;
  // tr(H^2) = ||H||_F^2 = the sum of squared eigenvalues, from the same
  // products: ||H z||^2 over the probes (Hutch++: sum ||H q||^2 over the
  // sketch plus ||H P g||^2 over the probes), with its interval likewise.
  MeanInterval squared_frobenius;
  double exact_part = 0.0;            // Hutch++: tr(Q^T H Q); 0 for Hutchinson
  std::vector<double> samples;        // each probe's z^T H z (Hutch++: g^T P H P g)
  std::vector<double> squared_samples;  // each probe's ||H z||^2 (Hutch++: ||H P g||^2)
  int hvps = 0;
  bool valid = true;
  std::string error;
};

absl::StatusOr<TraceEstimate> EstimateTrace(HessianOperator& hessian,
                                            const TraceOptions& options);

struct DensityOptions {
  int runs = 1;             // independent start vectors (PyHessian's n_v)
  int lanczos_steps = 100;  // HVPs per run (PyHessian's iter)
  uint64_t seed = 0;
};

struct SpectralDensity {
  // Stochastic Lanczos quadrature as PyHessian computes it: per run,
  // Lanczos with full reorthogonalisation from a normalised Rademacher
  // vector; the nodes are the eigenvalues of T and the weights the squared
  // first components of its eigenvectors. A run whose Krylov space closes
  // early has fewer nodes (its quadrature is then exact).
  std::vector<Quadrature> runs;
  int64_t dim = 0;
  int hvps = 0;
  bool valid = true;
  std::string error;
};

absl::StatusOr<SpectralDensity> EstimateSpectralDensity(HessianOperator& hessian,
                                                        const DensityOptions& options);

}  // namespace warmup

#endif  // WARMUP_LIB_CURVATURE_SPECTRUM_H_
