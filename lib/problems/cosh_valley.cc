#include "lib/problems/cosh_valley.h"

#include <cmath>

namespace warmup {

double CoshBlock::Value(double y) const {
  // cosh(u) - 1 = 2 sinh(u/2)^2 keeps precision near 0.
  const double s = std::sinh(0.5 * std::sqrt(k1) * y);
  return (k0 / k1) * 2.0 * s * s;
}

double CoshBlock::Derivative(double y) const {
  return (k0 / std::sqrt(k1)) * std::sinh(std::sqrt(k1) * y);
}

double CoshBlock::Curvature(double y) const {
  return k0 * std::cosh(std::sqrt(k1) * y);
}

double CoshBlock::LargestStableStep(double y) const {
  const double u = std::sqrt(k1) * std::abs(y);
  if (u < 1e-8) return 2.0 / k0;  // limit of 2u / (k0 sinh u)
  return 2.0 * u / (k0 * std::sinh(u));
}

CoshValley::CoshValley(double k0, double k1, int dim, Eigen::VectorXd init)
    : block_{k0, k1}, init_(std::move(init)) {
  if (init_.size() == 0) init_ = Eigen::VectorXd::Constant(dim, 1.0);
}

double CoshValley::ValueAndGradient(const Eigen::VectorXd& w,
                                    Eigen::VectorXd* grad) const {
  double f = 0.0;
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    f += block_.Value(w[i]);
    (*grad)[i] = block_.Derivative(w[i]);
  }
  return f;
}

double CoshValley::HessianNorm(const Eigen::VectorXd& w) const {
  return block_.Curvature(w.cwiseAbs().maxCoeff());
}

}  // namespace warmup
