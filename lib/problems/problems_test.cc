#include <cmath>
#include <memory>
#include <random>

#include <Eigen/Eigenvalues>

#include "gtest/gtest.h"
#include "lib/problems/cosh_valley.h"
#include "lib/problems/make_objective.h"
#include "lib/problems/patel_examples.h"
#include "lib/problems/river_valley.h"
#include "lib/problems/speedup_instance.h"

namespace warmup {
namespace {

// Central finite differences of f, step h per coordinate.
Eigen::VectorXd NumericGradient(const Objective& f, Eigen::VectorXd w, double h) {
  Eigen::VectorXd g(w.size());
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    const double wi = w[i];
    w[i] = wi + h;
    const double up = f.Value(w);
    w[i] = wi - h;
    const double down = f.Value(w);
    w[i] = wi;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

// Hessian norm from central differences of the gradient.
double NumericHessianNorm(const Objective& f, Eigen::VectorXd w, double h) {
  const Eigen::Index n = w.size();
  Eigen::MatrixXd hess(n, n);
  Eigen::VectorXd gp(n), gm(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double wi = w[i];
    w[i] = wi + h;
    f.ValueAndGradient(w, &gp);
    w[i] = wi - h;
    f.ValueAndGradient(w, &gm);
    w[i] = wi;
    hess.col(i) = (gp - gm) / (2 * h);
  }
  hess = 0.5 * (hess + hess.transpose()).eval();
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(hess).eigenvalues().cwiseAbs().maxCoeff();
}

std::vector<std::unique_ptr<Objective>> Objectives() {
  std::vector<std::unique_ptr<Objective>> out;
  out.push_back(std::make_unique<RiverValley>(0.05, 1.0, 1.0));
  out.push_back(std::make_unique<RiverValley>(2.0, 0.5, 3.0));
  out.push_back(std::make_unique<RiverValley>(0.3, 1.0, 2.0, Eigen::VectorXd::Constant(5, 0.7)));
  out.push_back(std::make_unique<CoshValley>(1.5, 0.7, 3, Eigen::VectorXd()));
  out.push_back(std::make_unique<SpeedupInstance>(1.0, 1.0, 6, 0.25, 0.25, 1e-3, 100));
  out.push_back(std::make_unique<FeedForwardStandIn>(2, 0.1, Eigen::VectorXd()));
  out.push_back(std::make_unique<FeedForwardStandIn>(4, 0.05, Eigen::VectorXd()));
  out.push_back(std::make_unique<RecurrentStandIn>(3, 0.1, Eigen::Vector3d(0.5, 1, 1)));
  out.push_back(std::make_unique<RecurrentStandIn>(5, 0.2, Eigen::Vector3d(0.5, 1, 1)));
  return out;
}

TEST(ObjectiveTest, GradientMatchesCentralDifferences) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  for (const auto& f : Objectives()) {
    for (int trial = 0; trial < 50; ++trial) {
      Eigen::VectorXd w(f->Dim());
      for (Eigen::Index i = 0; i < w.size(); ++i) w[i] = u(rng);
      Eigen::VectorXd g(f->Dim());
      f->ValueAndGradient(w, &g);
      const Eigen::VectorXd num = NumericGradient(*f, w, 1e-6);
      EXPECT_LE((g - num).norm(), 1e-6 * (1.0 + g.norm())) << f->Name();
    }
  }
}

TEST(ObjectiveTest, HessianNormMatchesDifferencesOfGradients) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  for (const auto& f : Objectives()) {
    for (int trial = 0; trial < 20; ++trial) {
      Eigen::VectorXd w(f->Dim());
      for (Eigen::Index i = 0; i < w.size(); ++i) w[i] = u(rng);
      const double exact = f->HessianNorm(w);
      EXPECT_NEAR(exact, NumericHessianNorm(*f, w, 1e-5), 1e-5 * (1 + exact))
          << f->Name();
    }
  }
}

TEST(ObjectiveTest, DefinitionOneHoldsAtRandomPoints) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n(0.0, 5.0);
  double worst = INFINITY;
  for (const auto& f : Objectives()) {
    const GapSmoothness s = f->Smoothness();
    for (int trial = 0; trial < 2000; ++trial) {
      Eigen::VectorXd w(f->Dim());
      for (Eigen::Index i = 0; i < w.size(); ++i) w[i] = n(rng);
      const double gap = f->Value(w) - f->OptimalValue();
      const double bound = CurvatureBound(s, gap);
      const double h = f->HessianNorm(w);
      if (!std::isfinite(h)) continue;
      worst = std::min(worst, (bound - h) / bound);
      EXPECT_LE(h, bound * (1 + 1e-12)) << f->Name();
    }
  }
  std::printf("worst relative slack of Definition 1: %.3g\n", worst);
}

