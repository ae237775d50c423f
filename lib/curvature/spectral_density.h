#ifndef WARMUP_LIB_CURVATURE_SPECTRAL_DENSITY_H_
#define WARMUP_LIB_CURVATURE_SPECTRAL_DENSITY_H_

#include <vector>

namespace warmup {

// What stochastic Lanczos quadrature (lib/curvature/spectrum.h) makes of a
// Hessian's spectrum, and the stated error of every stochastic estimate of
// the profiler. No LibTorch.

// One run of stochastic Lanczos quadrature: the Gauss quadrature of the
// spectral measure seen from a random start vector v, sum_i w_i f(theta_i)
// ~ v^T f(H) v (exact for polynomials f of degree below twice the nodes).
// The weights are non-negative and sum to 1.
struct Quadrature {
  std::vector<double> nodes, weights;
};

// A sample mean with its standard error and its two-sided 95% interval,
// mean -/+ t(0.975, samples - 1) * standard_error (Student's t). With fewer
// than two samples the error and the interval are NaN.
struct MeanInterval {
  double mean = 0.0;
  double standard_error = 0.0;
  double lo95 = 0.0, hi95 = 0.0;
  int samples = 0;
};
MeanInterval StudentInterval(const std::vector<double>& samples);

// The moments (1/n) sum_j lambda_j^order of the Hessian's n eigenvalues for
// order = 1 .. max_order, estimated from the runs: each run gives
// sum_i w_i theta_i^order (= v^T H^order v with v = z / sqrt(n), z
// Rademacher: an unbiased sample when order < twice its nodes), and the
// estimate is their mean with its t interval over runs. So moment 1 is the
// trace over n, moment 2 the squared Frobenius norm over n.
std::vector<MeanInterval> DensityMoments(const std::vector<Quadrature>& runs, int max_order);

// The eigenvalue density as PyHessian draws it (its density_generate):
// every run's nodes smoothed by a Gaussian of variance
// sigma_squared * max(1, hi - lo) over the range [lo, hi] = [mean over runs
// of the smallest node - overhead, mean of the largest + overhead], averaged
// over runs and normalised to integrate to 1 over [lo, hi]. PyHessian
// evaluates it on 10,000 even points and normalises by their Riemann sum,
// which approximates the same integral (computed exactly here).
struct SmoothingOptions {
  int grid_points = 10000;      // even points over [lo, hi] (>= 2)
  double sigma_squared = 1e-5;  // PyHessian's default
  double overhead = 0.01;       // PyHessian's default
  // Extra points at theta + c sigma for c in {0, +-0.5, +-1, +-2, +-3} at
  // every node inside [lo, hi], so that a coarse even grid still draws every
  // peak's shape (0: PyHessian's even grid only).
  bool points_at_nodes = false;
};
struct DensityCurve {
  std::vector<double> eigenvalue, density;  // ascending eigenvalue
  double sigma_squared = 0.0;  // the kernel's variance used
};
// Empty when there are no nodes.
DensityCurve SmoothDensity(const std::vector<Quadrature>& runs, const SmoothingOptions& options);

}  // namespace warmup

#endif  // WARMUP_LIB_CURVATURE_SPECTRAL_DENSITY_H_
