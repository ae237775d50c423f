#include "lib/curvature/envelope_fit.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace warmup {
namespace {

// Samples s = (K0 + Krho g^rho) * u with u in [0.5, 1] and u = 1 at a few
// points spread over the range, so the true envelope is attained.
void Sample(double rho, double k0, double krho, int n, uint64_t seed,
            std::vector<double>* g, std::vector<double>* s) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> logg(std::log(1e-2), std::log(1e2)), u(0.5, 1.0);
  for (int i = 0; i < n; ++i) {
    const double gap = std::exp(logg(rng));
    g->push_back(gap);
    s->push_back((k0 + krho * std::pow(gap, rho)) * (i % 10 == 0 ? 1.0 : u(rng)));
  }
}

TEST(EnvelopeFitTest, RecoversKnownConstants) {
  // Tolerance: with the envelope attained at every tenth point the fit is
  // exact up to the rho grid step (0.01); 2% on rho and 10% on the
  // constants cover that step over gaps spanning four decades.
  for (auto [rho, k0, krho] : {std::tuple{0.5, 2.0, 3.0}, std::tuple{1.0, 1.0, 0.5},
                               std::tuple{1.5, 10.0, 0.2}}) {
    std::vector<double> g, s;
    Sample(rho, k0, krho, 300, 1, &g, &s);
    EnvelopeOptions o;
    o.bootstrap = 50;
    auto fit = FitEnvelope(g, s, o);
    ASSERT_TRUE(fit.ok()) << fit.status();
    EXPECT_NEAR(fit->rho, rho, 0.02 * rho);
    EXPECT_NEAR(fit->k0, k0, 0.1 * k0);
    EXPECT_NEAR(fit->krho, krho, 0.1 * krho);
    EXPECT_EQ(fit->covered, fit->points);
    EXPECT_LE(fit->rho_ci.lo, fit->rho + 1e-9);
    EXPECT_GE(fit->rho_ci.hi, fit->rho - 1e-9);
    EXPECT_GT(fit->spearman, 0.5);
  }
}

TEST(EnvelopeFitTest, CoverageDropsOutliers) {
  std::vector<double> g, s;
  Sample(1.0, 1.0, 0.5, 200, 2, &g, &s);
  g.push_back(1.0);
  s.push_back(1000.0);  // one wild point
  EnvelopeOptions all;
  all.bootstrap = 0;
  EnvelopeOptions most = all;
  most.coverage = 0.99;
  auto a = FitEnvelope(g, s, all);
  auto b = FitEnvelope(g, s, most);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->covered, a->points);
  EXPECT_NEAR(b->k0 + b->krho, 1.5, 0.15);  // the envelope at gap 1 without it
  EXPECT_LT(b->covered, b->points);
}

TEST(EnvelopeFitTest, RejectsBadInput) {
  EnvelopeOptions o;
  EXPECT_FALSE(FitEnvelope({1, 2}, {1, 2}, o).ok());
  EXPECT_FALSE(FitEnvelope({1, 2, 3}, {1, 2}, o).ok());
  auto bad = FitEnvelope({1, 0, 3}, {1, 2, 3}, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("pair 1"), std::string::npos);
  EXPECT_FALSE(FitEnvelope({1, 2, 3}, {1, std::nan(""), 3}, o).ok());
}

TEST(SpearmanTest, MonotoneAndTies) {
  EXPECT_DOUBLE_EQ(SpearmanCorrelation({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(SpearmanCorrelation({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  EXPECT_NEAR(SpearmanCorrelation({1, 1, 2, 3}, {1, 2, 3, 4}), 0.9487, 1e-4);
}

}  // namespace
}  // namespace warmup
