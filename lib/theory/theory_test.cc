#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "lib/theory/smoothness.h"
#include "lib/theory/warmup.h"

namespace warmup {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(CurvatureBoundTest, MatchesFormula) {
  const GapSmoothness s{0.5, 2.0, 3.0};
  EXPECT_DOUBLE_EQ(CurvatureBound(s, 4.0), 2.0 + 3.0 * 2.0);
  EXPECT_DOUBLE_EQ(CurvatureBound(s, 0.0), 2.0);
  EXPECT_DOUBLE_EQ(CurvatureBound(s, -1.0), 2.0);  // negative gaps count as 0
}

TEST(CurvatureBoundTest, HugeGapsOverflowToInfinityNotNan) {
  const GapSmoothness s{3.0, 1.0, 1.0};
  EXPECT_EQ(CurvatureBound(s, 1e200), kInf);
  EXPECT_NEAR(CurvatureBound(s, 1e100) / 1e300, 1.0, 1e-12);  // log space
  EXPECT_EQ(TheoryStepSize(s, 1.0, 1e200), 0.0);
  EXPECT_FALSE(std::isnan(TheoryStepSize(s, 1.0, kInf)));
}

TEST(CurvatureBoundTest, RhoNearZeroAndLarge) {
  const GapSmoothness tiny{1e-12, 1.0, 2.0};
  EXPECT_NEAR(CurvatureBound(tiny, 1e6), 3.0, 1e-9);  // gap^rho -> 1
  const GapSmoothness large{50.0, 1.0, 1.0};
  EXPECT_NEAR(CurvatureBound(large, 0.5), 1.0 + std::pow(0.5, 50), 1e-18);
  EXPECT_EQ(CurvatureBound(large, 1e10), kInf);
}

TEST(TheoryStepSizeTest, ZeroGapIsFinite) {
  EXPECT_DOUBLE_EQ(TheoryStepSize(GapSmoothness{1.0, 4.0, 2.0}, 1.0, 0.0), 0.25);
  // K0 = 0 and gap = 0 would be infinite: the cap decides.
  EXPECT_DOUBLE_EQ(TheoryStepSize(GapSmoothness{1.0, 0.0, 2.0}, 1.0, 0.0, 0.5),
                   0.5);
}

TEST(TheoryStepSizeTest, KrhoZeroIsConstant) {
  const GapSmoothness s{1.0, 4.0, 0.0};
  EXPECT_DOUBLE_EQ(TheoryStepSize(s, 0.5, 0.0), 0.125);
  EXPECT_DOUBLE_EQ(TheoryStepSize(s, 0.5, 1e300), 0.125);
}

TEST(TheoryStepSizeTest, IncreasesAsTheGapFalls) {
  const GapSmoothness s{1.5, 1.0, 2.0};
  double previous = 0.0;
  for (double gap = 1e6; gap > 1e-6; gap /= 3.0) {
    const double eta = TheoryStepSize(s, 1.0, gap);
    EXPECT_GT(eta, previous);
    previous = eta;
  }
  EXPECT_LE(previous, 1.0);
}

TEST(ValidateTest, RejectsBadConstants) {
  EXPECT_FALSE(Validate(GapSmoothness{0.0, 1.0, 1.0}).ok());
  EXPECT_FALSE(Validate(GapSmoothness{-1.0, 1.0, 1.0}).ok());
  EXPECT_FALSE(Validate(GapSmoothness{1.0, -1.0, 1.0}).ok());
  EXPECT_FALSE(Validate(GapSmoothness{1.0, 1.0, -1.0}).ok());
  EXPECT_FALSE(Validate(GapSmoothness{1.0, std::nan(""), 1.0}).ok());
  EXPECT_TRUE(Validate(GapSmoothness{1.0, 0.0, 0.0}).ok());
  EXPECT_FALSE(Validate(GradientSmoothness{2.0, 1.0, 1.0}).ok());
  EXPECT_FALSE(Validate(GradientSmoothness{1.0, -1.0, 1.0}).ok());
  EXPECT_TRUE(Validate(GradientSmoothness{0.0, 1.0, 1.0}).ok());
  const absl::Status st = Validate(GapSmoothness{-2.0, 1.0, 1.0});
  EXPECT_NE(st.message().find("rho must be > 0, got -2"), std::string::npos);
}

TEST(Lemma1Test, ConstantsForRhoOne) {
  // rho = 1: alpha = 1, K0 = L0 + 2 L1 sqrt(L0), K1 = 2 L1 sqrt(L0) + 8 L1^2.
  const GapSmoothness k = GapSmoothnessFromGradient(GradientSmoothness{1.0, 4.0, 3.0});
  EXPECT_DOUBLE_EQ(k.rho, 1.0);
  EXPECT_DOUBLE_EQ(k.k0, 4.0 + 3.0 * 4.0);
  EXPECT_DOUBLE_EQ(k.krho, 3.0 * 4.0 + 8.0 * 9.0);
}

TEST(Lemma1Test, RhoZeroIsLSmoothness) {
  // ||H|| <= L0 + Lrho = 3 everywhere: K0 = 3, Krho = 0 (rho is immaterial).
  const GapSmoothness k = GapSmoothnessFromGradient(GradientSmoothness{0.0, 2.0, 1.0});
  EXPECT_DOUBLE_EQ(k.k0, 3.0);
  EXPECT_DOUBLE_EQ(k.krho, 0.0);
}

TEST(DescentTest, GuaranteedDecreaseAtLeastHalfEtaGradSq) {
  const GapSmoothness s{1.0, 1.0, 1.0};
  const double eta = 1.0 / CurvatureBound(s, 3.0);
  EXPECT_GE(GuaranteedDecrease(s, 3.0, eta, 2.0), 0.5 * eta * 2.0);
}

TEST(Lemma1Test, RhoZeroGivesAValidGlobalBound) {
  const GapSmoothness k = GapSmoothnessFromGradient(GradientSmoothness{0.0, 1.0, 2.0});
  EXPECT_TRUE(Validate(k).ok()) << Validate(k);
  EXPECT_DOUBLE_EQ(CurvatureBound(k, 0.0), 3.0);
  EXPECT_DOUBLE_EQ(CurvatureBound(k, 1e6), 3.0);
}

TEST(GradientNormBoundTest, TwoGapOverSum) {
  EXPECT_DOUBLE_EQ(GradientNormBound(3.0, {0.5, 1.0, 1.5}), 2.0);
}

}  // namespace
}  // namespace warmup
