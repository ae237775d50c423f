#ifndef WARMUP_LIB_THEORY_WARMUP_H_
#define WARMUP_LIB_THEORY_WARMUP_H_

#include <cstdint>
#include <vector>

#include "lib/theory/smoothness.h"

namespace warmup {

// The theory warmup step of Theorem 1 (reconstructed): c / (K0 + Krho
// gap^rho), capped at max_lr when max_lr > 0. Finite for every gap >= 0 as
// long as K0 > 0 or max_lr > 0; a gap so large that the bound overflows
// gives 0.
double TheoryStepSize(const GapSmoothness& s, double c, double gap,
                      double max_lr = 0.0);

// Descent lemma under Definition 1 (reconstructed): for a C^2 function and
// eta <= 1 / (K0 + Krho gap^rho), f(w - eta g) <= f(w) - eta (1 - eta L / 2)
// ||g||^2 <= f(w) - (eta / 2) ||g||^2. Returns the guaranteed decrease
// eta (1 - eta L / 2) ||g||^2 with L the curvature bound at `gap`.
double GuaranteedDecrease(const GapSmoothness& s, double gap, double eta,
                          double grad_norm_sq);

// Theorem 1's bound on min_{t<T} ||grad f(w_t)||^2 from a run's step sizes:
// 2 (f(w_0) - f*) / sum_t eta_t.
double GradientNormBound(double initial_gap, const std::vector<double>& etas);

}  // namespace warmup

#endif  // WARMUP_LIB_THEORY_WARMUP_H_
