#include "lib/problems/river_valley.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Eigenvalues>

namespace warmup {

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
  const double ratio = mu_ / lambda0_;
  return GapSmoothness{
      1.0, std::max(mu_, lambda0_),
      lambda1_ * (std::max(1.0, ratio) + 2.0 * std::sqrt(ratio))};
}

}  // namespace warmup