TEST(PatelStandInTest, OptimalValueIsAMinimum) {
  // f* from the balanced reduction is <= f at random points, and GD from
  // the default start gets within 1e-9 of it without going below.
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n(0.0, 1.0);
  for (const auto& f : Objectives()) {
    if (f->OptimalValue() == 0.0) continue;
    for (int i = 0; i < 1000; ++i) {
      Eigen::VectorXd w(f->Dim());
      for (Eigen::Index k = 0; k < w.size(); ++k) w[k] = n(rng);
      EXPECT_GE(f->Value(w), f->OptimalValue() - 1e-12) << f->Name();
    }
  }
}

TEST(PatelStandInTest, WithoutWeightDecayTheHessianOutgrowsTheGap) {
  // Along w = (t, 1/t) the loss without weight decay is 0 while the Hessian
  // grows like t^2: no (rho, K0, Krho) covers it. Weight decay restores it.
  FeedForwardStandIn plain(2, 1e-12, Eigen::VectorXd());
  Eigen::VectorXd w(2);
  w << 1e3, 1e-3;
  EXPECT_LT(plain.Value(w), 1e-5);
  EXPECT_GT(plain.HessianNorm(w), 1e5);
}

// The fused step of each objective against the base class's four passes.
TEST(ObjectiveTest, FusedStepMatchesStepThenEvaluate) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  auto objectives = Objectives();
  for (int d : {2, 9, 17, 1001}) {  // vector body, tail, both
    objectives.push_back(
        std::make_unique<RiverValley>(0.3, 1.0, 2.0, Eigen::VectorXd::Constant(d, 0.7)));
  }
  for (const auto& f : objectives) {
    Eigen::VectorXd w(f->Dim()), g(f->Dim());
    for (Eigen::Index i = 0; i < w.size(); ++i) w[i] = u(rng);
    f->ValueAndGradient(w, &g);
    Eigen::VectorXd w2 = w, g2 = g;
    double norm_sq = 0, norm_sq2 = 0;
    const double value = f->StepValueAndGradient(0.01, &w, &g, &norm_sq);
    const double value2 = f->Objective::StepValueAndGradient(0.01, &w2, &g2, &norm_sq2);
    EXPECT_NEAR(value, value2, 1e-13 * std::abs(value2)) << f->Name() << " d=" << f->Dim();
    EXPECT_NEAR(norm_sq, norm_sq2, 1e-13 * norm_sq2) << f->Name();
    EXPECT_LE((w - w2).norm(), 1e-15 * w2.norm()) << f->Name();
    EXPECT_LE((g - g2).norm(), 1e-13 * g2.norm()) << f->Name();
  }
}

TEST(RiverValleyTest, NotGloballySmooth) {
  RiverValley f(0.05, 1.0, 1.0);
  Eigen::VectorXd far(2);
  far << 1000.0, 0.0;
  EXPECT_GT(f.HessianNorm(far), 1e4);  // valley curvature lambda1 mu x^2 / 2
}

