#ifndef WARMUP_LIB_THEORY_SMOOTHNESS_H_
#define WARMUP_LIB_THEORY_SMOOTHNESS_H_

#include "absl/status/status.h"

namespace warmup {

// Definition 1 of the paper: ||Hess f(w)|| <= K0 + Krho (f(w) - f*)^rho for
// all w, with K0, Krho >= 0 and rho > 0.
struct GapSmoothness {
  double rho = 1.0;
  double k0 = 0.0;
  double krho = 0.0;
};

// The gradient-norm family: ||Hess f(w)|| <= L0 + Lrho ||grad f(w)||^rho
// (rho = 1 is the (L0, L1)-smoothness of Zhang et al.).
struct GradientSmoothness {
  double rho = 1.0;
  double l0 = 0.0;
  double lrho = 0.0;
};

// Rejects negative constants, rho <= 0 and non-finite values.
absl::Status Validate(const GapSmoothness& s);
// Rejects negative constants, rho outside [0, 2) and non-finite values.
absl::Status Validate(const GradientSmoothness& s);

// K0 + Krho gap^rho: the curvature bound at suboptimality `gap`. Negative
// gaps count as 0. The power is taken in log space, so huge gaps give a
// large finite value or +inf, never NaN.
double CurvatureBound(const GapSmoothness& s, double gap);

// Whether a point with suboptimality `gap` and Hessian norm `hessian_norm`
// satisfies Definition 1; `slack` (optional) receives bound - hessian_norm.
bool SatisfiesGapSmoothness(const GapSmoothness& s, double gap,
                            double hessian_norm, double* slack = nullptr);

// Same for the gradient-norm family.
bool SatisfiesGradientSmoothness(const GradientSmoothness& s,
                                 double grad_norm, double hessian_norm,
                                 double* slack = nullptr);

// Lemma 1 (constants reconstructed in docs/theory.md): a (rho, L0, Lrho)
// smooth function with 0 <= rho < 2 is (alpha, K0, Kalpha)-smooth with
// alpha = rho / (2 - rho),
//   K0     = L0 + Lrho (4 L0)^(rho/2),
//   Kalpha = Lrho (4 L0)^(rho/2) + Lrho^(2/(2-rho)) 2^((rho+2) alpha).
// At rho = 0 (alpha = 0, which Definition 1 excludes) it returns the
// equivalent global bound K0 = L0 + Lrho, Krho = 0, rho = 1.
GapSmoothness GapSmoothnessFromGradient(const GradientSmoothness& s);

// The self-bounding step of Lemma 1: ||grad f||^2 <= 2 (L0 + Lrho 2^rho
// ||grad f||^rho) (f - f*). Returns the right-hand side for a given gradient
// norm and gap.
double SelfBoundingRhs(const GradientSmoothness& s, double grad_norm,
                       double gap);

}  // namespace warmup

#endif  // WARMUP_LIB_THEORY_SMOOTHNESS_H_
