#ifndef WARMUP_LIB_PROBLEMS_COSH_VALLEY_H_
#define WARMUP_LIB_PROBLEMS_COSH_VALLEY_H_

#include "lib/problems/objective.h"

namespace warmup {

// h(y) = (k0 / k1)(cosh(sqrt(k1) y) - 1): h'' = k0 + k1 h exactly, the
// one-dimensional function on which Definition 1 (rho = 1) is tight.
struct CoshBlock {
  double k0 = 1.0;
  double k1 = 1.0;
  double Value(double y) const;
  double Derivative(double y) const;
  double Curvature(double y) const;  // h''(y) = k0 cosh(sqrt(k1) y)
  // The largest step that does not increase |y| from y: 2 y / h'(y).
  double LargestStableStep(double y) const;
};

// f(w) = sum_i h(w_i): separable, (1, k0, k1)-smooth since ||H|| =
// max_i h''(w_i) = k0 + k1 max_i h(w_i) <= k0 + k1 f.
class CoshValley : public Objective {
 public:
  CoshValley(double k0, double k1, int dim, Eigen::VectorXd init);
  std::string Name() const override { return "cosh_valley"; }
  int Dim() const override { return static_cast<int>(init_.size()); }
  double ValueAndGradient(const Eigen::VectorXd& w,
                          Eigen::VectorXd* grad) const override;
  double HessianNorm(const Eigen::VectorXd& w) const override;
  Eigen::VectorXd InitialPoint() const override { return init_; }
  GapSmoothness Smoothness() const override {
    return GapSmoothness{1.0, block_.k0, block_.k1};
  }

 private:
  CoshBlock block_;
  Eigen::VectorXd init_;
};

}  // namespace warmup

#endif  // WARMUP_LIB_PROBLEMS_COSH_VALLEY_H_
