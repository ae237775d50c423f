#include "lib/problems/patel_examples.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <Eigen/Eigenvalues>

namespace warmup {
namespace {

// Minimum of a continuous function on [lo, hi]: a grid of 20001 points, then
// golden-section refinement around the best one.
double MinimizeOnInterval(const std::function<double(double)>& g, double lo,
                          double hi) {
  const int n = 20000;
  int best = 0;
  double best_value = g(lo);
  for (int i = 1; i <= n; ++i) {
    const double v = g(lo + (hi - lo) * i / n);
    if (v < best_value) {
      best_value = v;
      best = i;
    }
  }
  double a = lo + (hi - lo) * std::max(best - 1, 0) / n;
  double b = lo + (hi - lo) * std::min(best + 1, n) / n;
  const double r = (std::sqrt(5.0) - 1) / 2;
  for (int i = 0; i < 100; ++i) {
    const double x1 = b - r * (b - a), x2 = a + r * (b - a);
    if (g(x1) < g(x2)) b = x2; else a = x1;
  }
  return std::min(best_value, g(0.5 * (a + b)));
}

// Lemma: if ||H|| <= A0 + A1 F^rho and f* <= fstar_max, then with
// F = gap + f*, ||H|| <= K0 + Krho gap^rho where
// K0 = A0 + A1 2^((rho-1)+) fstar_max^rho, Krho = A1 2^((rho-1)+).
GapSmoothness FromValueBound(double a0, double a1, double rho, double fstar_max) {
  const double split = std::pow(2.0, std::max(rho - 1.0, 0.0));
  return GapSmoothness{rho, a0 + a1 * split * std::pow(fstar_max, rho), a1 * split};
}

}  // namespace

FeedForwardStandIn::FeedForwardStandIn(int depth, double lambda,
                                       Eigen::VectorXd init)
    : depth_(depth), lambda_(lambda), init_(std::move(init)) {
  if (init_.size() == 0) init_ = Eigen::VectorXd::Constant(depth, 2.0);
  // Balanced weights s >= 0: F = (s^L - 1)^2 / 2 + lambda L s^2 / 2.
  f_star_ = MinimizeOnInterval(
      [&](double s) {
        const double p = std::pow(s, depth_) - 1.0;
        return 0.5 * p * p + 0.5 * lambda_ * depth_ * s * s;
      },
      0.0, 1.5);
}

double FeedForwardStandIn::ValueAndGradient(const Eigen::VectorXd& w,
                                            Eigen::VectorXd* grad) const {
  // prefix[i] = prod_{k<i} w_k, suffix[i] = prod_{k>=i} w_k.
  Eigen::VectorXd prefix(depth_ + 1), suffix(depth_ + 1);
  prefix[0] = 1.0;
  suffix[depth_] = 1.0;
  for (int i = 0; i < depth_; ++i) prefix[i + 1] = prefix[i] * w[i];
  for (int i = depth_ - 1; i >= 0; --i) suffix[i] = suffix[i + 1] * w[i];
  const double z = prefix[depth_] - 1.0;
  for (int i = 0; i < depth_; ++i) {
    (*grad)[i] = z * prefix[i] * suffix[i + 1] + lambda_ * w[i];
  }
  return 0.5 * z * z + 0.5 * lambda_ * w.squaredNorm();
}

Eigen::MatrixXd FeedForwardStandIn::Hessian(const Eigen::VectorXd& w) const {
  auto product_except = [&](int i, int j) {
    double p = 1.0;
    for (int k = 0; k < depth_; ++k) {
      if (k != i && k != j) p *= w[k];
    }
    return p;
  };
  const double z = product_except(-1, -1) - 1.0;
  Eigen::MatrixXd h(depth_, depth_);
  for (int i = 0; i < depth_; ++i) {
    for (int j = 0; j < depth_; ++j) {
      const double pi = product_except(i, -1), pj = product_except(j, -1);
      h(i, j) = i == j ? pi * pi + lambda_ : pi * pj + z * product_except(i, j);
    }
  }
  return h;
}

double FeedForwardStandIn::HessianNorm(const Eigen::VectorXd& w) const {
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(Hessian(w),
                                                        Eigen::EigenvaluesOnly)
      .eigenvalues()
      .cwiseAbs()
      .maxCoeff();
}

GapSmoothness FeedForwardStandIn::Smoothness() const {
  // ||H|| <= lambda + a1 F^rho + a2 F^(rho/2) <= (lambda + a2) + (a1 + a2) F^rho
  // with rho = L - 1 (docs/theory.md, "Example 2 stand-in").
  const double l = depth_, rho = l - 1.0;
  const double a1 = l * std::pow(2.0 / lambda_, rho);
  const double a2 = std::sqrt(l * (l - 1.0)) * std::pow(2.0, rho / 2.0) *
                    std::pow(lambda_, -(l - 2.0) / 2.0);
  return FromValueBound(lambda_ + a2, a1 + a2, rho, 0.5);
}

RecurrentStandIn::RecurrentStandIn(int steps, double lambda,
                                   Eigen::Vector3d init)
    : steps_(steps), lambda_(lambda), init_(init) {
  // With |b| = |c| = s and t = s^2, F = (t |G| - 1)^2 / 2 + lambda a^2 / 2 +
  // lambda t, minimised over t >= 0 at t = max(|G| - lambda, 0) / G^2.
  f_star_ = MinimizeOnInterval(
      [&](double a) {
        double g = 0.0, power = 1.0;
        for (int k = 0; k < steps_; ++k, power *= a) g += power;
        g = std::abs(g);
        const double t = g > lambda_ ? (g - lambda_) / (g * g) : 0.0;
        const double z = t * g - 1.0;
        return 0.5 * z * z + 0.5 * lambda_ * a * a + lambda_ * t;
      },
      -2.0, 2.0);
}

namespace {

// G(a), G'(a), G''(a) for G(a) = sum_{k<S} a^k.
void Geometric(int steps, double a, double* g0, double* g1, double* g2) {
  *g0 = *g1 = *g2 = 0.0;
  for (int k = 0; k < steps; ++k) {
    *g0 += std::pow(a, k);
    if (k >= 1) *g1 += k * std::pow(a, k - 1);
    if (k >= 2) *g2 += k * (k - 1) * std::pow(a, k - 2);
  }
}

}  // namespace

double RecurrentStandIn::ValueAndGradient(const Eigen::VectorXd& w,
                                          Eigen::VectorXd* grad) const {
  const double a = w[0], b = w[1], c = w[2];
  double g0, g1, g2;
  Geometric(steps_, a, &g0, &g1, &g2);
  const double z = c * b * g0 - 1.0;
  (*grad)[0] = z * c * b * g1 + lambda_ * a;
  (*grad)[1] = z * c * g0 + lambda_ * b;
  (*grad)[2] = z * b * g0 + lambda_ * c;
  return 0.5 * z * z + 0.5 * lambda_ * w.squaredNorm();
}

Eigen::Matrix3d RecurrentStandIn::Hessian(const Eigen::VectorXd& w) const {
  const double a = w[0], b = w[1], c = w[2];
  double g0, g1, g2;
  Geometric(steps_, a, &g0, &g1, &g2);
  const double z = c * b * g0 - 1.0;
  // H = grad(phi) grad(phi)^T + z Hess(phi) + lambda I with phi = c b G(a).
  const Eigen::Vector3d dphi(c * b * g1, c * g0, b * g0);
  Eigen::Matrix3d hphi;
  hphi << c * b * g2, c * g1, b * g1,
          c * g1, 0.0, g0,
          b * g1, g0, 0.0;
  return dphi * dphi.transpose() + z * hphi + lambda_ * Eigen::Matrix3d::Identity();
}

double RecurrentStandIn::HessianNorm(const Eigen::VectorXd& w) const {
  return Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d>(Hessian(w),
                                                        Eigen::EigenvaluesOnly)
      .eigenvalues()
      .cwiseAbs()
      .maxCoeff();
}

GapSmoothness RecurrentStandIn::Smoothness() const {
  // ||H|| <= lambda + alpha M^(2S) + beta sqrt(2F) M^(S-1) with
  // M = max(1, ||w||) and M^2 <= m = 1 + 2F / lambda, sqrt(2F) <= sqrt(lambda m):
  // ||H|| <= lambda + (alpha + beta sqrt(lambda)) m^S
  //       <= lambda + gamma 2^(S-1) + gamma 2^(S-1) (2 / lambda)^S F^S.
  const double s = steps_;
  const double alpha = std::pow(s * (s - 1) / 2, 2) + 2 * s * s;
  const double beta = s * (s - 1) * (s - 2) / 3 + s * (s - 1) + std::sqrt(2.0) * s;
  const double gamma = (alpha + beta * std::sqrt(lambda_)) * std::pow(2.0, s - 1);
  return FromValueBound(lambda_ + gamma, gamma * std::pow(2.0 / lambda_, s), s, 0.5);
}

}  // namespace warmup
