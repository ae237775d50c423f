#ifndef WARMUP_LIB_PROBLEMS_OBJECTIVE_H_
#define WARMUP_LIB_PROBLEMS_OBJECTIVE_H_

#include <string>

#include <Eigen/Core>

#include "lib/theory/smoothness.h"

namespace warmup {

// A synthetic objective with known minimum value, gradient, Hessian norm and
// the (rho, K0, Krho) constants it provably satisfies (docs/theory.md).
class Objective {
 public:
  virtual ~Objective() = default;
  virtual std::string Name() const = 0;
  virtual int Dim() const = 0;
  // f(w); writes grad f(w) into *grad (resized by the caller to Dim()).
  virtual double ValueAndGradient(const Eigen::VectorXd& w,
                                  Eigen::VectorXd* grad) const = 0;
  virtual double Value(const Eigen::VectorXd& w) const;
  // One gradient-descent step: w -= lr * grad, then returns f at the new w,
  // writes its gradient into *grad and ||grad||^2 into *grad_norm_sq. The
  // default makes four passes over w; objectives override it to make one.
  virtual double StepValueAndGradient(double lr, Eigen::VectorXd* w,
                                      Eigen::VectorXd* grad,
                                      double* grad_norm_sq) const;
  // Spectral norm of the Hessian at w (largest |eigenvalue|).
  virtual double HessianNorm(const Eigen::VectorXd& w) const = 0;
  // f* = inf f.
  virtual double OptimalValue() const { return 0.0; }
  virtual Eigen::VectorXd InitialPoint() const = 0;
  // Constants of Definition 1 that this objective satisfies everywhere.
  virtual GapSmoothness Smoothness() const = 0;
};

}  // namespace warmup

#endif  // WARMUP_LIB_PROBLEMS_OBJECTIVE_H_
