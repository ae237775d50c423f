#include "lib/problems/objective.h"

namespace warmup {

double Objective::Value(const Eigen::VectorXd& w) const {
  Eigen::VectorXd grad(Dim());
  return ValueAndGradient(w, &grad);
}

double Objective::StepValueAndGradient(double lr, Eigen::VectorXd* w,
                                      Eigen::VectorXd* grad,
                                      double* grad_norm_sq) const {
  w->noalias() -= lr * *grad;
  const double value = ValueAndGradient(*w, grad);
  *grad_norm_sq = grad->squaredNorm();
  return value;
}

}  // namespace warmup
