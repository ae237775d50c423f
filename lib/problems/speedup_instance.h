#ifndef WARMUP_LIB_PROBLEMS_SPEEDUP_INSTANCE_H_
#define WARMUP_LIB_PROBLEMS_SPEEDUP_INSTANCE_H_

#include <cstdint>

#include "lib/problems/cosh_valley.h"
#include "lib/problems/objective.h"

namespace warmup {

// The instance f_T of the speed-up statements (docs/theory.md, R-Theorems 3
// and 4), indexed by the horizon T: f(w, y) = q(w) + h(y) with
//   q(w) = sum_i lambda_i w_i^2 / 2, lambda_i log-spaced from k0 down to
//   r k0 (r = min_eig_ratio), every w_i(0) equal and q(w(0)) = q0. The
//   weight lambda_i w_i^2 / 2 of coordinate i is then proportional to
//   lambda_i, and GD with a step that settles at eta leaves
//   q(w_T) ~ q0 / (2 eta k0 (1 - r) T) for 1 << eta k0 T << 1 / r: a
//   sublinear rate (held to a run at T = 10^4 by
//   //tests/claims:speedup_rate_test).
//   h(y) = the cosh block (k0, k1), started at y_0 where its largest stable
//   step eta_bar(y_0) satisfies eta_bar k0 T = beta.
// Coordinates: w in [0, dim), y last. (1, k0, k1)-smooth.
class SpeedupInstance : public Objective {
 public:
  SpeedupInstance(double k0, double k1, int dim, double q0, double beta,
                  double min_eig_ratio, int64_t horizon);
  std::string Name() const override { return "speedup_instance"; }
  int Dim() const override { return dim_ + 1; }
  double ValueAndGradient(const Eigen::VectorXd& w,
                          Eigen::VectorXd* grad) const override;
  double HessianNorm(const Eigen::VectorXd& w) const override;
  Eigen::VectorXd InitialPoint() const override;
  GapSmoothness Smoothness() const override {
    return GapSmoothness{1.0, block_.k0, block_.k1};
  }
  // y_0, eta_bar(y_0), q0 and h(y_0), for the lower-bound claims
  // (R-Proposition 2).
  double InitialY() const { return y0_; }
  double LargestStableStepAtInit() const;
  double InitialQ() const { return q0_; }
  double InitialH() const { return block_.Value(y0_); }

 private:
  CoshBlock block_;
  int dim_;
  double q0_;
  double y0_;
  Eigen::VectorXd lambda_;
};

}  // namespace warmup

#endif  // WARMUP_LIB_PROBLEMS_SPEEDUP_INSTANCE_H_
