#ifndef WARMUP_LIB_PROBLEMS_RIVER_VALLEY_H_
#define WARMUP_LIB_PROBLEMS_RIVER_VALLEY_H_

#include "lib/problems/objective.h"

namespace warmup {

// The river valley of Figure 2 (this project's construction):
//   f(x, y) = r(x) + (lambda0 + lambda1 r(x)) ||y||^2 / 2,  r(x) = mu x^2 / 2,
// with y in R^(d-1) (d = 2 for the figure; larger d for benchmarks).
// The river (y = 0) is flat with curvature mu; the valley across it has
// curvature lambda0 + lambda1 r(x), which grows with the suboptimality, so no
// small global L bounds the Hessian. (1, K0, K1)-smooth with
// K0 = max(mu, lambda0), K1 = lambda1 (max(1, mu/lambda0) + sqrt(mu/lambda0)).
class RiverValley : public Objective {
 public:
  RiverValley(double mu, double lambda0, double lambda1,
              Eigen::VectorXd init = Eigen::Vector2d(40.0, 0.5));
  std::string Name() const override { return "river_valley"; }
  int Dim() const override { return static_cast<int>(init_.size()); }
  double ValueAndGradient(const Eigen::VectorXd& w,
                          Eigen::VectorXd* grad) const override;
  // One pass over w and grad: the gradient across the river is
  // (lambda0 + lambda1 r(x)) y, so it is recomputed as each y_i is updated.
  double StepValueAndGradient(double lr, Eigen::VectorXd* w,
                              Eigen::VectorXd* grad,
                              double* grad_norm_sq) const override;
  double HessianNorm(const Eigen::VectorXd& w) const override;
  Eigen::VectorXd InitialPoint() const override { return init_; }
  GapSmoothness Smoothness() const override;
  // The Hessian restricted to span{e_x, y / ||y||}; every other direction has
  // curvature lambda0 + lambda1 r(x).
  Eigen::Matrix2d Hessian(const Eigen::VectorXd& w) const;

 private:
  double mu_, lambda0_, lambda1_;
  Eigen::VectorXd init_;
};

}  // namespace warmup

#endif  // WARMUP_LIB_PROBLEMS_RIVER_VALLEY_H_
