// The t interval, the
// moments of quadratures, and the smoothed density against PyHessian's own
// formula (density_generate, written out below).
#include "lib/curvature/spectral_density.h"

#include <algorithm>
#include <cmath>

#include "gtest/gtest.h"

namespace warmup {
namespace {

TEST(StudentIntervalTest, FourSamples) {
  // mean 2.5, sd sqrt(5/3), se sd / 2, t(0.975, 3) = 3.18244631.
  const MeanInterval m = StudentInterval({1, 2, 3, 4});
  const double se = std::sqrt(5.0 / 3.0) / 2;
  EXPECT_DOUBLE_EQ(m.mean, 2.5);
  EXPECT_NEAR(m.standard_error, se, 1e-15);
  EXPECT_NEAR(m.hi95 - m.mean, 3.18244631 * se, 1e-7);
  EXPECT_NEAR(m.mean - m.lo95, 3.18244631 * se, 1e-7);
  EXPECT_EQ(m.samples, 4);
  const MeanInterval one = StudentInterval({3.0});
  EXPECT_EQ(one.mean, 3.0);
  EXPECT_TRUE(std::isnan(one.standard_error) && std::isnan(one.lo95));
}

TEST(DensityMomentsTest, MeanOverRunsOfWeightedPowers) {
  const std::vector<Quadrature> runs = {{{-1, 2}, {0.25, 0.75}}, {{1, 3}, {0.5, 0.5}}};
  const std::vector<MeanInterval> m = DensityMoments(runs, 3);
  ASSERT_EQ(m.size(), 3u);
  // Run moments: order 1: 1.25 and 2; order 2: 3.25 and 5; order 3: 5.75 and 14.
  EXPECT_DOUBLE_EQ(m[0].mean, (1.25 + 2) / 2);
  EXPECT_DOUBLE_EQ(m[1].mean, (3.25 + 5) / 2);
  EXPECT_DOUBLE_EQ(m[2].mean, (5.75 + 14) / 2);
  EXPECT_NEAR(m[0].standard_error, 0.375, 1e-15);  // |1.25 - 2| / 2
}

// PyHessian's density_generate, as published with it (its example's
// density_plot.py): the reference this implementation must match.
std::vector<double> PyHessianDensity(const std::vector<Quadrature>& runs, int bins,
                                     std::vector<double>* grid, double* riemann_end_terms) {
  double lo = 0, hi = 0;
  for (const Quadrature& q : runs) {
    lo += *std::min_element(q.nodes.begin(), q.nodes.end());
    hi += *std::max_element(q.nodes.begin(), q.nodes.end());
  }
  lo = lo / runs.size() - 0.01;
  hi = hi / runs.size() + 0.01;
  const double variance = 1e-5 * std::max(1.0, hi - lo);
  std::vector<double> density(bins, 0.0);
  grid->clear();
  for (int j = 0; j < bins; ++j) {
    const double x = lo + (hi - lo) * j / (bins - 1);
    grid->push_back(x);
    for (const Quadrature& q : runs) {
      for (size_t i = 0; i < q.nodes.size(); ++i) {
        density[j] += q.weights[i] * std::exp(-(x - q.nodes[i]) * (x - q.nodes[i]) / (2 * variance)) /
                      std::sqrt(2 * M_PI * variance) / runs.size();
      }
    }
  }
  const double step = (*grid)[1] - (*grid)[0];
  double sum = 0;
  for (double d : density) sum += d;
  for (double& d : density) d /= sum * step;
  // The Riemann sum exceeds the trapezoidal rule (error O(step^2)) by half
  // of the two end values: how far its normalisation can differ.
  *riemann_end_terms = 0.5 * (density.front() + density.back()) * step;
  return density;
}

std::vector<Quadrature> TwoRuns() {
  return {{{-2.0, 0.1, 0.5, 3.0, 9.0}, {0.1, 0.3, 0.3, 0.2, 0.1}},
          {{-1.5, 0.0, 0.7, 2.0, 8.5}, {0.05, 0.4, 0.3, 0.15, 0.1}}};
}

TEST(SmoothDensityTest, MatchesPyHessiansFormula) {
  const std::vector<Quadrature> runs = TwoRuns();
  std::vector<double> grid;
  double end_terms = 0;
  const std::vector<double> reference = PyHessianDensity(runs, 10000, &grid, &end_terms);
  const DensityCurve curve = SmoothDensity(runs, SmoothingOptions());
  ASSERT_EQ(curve.eigenvalue.size(), grid.size());
  // Range: mean largest node 8.75, mean smallest -1.75, plus twice 0.01.
  EXPECT_NEAR(curve.sigma_squared, 1e-5 * (8.75 + 1.75 + 0.02), 1e-15);
  double worst = 0;
  for (size_t j = 0; j < grid.size(); ++j) {
    EXPECT_NEAR(curve.eigenvalue[j], grid[j], 1e-12);
    worst = std::max(worst, std::abs(curve.density[j] - reference[j]) /
                                std::max(reference[j], 1e-300));
  }
  // Rule: the normalisations differ by the Riemann sum's end terms and its
  // O(step^2) error, at most twice the end terms' relative size here.
  std::printf("max relative difference from PyHessian's formula %.3g (end terms %.3g)\n",
              worst, end_terms);
  EXPECT_LE(worst, 2 * end_terms + 1e-9);
}

TEST(SmoothDensityTest, PointsAtNodesDrawEveryPeakAndIntegrateToOne) {
  SmoothingOptions coarse;
  coarse.grid_points = 50;
  coarse.points_at_nodes = true;
  const DensityCurve curve = SmoothDensity(TwoRuns(), coarse);
  EXPECT_TRUE(std::is_sorted(curve.eigenvalue.begin(), curve.eigenvalue.end()));
  // Each node inside the range (PyHessian's, from the mean extreme nodes)
  // is a grid point, where the density is at least its own run-averaged
  // peak w / (runs sqrt(2 pi variance)) (divided by the mass within range,
  // at most 1).
  const double peak_scale = 1.0 / std::sqrt(2 * M_PI * curve.sigma_squared);
  for (const Quadrature& q : TwoRuns()) {
    for (size_t i = 0; i < q.nodes.size(); ++i) {
      if (q.nodes[i] <= curve.eigenvalue.front() || q.nodes[i] >= curve.eigenvalue.back()) continue;
      const auto it = std::find(curve.eigenvalue.begin(), curve.eigenvalue.end(), q.nodes[i]);
      ASSERT_NE(it, curve.eigenvalue.end()) << q.nodes[i];
      EXPECT_GE(curve.density[it - curve.eigenvalue.begin()], q.weights[i] / 2 * peak_scale);
    }
  }
  // On PyHessian's fine even grid the density integrates to 1 within the
  // trapezoidal rule's end terms.
  const DensityCurve fine = SmoothDensity(TwoRuns(), SmoothingOptions());
  double integral = 0;
  for (size_t j = 1; j < fine.eigenvalue.size(); ++j) {
    integral += 0.5 * (fine.density[j] + fine.density[j - 1]) *
                (fine.eigenvalue[j] - fine.eigenvalue[j - 1]);
  }
  EXPECT_NEAR(integral, 1.0, 1e-6);
  EXPECT_TRUE(SmoothDensity({}, SmoothingOptions()).eigenvalue.empty());
}

}  // namespace
}  // namespace warmup
