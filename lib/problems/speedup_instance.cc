#include "lib/problems/speedup_instance.h"

#include <algorithm>
#include <cmath>

namespace warmup {
namespace {

// Solves 2u / sinh(u) = target for u >= 0 by bisection (the left side falls
// from 2 at u = 0 to 0); target >= 2 gives u = 0.
double SolveStableStep(double target) {
  if (target >= 2.0) return 0.0;
  double lo = 0.0, hi = 1.0;
  while (2.0 * hi / std::sinh(hi) > target) hi *= 2.0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (2.0 * mid / std::sinh(mid) > target) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

SpeedupInstance::SpeedupInstance(double k0, double k1, int dim, double q0,
                                 double beta, double min_eig_ratio,
                                 int64_t horizon)
    : block_{k0, k1}, dim_(dim), q0_(q0), lambda_(dim) {
  for (int i = 0; i < dim; ++i) {
    const double frac = dim > 1 ? static_cast<double>(i) / (dim - 1) : 0.0;
    lambda_[i] = k0 * std::pow(min_eig_ratio, frac);
  }
  // eta_bar(y) k0 = 2u / sinh(u) with u = sqrt(k1) y.
  const double u0 = SolveStableStep(beta / static_cast<double>(horizon));
  y0_ = u0 / std::sqrt(k1);
}

Eigen::VectorXd SpeedupInstance::InitialPoint() const {
  Eigen::VectorXd w(dim_ + 1);
  w.head(dim_).setConstant(std::sqrt(2.0 * q0_ / lambda_.sum()));
  w[dim_] = y0_;
  return w;
}

double SpeedupInstance::ValueAndGradient(const Eigen::VectorXd& w,
                                         Eigen::VectorXd* grad) const {
  const auto x = w.head(dim_);
  grad->head(dim_) = lambda_.cwiseProduct(x);
  const double y = w[dim_];
  (*grad)[dim_] = block_.Derivative(y);
  return 0.5 * x.dot(grad->head(dim_)) + block_.Value(y);
}

double SpeedupInstance::HessianNorm(const Eigen::VectorXd& w) const {
  return std::max(lambda_[0], block_.Curvature(w[dim_]));
}

double SpeedupInstance::LargestStableStepAtInit() const {
  return block_.LargestStableStep(y0_);
}

}  // namespace warmup
