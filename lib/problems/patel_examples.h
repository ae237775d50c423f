#ifndef WARMUP_LIB_PROBLEMS_PATEL_EXAMPLES_H_
#define WARMUP_LIB_PROBLEMS_PATEL_EXAMPLES_H_

#include "lib/problems/objective.h"

namespace warmup {

// Stand-in for Example 2 (a multi-layer feed-forward network, after Patel,
// Zhang and Tian 2022): a depth-L scalar linear network fitting y = 1 from
// x = 1 with weight decay,
//   F(w) = (prod_i w_i - 1)^2 / 2 + (lambda / 2) ||w||^2.
// Without weight decay it is not (rho, K0, Krho)-smooth (the Hessian grows
// along the flat valley prod w = 1); with lambda > 0, ||w||^2 <= 2F / lambda
// and docs/theory.md derives (L - 1, K0, K_{L-1}). f* is computed over
// balanced weights, where the minimum lies (AM-GM).
class FeedForwardStandIn : public Objective {
 public:
  FeedForwardStandIn(int depth, double lambda, Eigen::VectorXd init);
  std::string Name() const override { return "feedforward_standin"; }
  int Dim() const override { return depth_; }
  double ValueAndGradient(const Eigen::VectorXd& w,
                          Eigen::VectorXd* grad) const override;
  double HessianNorm(const Eigen::VectorXd& w) const override;
  double OptimalValue() const override { return f_star_; }
  Eigen::VectorXd InitialPoint() const override { return init_; }
  GapSmoothness Smoothness() const override;
  Eigen::MatrixXd Hessian(const Eigen::VectorXd& w) const;

 private:
  int depth_;
  double lambda_;
  Eigen::VectorXd init_;
  double f_star_;
};

// Stand-in for Example 3 (a recurrent network, after Patel, Zhang and Tian
// 2022): a scalar linear RNN h_{s+1} = a h_s + b, h_0 = 0, read out after S
// steps as c h_S and fitted to 1 with weight decay,
//   F(a, b, c) = (c b G(a) - 1)^2 / 2 + (lambda / 2)(a^2 + b^2 + c^2),
//   G(a) = sum_{k<S} a^k.
// (S, K0, K_S)-smooth for lambda > 0 (docs/theory.md). f* in closed form
// along b = c, minimised over a.
class RecurrentStandIn : public Objective {
 public:
  RecurrentStandIn(int steps, double lambda, Eigen::Vector3d init);
  std::string Name() const override { return "recurrent_standin"; }
  int Dim() const override { return 3; }
  double ValueAndGradient(const Eigen::VectorXd& w,
                          Eigen::VectorXd* grad) const override;
  double HessianNorm(const Eigen::VectorXd& w) const override;
  double OptimalValue() const override { return f_star_; }
  Eigen::VectorXd InitialPoint() const override { return init_; }
  GapSmoothness Smoothness() const override;
  Eigen::Matrix3d Hessian(const Eigen::VectorXd& w) const;

 private:
  int steps_;
  double lambda_;
  Eigen::VectorXd init_;
  double f_star_;
};

}  // namespace warmup

#endif  // WARMUP_LIB_PROBLEMS_PATEL_EXAMPLES_H_
