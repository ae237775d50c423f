#include "lib/stats/stats.h"

#include <cmath>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace warmup {
namespace {

// Reference values: Student t quantiles from standard tables (6 significant
// digits); the incomplete beta function in closed form for integer
// arguments; the two-sample p-value by direct numerical integration of the
// t density (midpoint rule, 2e5 cells, error below 1e-9).

TEST(SampleStatisticsTest, MeanVarianceSd) {
  const std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(Mean(v), 2.5);
  EXPECT_DOUBLE_EQ(SampleVariance(v), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(SampleSd(v), std::sqrt(5.0 / 3.0));
  EXPECT_TRUE(std::isnan(Mean({})));
  EXPECT_TRUE(std::isnan(SampleVariance({1.0})));
}

TEST(IncompleteBetaTest, ClosedFormForIntegerArguments) {
  // I_0.4(2, 3) = sum_{j=2}^{4} C(4, j) 0.4^j 0.6^(4-j) = 0.5248.
  EXPECT_NEAR(RegularizedIncompleteBeta(2, 3, 0.4), 0.5248, 1e-13);
  // I_x(1, 1) = x; I_x(a, 1) = x^a.
  EXPECT_NEAR(RegularizedIncompleteBeta(1, 1, 0.3), 0.3, 1e-14);
  EXPECT_NEAR(RegularizedIncompleteBeta(5, 1, 0.9), std::pow(0.9, 5), 1e-13);
  // Symmetry I_x(a, b) = 1 - I_{1-x}(b, a), on both branches.
  EXPECT_NEAR(RegularizedIncompleteBeta(2.5, 7, 0.2) + RegularizedIncompleteBeta(7, 2.5, 0.8),
              1.0, 1e-13);
  EXPECT_TRUE(std::isnan(RegularizedIncompleteBeta(0, 1, 0.5)));
}

TEST(StudentTTest, CdfMatchesClosedForms) {
  EXPECT_NEAR(StudentTCdf(1, 1), 0.75, 1e-13);  // Cauchy: 1/2 + atan(t)/pi
  EXPECT_NEAR(StudentTCdf(2, 2), 0.5 + 1.0 / std::sqrt(6.0), 1e-13);
  EXPECT_NEAR(StudentTCdf(-2, 2), 0.5 - 1.0 / std::sqrt(6.0), 1e-13);
  EXPECT_DOUBLE_EQ(StudentTCdf(0, 7), 0.5);
}

TEST(StudentTTest, QuantilesMatchTables) {
  // The approximation this replaces gave 6.46 at 2 degrees of freedom.
  EXPECT_NEAR(StudentTQuantile(0.99, 2), 6.96456, 1e-5);
  EXPECT_NEAR(StudentTQuantile(0.975, 1), 12.7062, 1e-4);
  EXPECT_NEAR(StudentTQuantile(0.99, 8), 2.89646, 1e-5);
  EXPECT_NEAR(StudentTQuantile(0.995, 8), 3.35539, 1e-5);
  EXPECT_NEAR(StudentTQuantile(0.975, 30), 2.04227, 1e-5);
  EXPECT_NEAR(StudentTQuantile(0.95, 1e7), 1.64485, 1e-5);
  EXPECT_NEAR(StudentTQuantile(0.01, 8), -2.89646, 1e-5);
  for (double p : {0.6, 0.9, 0.999, 1 - 1e-7}) {
    EXPECT_NEAR(StudentTCdf(StudentTQuantile(p, 5), 5), p, 1e-12) << p;
  }
}

TEST(StudentTTest, QuantilesMatchNineDigitTables) {
  // Tabulated to 9 significant digits; bisection reaches 1e-10.
  struct Case {
    double p, dof, t;
  } cases[] = {{0.975, 1, 12.7062047}, {0.975, 2, 4.30265273}, {0.975, 9, 2.26215716},
               {0.975, 29, 2.04522964}, {0.99, 8, 2.89645945}, {0.975, 1e6, 1.95996639},
               {0.025, 4, -2.77644511}};
  for (const Case& c : cases) {
    EXPECT_NEAR(StudentTQuantile(c.p, c.dof), c.t, 1e-7) << c.p << " " << c.dof;
  }
  EXPECT_TRUE(std::isnan(StudentTQuantile(1.0, 3)));
  EXPECT_TRUE(std::isnan(StudentTQuantile(0.5, 0)));
}

// Differences {1, 2, 3}: mean 2, sd 1, t(0.99, 2) = 6.964557 (tables), so
// the one-sided 99% bounds are 2 -/+ 6.964557 / sqrt(3) = 2 -/+ 4.020989.
TEST(PairedDifferenceTest, MatchesHandComputationAndRefusesWhatCannotBePaired) {
  const PairedDifference d = PairedDifferenceBounds({3, 5, 7}, {2, 3, 4}, 0.99);
  EXPECT_DOUBLE_EQ(d.mean, 2.0);
  EXPECT_DOUBLE_EQ(d.sd, 1.0);
  EXPECT_NEAR(d.lo, 2.0 - 4.020989, 1e-6);
  EXPECT_NEAR(d.hi, 2.0 + 4.020989, 1e-6);
  const double inf = std::numeric_limits<double>::infinity();
  for (const auto& [a, b] : {std::pair<std::vector<double>, std::vector<double>>{{1, inf}, {0, 0}},
                             {{1, 2}, {0}}, {{1}, {0}}}) {
    const PairedDifference bad = PairedDifferenceBounds(a, b, 0.99);
    EXPECT_TRUE(std::isnan(bad.mean) && std::isnan(bad.sd) && std::isnan(bad.lo) &&
                std::isnan(bad.hi));
  }
}

TEST(PooledTwoSampleTTest, MatchesHandComputation) {
  // x = {1, 2, 3}, y = {4, 5, 6, 7}: pooled variance (2 + 5) / 5, t = -3.87298,
  // 5 degrees of freedom, two-sided p = 0.0117248 (numerical integration).
  const TwoSampleTest test = PooledTwoSampleT({1, 2, 3}, {4, 5, 6, 7}, 0.0);
  EXPECT_DOUBLE_EQ(test.difference, -3.5);
  EXPECT_NEAR(test.pooled_sd, std::sqrt(1.4), 1e-14);
  EXPECT_NEAR(test.t, -3.872983346, 1e-8);
  EXPECT_EQ(test.dof, 5);
  EXPECT_NEAR(test.p_two_sided, 0.0117248110, 1e-9);
}

TEST(PooledTwoSampleTTest, FloorKeepsRoundingFromRejecting) {
  // Constant samples that differ in the last digits: without a floor the
  // rounding residue is the whole spread and t is huge; with a rounding
  // floor p is near 1.
  const std::vector<double> y(10, 0.1);
  const std::vector<double> x(3, 0.1 * (1 + 1e-15));
  EXPECT_LT(PooledTwoSampleT(x, y, 0.0).p_two_sided, 1e-6);
  EXPECT_GT(PooledTwoSampleT(x, y, 1e-12).p_two_sided, 0.99);
  EXPECT_EQ(PooledTwoSampleT(y, y, 0.0).p_two_sided, 1.0);
}

TEST(PooledTwoSampleTTest, NonFiniteValuesAgreeOnlyWhenAllEqual) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(PooledTwoSampleT({inf, inf}, {inf, inf, inf}, 0.0).p_two_sided, 1.0);
  EXPECT_EQ(PooledTwoSampleT({1.0, inf}, {1.0, 1.0, 1.0}, 0.0).p_two_sided, 0.0);
  EXPECT_EQ(PooledTwoSampleT({1.0, 1.0}, {1.0, NAN}, 0.0).p_two_sided, 0.0);
  EXPECT_TRUE(std::isnan(PooledTwoSampleT({1.0}, {2.0}, 0.0).p_two_sided));
}

// Type 7 quantiles: the order statistics at q (n - 1), interpolated.
TEST(QuantileTest, InterpolatesBetweenOrderStatistics) {
  EXPECT_DOUBLE_EQ(Quantile({3, 1, 2, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Quantile({3, 1, 2, 4}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(Quantile({3, 1, 2, 4}, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(Quantile({10, 20}, 0.9), 19.0);
}

TEST(RanksTest, TiesShareTheirMeanRank) {
  const std::vector<double> r = Ranks({5, 1, 5, 3});
  EXPECT_EQ(r, (std::vector<double>{3.5, 1, 3.5, 2}));
}

TEST(SpearmanTest, MonotoneAndTies) {
  EXPECT_DOUBLE_EQ(SpearmanCorrelation({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(SpearmanCorrelation({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  EXPECT_NEAR(SpearmanCorrelation({1, 1, 2, 3}, {1, 2, 3, 4}), 0.9487, 1e-4);
}

// The chance level matches the normal approximation of the null (Spearman
// of n points has sd 1 / sqrt(n - 1); the mean of k runs 1 / sqrt(k (n - 1)))
// within 0.04 (Monte Carlo error of a 99th percentile from 2,000 draws plus
// the approximation's error at n = 14), and null data exceed it rarely.
TEST(SpearmanTest, ChanceLevelIsTheNullQuantile) {
  const double level = SpearmanChanceLevel({14, 14, 14}, 0.99, 2000, 3);
  EXPECT_NEAR(level, 2.3263 / std::sqrt(3.0 * 13.0), 0.04);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  int exceed = 0;
  constexpr int kTrials = 400;
  for (int t = 0; t < kTrials; ++t) {
    double mean = 0.0;
    for (int r = 0; r < 3; ++r) {
      std::vector<double> x(14), y(14);
      for (int i = 0; i < 14; ++i) {
        x[i] = normal(rng);
        y[i] = normal(rng);
      }
      mean += SpearmanCorrelation(x, y) / 3;
    }
    if (mean > level) ++exceed;
  }
  // 1% expected: 4 of 400; 12 is beyond the binomial's 99.9th percentile.
  EXPECT_LE(exceed, 12);
}

TEST(LogLogSlopeTest, RecoversExponentAndSkipsBadPairs) {
  std::vector<double> x = {1, 10, 100, 1000, -1, 5};
  std::vector<double> y;
  for (double v : x) y.push_back(3.0 * std::pow(std::abs(v), 0.5));
  y.back() = std::nan("");
  EXPECT_NEAR(LogLogSlope(x, y), 0.5, 1e-12);
  EXPECT_TRUE(std::isnan(LogLogSlope({1.0}, {1.0})));
  // The fit says how many pairs it rests on and how many it left out.
  const LogLogFit fit = FitLogLog(x, y);
  EXPECT_EQ(fit.points, 4);
  EXPECT_EQ(fit.missing, 2);
  EXPECT_EQ(FitLogLog({1, 10}, {1, std::numeric_limits<double>::infinity()}).missing, 1);
}

}  // namespace
}  // namespace warmup
