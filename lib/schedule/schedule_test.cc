#include "lib/schedule/schedule.h"

#include <cmath>

#include "gtest/gtest.h"

namespace warmup {
namespace {

spec::Schedule Parse(const std::string& label) {
  spec::Schedule s;
  s.set_label(label);
  return s;
}

std::unique_ptr<LearningRateSchedule> Make(const spec::Schedule& s,
                                           int64_t total = 100,
                                           double curvature = 0.0) {
  auto made = MakeSchedule(s, total, curvature);
  EXPECT_TRUE(made.ok()) << made.status();
  return made.ok() ? *std::move(made) : nullptr;
}

TEST(ConstantTest, ValueAndCurvatureMultiple) {
  spec::Schedule s = Parse("c");
  s.mutable_constant()->set_lr(0.3);
  auto c = Make(s);
  EXPECT_DOUBLE_EQ(c->Rate(0, 1.0), 0.3);
  EXPECT_DOUBLE_EQ(c->Rate(99, 5.0), 0.3);
  spec::Schedule k = Parse("k");
  k.mutable_constant()->set_times_inverse_init_curvature(2.0);
  EXPECT_DOUBLE_EQ(Make(k, 100, 8.0)->Rate(0, 0.0), 0.25);
  EXPECT_FALSE(MakeSchedule(k, 100, 0.0).ok());  // curvature unknown
}

TEST(LinearWarmupTest, FromZeroValues) {
  spec::Schedule s = Parse("lin");
  auto* l = s.mutable_linear_warmup();
  l->set_peak_lr(1.0);
  l->set_warmup_steps(10);
  auto sch = Make(s);
  EXPECT_DOUBLE_EQ(sch->Rate(0, 0), 0.0);
  EXPECT_DOUBLE_EQ(sch->Rate(1, 0), 0.1);
  EXPECT_DOUBLE_EQ(sch->Rate(9, 0), 0.9);
  EXPECT_DOUBLE_EQ(sch->Rate(10, 0), 1.0);
  EXPECT_DOUBLE_EQ(sch->Rate(50, 0), 1.0);
}

TEST(LinearWarmupTest, FromOneIsNanoGptFormula) {
  spec::Schedule s = Parse("lin");
  auto* l = s.mutable_linear_warmup();
  l->set_peak_lr(1e-3);
  l->set_warmup_steps(100);
  l->set_formula(spec::LinearWarmup::FROM_ONE);
  auto sch = Make(s, 5000);
  EXPECT_DOUBLE_EQ(sch->Rate(0, 0), 1e-3 * 1.0 / 101.0);
  EXPECT_DOUBLE_EQ(sch->Rate(1, 0), 1e-3 * 2.0 / 101.0);
  EXPECT_DOUBLE_EQ(sch->Rate(99, 0), 1e-3 * 100.0 / 101.0);
  EXPECT_DOUBLE_EQ(sch->Rate(100, 0), 1e-3);
}

TEST(LinearWarmupTest, CosineAfterWarmup) {
  spec::Schedule s = Parse("lin");
  auto* l = s.mutable_linear_warmup();
  l->set_peak_lr(1.0);
  l->set_warmup_steps(10);
  l->set_cosine_after(true);
  l->set_min_lr(0.1);
  auto sch = Make(s, 110);
  EXPECT_DOUBLE_EQ(sch->Rate(10, 0), 1.0);
  EXPECT_NEAR(sch->Rate(60, 0), 0.55, 1e-12);  // half way: (1 + 0.1) / 2
  EXPECT_DOUBLE_EQ(sch->Rate(110, 0), 0.1);
}

// eta_t = peak * start_fraction^(1 - t / W) for t < W, then peak: checked
// against the formula written out independently (eta_0 = peak * fraction,
// a constant ratio between steps, peak from t = W on).
TEST(ExponentialWarmupTest, MatchesTheFormula) {
  spec::Schedule s = Parse("exp");
  auto* x = s.mutable_exponential_warmup();
  x->set_peak_lr(1.5);
  x->set_warmup_steps(200);
  x->set_start_fraction(1e-3);
  auto sch = Make(s);
  EXPECT_EQ(sch->Rate(0, 7.0), 1.5 * 1e-3);  // exact: the exponent is 1
  const double growth = std::exp(-std::log(1e-3) / 200.0);
  for (int64_t t = 0; t < 200; ++t) {
    const double expected = 1.5 * std::exp(std::log(1e-3) * (200.0 - t) / 200.0);
    EXPECT_NEAR(sch->Rate(t, 0), expected, 1e-14 * expected) << t;
    EXPECT_NEAR(sch->Rate(t + 1, 0) / sch->Rate(t, 0), growth, 1e-13) << t;
  }
  EXPECT_NEAR(sch->Rate(100, 0), 1.5 * std::sqrt(1e-3), 1e-15);
  EXPECT_EQ(sch->Rate(200, 0), 1.5);
  EXPECT_EQ(sch->Rate(5000, 0), 1.5);
  x->set_start_fraction(1.0);  // no warmup: a constant
  EXPECT_EQ(Make(s)->Rate(0, 0), 1.5);
}

TEST(ExponentialWarmupTest, ValidationNamesTheField) {
  spec::Schedule s = Parse("exp");
  auto* x = s.mutable_exponential_warmup();
  x->set_peak_lr(1.0);
  x->set_warmup_steps(10);
  EXPECT_NE(ValidateSchedule(s).message().find("exponential_warmup.start_fraction"),
            std::string::npos);  // 0 is outside (0, 1]
  x->set_start_fraction(1.5);
  EXPECT_NE(ValidateSchedule(s).message().find("(0, 1]"), std::string::npos);
  x->set_start_fraction(0.5);
  EXPECT_TRUE(ValidateSchedule(s).ok());
  x->set_warmup_steps(0);
  EXPECT_NE(ValidateSchedule(s).message().find("exponential_warmup.warmup_steps"),
            std::string::npos);
}

// eta_t = peak (1 - cos(pi t / W)) / 2 for t < W, then peak: eta_0 = 0
// exactly, half the peak at W / 2, symmetric about it, the peak from W on.
TEST(CosineWarmupTest, MatchesTheFormula) {
  spec::Schedule s = Parse("cw");
  s.mutable_cosine_warmup()->set_peak_lr(0.8);
  s.mutable_cosine_warmup()->set_warmup_steps(100);
  auto sch = Make(s);
  EXPECT_EQ(sch->Rate(0, 3.0), 0.0);
  EXPECT_NEAR(sch->Rate(50, 0), 0.4, 1e-15);
  for (int64_t t = 1; t < 100; ++t) {
    const double expected = 0.8 * std::pow(std::sin(M_PI * t / 200.0), 2);  // half-angle form
    EXPECT_NEAR(sch->Rate(t, 0), expected, 1e-14) << t;
    EXPECT_NEAR(sch->Rate(t, 0) + sch->Rate(100 - t, 0), 0.8, 1e-14) << t;
    EXPECT_GT(sch->Rate(t, 0), sch->Rate(t - 1, 0)) << t;
  }
  EXPECT_EQ(sch->Rate(100, 0), 0.8);
  EXPECT_EQ(sch->Rate(4000, 0), 0.8);
}

// eta_t = peak (t / W)^p for t < W, then peak; p = 1 is the linear warmup
// FROM_ZERO.
TEST(PolynomialWarmupTest, MatchesTheFormulaAndLinearAtPowerOne) {
  spec::Schedule s = Parse("poly");
  auto* p = s.mutable_polynomial_warmup();
  p->set_peak_lr(2.0);
  p->set_warmup_steps(40);
  p->set_power(3.0);
  auto sch = Make(s);
  EXPECT_EQ(sch->Rate(0, 1.0), 0.0);
  EXPECT_NEAR(sch->Rate(20, 0), 2.0 / 8.0, 1e-15);
  EXPECT_NEAR(sch->Rate(10, 0), 2.0 / 64.0, 1e-15);
  EXPECT_EQ(sch->Rate(40, 0), 2.0);
  EXPECT_EQ(sch->Rate(41, 0), 2.0);

  p->set_power(1.0);
  spec::Schedule lin = Parse("lin");
  lin.mutable_linear_warmup()->set_peak_lr(2.0);
  lin.mutable_linear_warmup()->set_warmup_steps(40);
  auto poly1 = Make(s), linear = Make(lin);
  for (int64_t t = 0; t <= 60; ++t) {
    EXPECT_DOUBLE_EQ(poly1->Rate(t, 0), linear->Rate(t, 0)) << t;
  }
}

TEST(PolynomialWarmupTest, ValidationNamesTheField) {
  spec::Schedule s = Parse("poly");
  auto* p = s.mutable_polynomial_warmup();
  p->set_peak_lr(1.0);
  p->set_warmup_steps(10);
  EXPECT_NE(ValidateSchedule(s).message().find("polynomial_warmup.power"),
            std::string::npos);  // 0 is outside (0, 1e3]
  p->set_power(2.0);
  EXPECT_TRUE(ValidateSchedule(s).ok());
  p->set_peak_lr(0.0);
  EXPECT_NE(ValidateSchedule(s).message().find("polynomial_warmup.peak_lr"),
            std::string::npos);
  spec::Schedule c = Parse("cw");
  c.mutable_cosine_warmup()->set_peak_lr(1.0);
  EXPECT_NE(ValidateSchedule(c).message().find("cosine_warmup.warmup_steps"),
            std::string::npos);
}

// A tuned baseline sets and reads back the same parameters on every family.
TEST(FamilyParametersTest, SetThenReadEveryFamily) {
  std::vector<spec::Schedule> families(5, Parse("f"));
  families[0].mutable_constant()->set_times_inverse_init_curvature(1.0);
  families[1].mutable_linear_warmup()->set_warmup_steps(5);
  families[2].mutable_exponential_warmup()->set_start_fraction(0.01);
  families[3].mutable_cosine_warmup();
  families[4].mutable_polynomial_warmup()->set_power(1.0);
  for (spec::Schedule& s : families) {
    SetFamilyParameters({0.25, 700, 3.0}, &s);
    const FamilyParameters f = FamilyParametersOf(s);
    EXPECT_EQ(f.rate, 0.25) << s.DebugString();
    EXPECT_EQ(f.warmup_steps, s.has_constant() ? 0 : 700) << s.DebugString();
    EXPECT_EQ(f.power, s.has_polynomial_warmup() ? 3.0 : 0.0) << s.DebugString();
    EXPECT_EQ(IsWarmupFamily(s), !s.has_constant());
  }
  EXPECT_EQ(families[0].constant().lr(), 0.0);  // the multiple of 1 / ||H|| is set
  EXPECT_EQ(families[2].exponential_warmup().start_fraction(), 0.01);  // kept
  SetFamilyParameters({0.5, 0, 0.0}, &families[4]);  // 0: keep length and power
  EXPECT_EQ(FamilyParametersOf(families[4]).warmup_steps, 700);
  EXPECT_EQ(FamilyParametersOf(families[4]).power, 3.0);
}

TEST(CosineTest, EndpointsAndMiddle) {
  spec::Schedule s = Parse("cos");
  s.mutable_cosine()->set_peak_lr(2.0);
  s.mutable_cosine()->set_min_lr(0.0);
  auto sch = Make(s, 100);
  EXPECT_DOUBLE_EQ(sch->Rate(0, 0), 2.0);
  EXPECT_NEAR(sch->Rate(1, 0), 1.0 + std::cos(M_PI / 100), 1e-12);
  EXPECT_NEAR(sch->Rate(50, 0), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(sch->Rate(100, 0), 0.0);
}

TEST(TheoryWarmupTest, ValuesFromTheLoss) {
  spec::Schedule s = Parse("theory");
  auto* t = s.mutable_theory_warmup();
  t->set_c(0.5);
  t->set_k0(1.0);
  t->set_krho(2.0);
  t->set_rho(1.0);
  t->set_f_star(1.0);
  auto sch = Make(s);
  EXPECT_DOUBLE_EQ(sch->Rate(0, 5.0), 0.5 / (1.0 + 2.0 * 4.0));
  EXPECT_DOUBLE_EQ(sch->Rate(1, 2.0), 0.5 / 3.0);
  EXPECT_DOUBLE_EQ(sch->Rate(2, 0.5), 0.5);  // below f*: gap 0
  EXPECT_GT(sch->Rate(3, std::nan("")), -1.0);  // NaN loss: rate 0, no NaN
  EXPECT_FALSE(std::isnan(sch->Rate(3, std::nan(""))));
}

TEST(TheoryWarmupTest, CapAndEma) {
  spec::Schedule s = Parse("theory");
  auto* t = s.mutable_theory_warmup();
  t->set_c(1.0);
  t->set_k0(1.0);
  t->set_krho(1.0);
  t->set_rho(1.0);
  t->set_max_lr(0.5);
  t->set_ema(0.5);
  auto sch = Make(s);
  EXPECT_DOUBLE_EQ(sch->Rate(0, 3.0), 0.25);         // l_0 = 3
  EXPECT_DOUBLE_EQ(sch->Rate(1, 1.0), 1.0 / 3.0);    // l_1 = 2
  EXPECT_DOUBLE_EQ(sch->Rate(2, 0.0), 0.5);          // l_2 = 1: 1/2 = cap
}

TEST(ValidateScheduleTest, ErrorsNameTheField) {
  spec::Schedule none = Parse("x");
  EXPECT_NE(ValidateSchedule(none).message().find("no kind"), std::string::npos);
  spec::Schedule t = Parse("t");
  t.mutable_theory_warmup()->set_c(1.0);
  t.mutable_theory_warmup()->set_rho(1.0);
  const absl::Status st = ValidateSchedule(t);  // k0 = 0 without a cap
  EXPECT_NE(st.message().find("max_lr"), std::string::npos) << st;
  t.mutable_theory_warmup()->set_k0(-1.0);
  EXPECT_NE(ValidateSchedule(t).message().find("K0 and Krho must be >= 0"),
            std::string::npos);
  spec::Schedule l = Parse("l");
  l.mutable_linear_warmup()->set_peak_lr(1.0);
  EXPECT_NE(ValidateSchedule(l).message().find("warmup_steps"), std::string::npos);
  spec::Schedule c = Parse("c");
  c.mutable_constant()->set_lr(1.0);
  c.mutable_constant()->set_times_inverse_init_curvature(1.0);
  EXPECT_FALSE(ValidateSchedule(c).ok());
}

}  // namespace
}  // namespace warmup
