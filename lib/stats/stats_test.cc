#include "lib/stats/stats.h"

#include <cmath>
#include <limits>
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

}  // namespace
}  // namespace warmup