// Definition 1 with K1 = lambda1 (max(1, mu/lambda0) + sqrt(mu/lambda0)) on
// rays through the origin at every angle, densest around the AM-GM equality
// line |y| = sqrt(mu/lambda0) |x| (where the cross-term bound is tight) and
// along the river (where the ratio (||H|| - K0) / f tends to lambda1), at
// radii from 1e-3 to 1e4. Prints the worst relative slack and the largest
// measured (||H|| - K0) / f against K1.
TEST(RiverValleyTest, TightenedK1HoldsNearTheWorstDirection) {
  struct Params { double mu, lambda0, lambda1; };
  for (const Params p : {Params{0.05, 1.0, 1.0}, Params{2.0, 0.5, 3.0},
                         Params{0.3, 1.0, 2.0}, Params{1.0, 1.0, 1.0}}) {
    RiverValley f(p.mu, p.lambda0, p.lambda1);
    const GapSmoothness s = f.Smoothness();
    const double ratio = p.mu / p.lambda0;
    EXPECT_DOUBLE_EQ(s.krho, p.lambda1 * (std::max(1.0, ratio) + std::sqrt(ratio)));
    const double am_gm_angle = std::atan(std::sqrt(ratio));
    std::vector<double> angles;
    for (int k = 0; k <= 2000; ++k) angles.push_back(M_PI * k / 2000.0);
    for (int k = -200; k <= 200; ++k) angles.push_back(am_gm_angle * (1.0 + k * 1e-3));
    for (int k = 0; k <= 200; ++k) angles.push_back(k * 1e-6);
    double worst_slack = INFINITY, sup_ratio = 0.0;
    int points = 0, violations = 0;
    Eigen::VectorXd worst_point(2);
    for (double angle : angles) {
      for (double radius = 1e-3; radius <= 1e4; radius *= 1.2) {
        Eigen::VectorXd w(2);
        w << radius * std::cos(angle), radius * std::sin(angle);
        const double gap = f.Value(w);
        const double h = f.HessianNorm(w);
        const double bound = CurvatureBound(s, gap);
        ASSERT_TRUE(std::isfinite(h) && std::isfinite(bound));
        // Rule: exact up to rounding of the eigenvalue solve (1e-12 relative).
        if (h > bound * (1 + 1e-12)) ++violations;
        if ((bound - h) / bound < worst_slack) {
          worst_slack = (bound - h) / bound;
          worst_point = w;
        }
        if (gap > 0) sup_ratio = std::max(sup_ratio, (h - s.k0) / gap);
        ++points;
      }
    }
    EXPECT_EQ(violations, 0) << "mu " << p.mu << ": worst at (" << worst_point[0] << ", "
                             << worst_point[1] << "), relative slack " << worst_slack;
    // The river y = 0 far out has ||H|| = lambda0 + lambda1 f (mu < lambda0),
    // so no K1 below lambda1 holds: the measured ratio must reach it.
    EXPECT_GE(sup_ratio, p.lambda1 * (1 - 1e-3)) << "mu " << p.mu;
    std::printf("river valley mu %g lambda0 %g lambda1 %g: %d points, worst relative slack %.3g, "
                "sup (||H|| - K0) / f = %.4f against K1 = %.4f\n",
                p.mu, p.lambda0, p.lambda1, points, worst_slack, sup_ratio, s.krho);
  }
}

TEST(SpeedupInstanceTest, InitialPointMatchesItsDefinition) {
  const int64_t horizon = 1000;
  SpeedupInstance f(1.0, 1.0, 50, 0.25, 0.25, 1e-6, horizon);
  Eigen::VectorXd w = f.InitialPoint();
  EXPECT_NEAR(f.Value(w), 0.25 + f.InitialH(), 1e-12);
  // eta_bar(y_0) k0 T = beta.
  EXPECT_NEAR(f.LargestStableStepAtInit() * 1.0 * horizon, 0.25, 1e-9);
}

TEST(CoshBlockTest, LargestStableStepIsTheEdge) {
  CoshBlock h{1.0, 2.0};
  const double y = 3.0;
  const double eta = h.LargestStableStep(y);
  EXPECT_NEAR(std::abs(y - eta * h.Derivative(y)), y, 1e-9);  // lands on -y
}

TEST(MakeObjectiveTest, RejectsBadParameters) {
  spec::Problem p;
  EXPECT_FALSE(ValidateSyntheticProblem(p).ok());
  p.mutable_river_valley()->set_mu(-1.0);
  const absl::Status st = ValidateSyntheticProblem(p);
  EXPECT_NE(st.message().find("problem.river_valley.mu"), std::string::npos) << st;
  p.mutable_river_valley()->set_mu(1.0);
  p.mutable_river_valley()->set_lambda0(1.0);
  p.mutable_river_valley()->set_lambda1(1.0);
  EXPECT_TRUE(ValidateSyntheticProblem(p).ok());
  p.add_init(1.0);
  EXPECT_NE(ValidateSyntheticProblem(p).message().find("expected 2"),
            std::string::npos);
}

}  // namespace
}  // namespace warmup
