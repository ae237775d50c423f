#ifndef WARMUP_TESTS_CLAIMS_TEST_FUNCTIONS_H_
#define WARMUP_TESTS_CLAIMS_TEST_FUNCTIONS_H_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/problems/objective.h"
#include "lib/theory/smoothness.h"

namespace warmup {

// f(w) = sum_i (k0/2) w_i^2 + |w_i|^p with p > 2: (rho, k0, p(p-1))-smooth
// with rho = (p - 2) / p, since ||H|| = k0 + p(p-1) max|w_i|^(p-2) and
// max|w_i|^p <= f. Convex; the family with rho in (0, 1).
class PowerValley : public Objective {
 public:
  PowerValley(double k0, double p, Eigen::VectorXd init)
      : k0_(k0), p_(p), init_(std::move(init)) {}
  std::string Name() const override { return "power_valley"; }
  int Dim() const override { return static_cast<int>(init_.size()); }
  double ValueAndGradient(const Eigen::VectorXd& w,
                          Eigen::VectorXd* grad) const override;
  double HessianNorm(const Eigen::VectorXd& w) const override;
  Eigen::VectorXd InitialPoint() const override { return init_; }
  GapSmoothness Smoothness() const override {
    return GapSmoothness{(p_ - 2.0) / p_, k0_, p_ * (p_ - 1.0)};
  }

 private:
  double k0_, p_;
  Eigen::VectorXd init_;
};

// A one-dimensional function of the gradient-norm family with known
// (rho, L0, Lrho), its inf f* = 0, and a sampler of points in its domain.
struct GradientFamilyFunction {
  std::string name;
  GradientSmoothness smoothness;
  double (*value)(const double* params, double w);
  double (*derivative)(const double* params, double w);
  double (*second)(const double* params, double w);
  double params[4];
  double lo, hi;  // sampling interval for w
};

// Draws a random member of the five gradient-norm families of
// docs/theory.md (Lemma 1): k0 w^2/2 + |w|^p (rho < 1), scaled cosh
// (rho = 1), (1 - w)^(1-k) / (k - 1) on w < 1 (1 < rho < 2), and two
// nonconvex ones: the double well s (w^2 - a^2)^2 (rho = 2/3) and the
// sine-perturbed cosh (a/b^2)(cosh(bw) - 1) + c (1 - cos(omega w)) (rho = 1),
// which has local minima besides w = 0.
GradientFamilyFunction RandomGradientFamilyFunction(std::mt19937_64& rng);

// Draws a random Definition-1 objective (river valley, cosh valley, power
// valley, speed-up instance, the feed-forward and recurrent stand-ins) with
// a random initial point; `convex_only` keeps the convex ones (cosh, power,
// speed-up instance).
std::unique_ptr<Objective> RandomGapSmoothObjective(std::mt19937_64& rng,
                                                    bool convex_only);

// Tracks the smallest slack seen and prints it with the claim's name.
class SlackMeter {
 public:
  explicit SlackMeter(std::string claim) : claim_(std::move(claim)) {}
  ~SlackMeter();
  // Records the relative slack (bound - value) / |bound| and whether
  // value <= bound + rounding, where `rounding` is the floating-point error
  // the caller allows (0 for exact comparisons).
  bool Check(double value, double bound, double rounding = 0.0);
  int violations() const { return violations_; }
  int checks() const { return checks_; }
  double worst() const { return worst_; }  // smallest relative slack seen

 private:
  std::string claim_;
  double worst_ = 1e300;
  int violations_ = 0, checks_ = 0;
};

}  // namespace warmup

#endif  // WARMUP_TESTS_CLAIMS_TEST_FUNCTIONS_H_
