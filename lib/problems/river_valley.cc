#include "lib/problems/river_valley.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Eigenvalues>

namespace warmup {
namespace {

// Four doubles at any 8-byte alignment, aliasing double. GCC lowers the
// arithmetic to AVX2 or SSE2 lane by lane, so the clone that runs does not
// change the result.
typedef double Lanes
    __attribute__((vector_size(32), aligned(8), may_alias));

// y -= lr * g, then g = valley * y; returns ||y||^2 summed in a fixed order
// (eight partial sums), so every instruction set gives the same bits. No FMA
// clone: a fused multiply-add would round differently.
__attribute__((target_clones("avx2", "default"))) double StepAcrossRiver(
    double lr, double valley, double* y, double* g, int64_t n) {
  Lanes sum0 = {0.0, 0.0, 0.0, 0.0}, sum1 = sum0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    Lanes* y0 = reinterpret_cast<Lanes*>(y + i);
    Lanes* y1 = reinterpret_cast<Lanes*>(y + i + 4);
    Lanes* g0 = reinterpret_cast<Lanes*>(g + i);
    Lanes* g1 = reinterpret_cast<Lanes*>(g + i + 4);
    const Lanes a = *y0 - lr * *g0, b = *y1 - lr * *g1;
    *y0 = a;
    *y1 = b;
    *g0 = valley * a;
    *g1 = valley * b;
    sum0 += a * a;
    sum1 += b * b;
  }
  double tail = 0.0;
  for (; i < n; ++i) {
    y[i] -= lr * g[i];
    g[i] = valley * y[i];
    tail += y[i] * y[i];
  }
  const Lanes sum = sum0 + sum1;
  return ((sum[0] + sum[1]) + (sum[2] + sum[3])) + tail;
}

}  // namespace

RiverValley::RiverValley(double mu, double lambda0, double lambda1,
                         Eigen::VectorXd init)
    : mu_(mu), lambda0_(lambda0), lambda1_(lambda1), init_(std::move(init)) {}

double RiverValley::ValueAndGradient(const Eigen::VectorXd& w,
                                     Eigen::VectorXd* grad) const {
  const double x = w[0];
  const auto y = w.tail(w.size() - 1);
  const double y_sq = y.squaredNorm();
  const double r = 0.5 * mu_ * x * x;
  const double valley = lambda0_ + lambda1_ * r;
  (*grad)[0] = mu_ * x * (1.0 + 0.5 * lambda1_ * y_sq);
  grad->tail(w.size() - 1).noalias() = valley * y;
  return r + 0.5 * valley * y_sq;
}

double RiverValley::StepValueAndGradient(double lr, Eigen::VectorXd* w,
                                         Eigen::VectorXd* grad,
                                         double* grad_norm_sq) const {
  const double x = (*w)[0] - lr * (*grad)[0];
  (*w)[0] = x;
  const double r = 0.5 * mu_ * x * x;
  const double valley = lambda0_ + lambda1_ * r;
  const double y_sq = StepAcrossRiver(lr, valley, w->data() + 1,
                                      grad->data() + 1, w->size() - 1);
  (*grad)[0] = mu_ * x * (1.0 + 0.5 * lambda1_ * y_sq);
  *grad_norm_sq = (*grad)[0] * (*grad)[0] + valley * valley * y_sq;
  return r + 0.5 * valley * y_sq;
}

Eigen::Matrix2d RiverValley::Hessian(const Eigen::VectorXd& w) const {
  const double x = w[0], y = w.tail(w.size() - 1).norm();
  Eigen::Matrix2d h;
  h(0, 0) = mu_ * (1.0 + 0.5 * lambda1_ * y * y);
  h(0, 1) = h(1, 0) = lambda1_ * mu_ * x * y;
  h(1, 1) = lambda0_ + lambda1_ * 0.5 * mu_ * x * x;
  return h;
}

double RiverValley::HessianNorm(const Eigen::VectorXd& w) const {
  const Eigen::Vector2d ev =
      Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d>(Hessian(w),
                                                     Eigen::EigenvaluesOnly)
          .eigenvalues();
  const double rest = w.size() > 2 ? lambda0_ + lambda1_ * 0.5 * mu_ * w[0] * w[0] : 0.0;
  return std::max({std::abs(ev[0]), std::abs(ev[1]), rest});
}

GapSmoothness RiverValley::Smoothness() const {
  // Gershgorin on the Hessian's rows with f >= r, f >= lambda0 y^2 / 2 and,
  // by AM-GM, f >= mu x^2 / 2 + lambda0 y^2 / 2 >= sqrt(mu lambda0) |x y|
  // (docs/theory.md, Section 9).
  const double ratio = mu_ / lambda0_;
  return GapSmoothness{
      1.0, std::max(mu_, lambda0_),
      lambda1_ * (std::max(1.0, ratio) + std::sqrt(ratio))};
}

}  // namespace warmup
