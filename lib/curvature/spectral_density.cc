#include "lib/curvature/spectral_density.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lib/stats/stats.h"

namespace warmup {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Normal(double x, double mean, double variance) {
  return std::exp(-(x - mean) * (x - mean) / (2 * variance)) /
         std::sqrt(2 * M_PI * variance);
}

double NormalMass(double lo, double hi, double mean, double sd) {
  return 0.5 * (std::erf((hi - mean) / (M_SQRT2 * sd)) - std::erf((lo - mean) / (M_SQRT2 * sd)));
}

// PyHessian's grid: [mean smallest node - overhead, mean largest + overhead].
std::pair<double, double> DensityRange(const std::vector<Quadrature>& runs, double overhead) {
  double lo = 0, hi = 0;
  int counted = 0;
  for (const Quadrature& q : runs) {
    if (q.nodes.empty()) continue;
    lo += *std::min_element(q.nodes.begin(), q.nodes.end());
    hi += *std::max_element(q.nodes.begin(), q.nodes.end());
    ++counted;
  }
  return {lo / counted - overhead, hi / counted + overhead};
}

}  // namespace

MeanInterval StudentInterval(const std::vector<double>& samples) {
  MeanInterval m;
  m.samples = static_cast<int>(samples.size());
  m.mean = samples.empty() ? kNaN : Mean(samples);
  if (samples.size() < 2) {
    m.standard_error = m.lo95 = m.hi95 = kNaN;
    return m;
  }
  m.standard_error = SampleSd(samples) / std::sqrt(static_cast<double>(samples.size()));
  const double half = StudentTQuantile(0.975, samples.size() - 1.0) * m.standard_error;
  m.lo95 = m.mean - half;
  m.hi95 = m.mean + half;
  return m;
}

std::vector<MeanInterval> DensityMoments(const std::vector<Quadrature>& runs, int max_order) {
  std::vector<MeanInterval> moments;
  for (int order = 1; order <= max_order; ++order) {
    std::vector<double> per_run;
    for (const Quadrature& q : runs) {
      double sum = 0;
      for (size_t i = 0; i < q.nodes.size(); ++i) sum += q.weights[i] * std::pow(q.nodes[i], order);
      per_run.push_back(sum);
    }
    moments.push_back(StudentInterval(per_run));
  }
  return moments;
}

DensityCurve SmoothDensity(const std::vector<Quadrature>& runs, const SmoothingOptions& options) {
  DensityCurve curve;
  const bool any = std::any_of(runs.begin(), runs.end(),
                               [](const Quadrature& q) { return !q.nodes.empty(); });
  if (!any) return curve;
  const auto [lo, hi] = DensityRange(runs, options.overhead);
  curve.sigma_squared = options.sigma_squared * std::max(1.0, hi - lo);
  const double sd = std::sqrt(curve.sigma_squared);
  const int even = std::max(2, options.grid_points);
  for (int j = 0; j < even; ++j) curve.eigenvalue.push_back(lo + (hi - lo) * j / (even - 1));
  if (options.points_at_nodes) {
    for (const Quadrature& q : runs) {
      for (double theta : q.nodes) {
        for (double c : {-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0}) {
          const double x = theta + c * sd;
          if (x > lo && x < hi) curve.eigenvalue.push_back(x);
        }
      }
    }
    std::sort(curve.eigenvalue.begin(), curve.eigenvalue.end());
    curve.eigenvalue.erase(std::unique(curve.eigenvalue.begin(), curve.eigenvalue.end()),
                           curve.eigenvalue.end());
  }
  double mass = 0;
  curve.density.assign(curve.eigenvalue.size(), 0.0);
  for (const Quadrature& q : runs) {
    for (size_t i = 0; i < q.nodes.size(); ++i) {
      mass += q.weights[i] * NormalMass(lo, hi, q.nodes[i], sd);
      for (size_t j = 0; j < curve.eigenvalue.size(); ++j) {
        curve.density[j] += q.weights[i] * Normal(curve.eigenvalue[j], q.nodes[i],
                                                  curve.sigma_squared);
      }
    }
  }
  // Averaging over runs divides density and mass alike: dividing by the
  // mass inside [lo, hi] does both.
  for (double& d : curve.density) d /= mass;
  return curve;
}

}  // namespace warmup
