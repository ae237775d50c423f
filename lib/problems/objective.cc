#include "lib/problems/objective.h"

namespace warmup {

double Objective::Value(const Eigen::VectorXd& w) const {
  Eigen::VectorXd grad(Dim());
  return ValueAndGradient(w, &grad);
}

}  // namespace warmup
