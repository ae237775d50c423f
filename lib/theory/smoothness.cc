#include "lib/theory/smoothness.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"

namespace warmup {
namespace {

bool Finite(double x) { return std::isfinite(x); }

// a * b^p for a, b >= 0, with 0^p = 0 for p > 0. Where b^p or the product
// would overflow or underflow it is computed in log space, so huge b gives
// +inf and a tiny a times a huge b^p is still right. p = 1 (the common case;
// a step-size rule calls this every iteration) is a plain product.
double ScaledPower(double a, double b, double p) {
  if (a == 0.0 || b <= 0.0) return p == 0.0 ? a : 0.0;
  if (p == 1.0) return a * b;
  const double power = std::pow(b, p);
  if (power > 0.0 && power < std::numeric_limits<double>::infinity()) {
    const double value = a * power;
    if (value > 0.0 && value < std::numeric_limits<double>::infinity()) {
      return value;
    }
  }
  const double log_value = std::log(a) + p * std::log(b);
  if (log_value > std::log(std::numeric_limits<double>::max())) {
    return std::numeric_limits<double>::infinity();
  }
  return std::exp(log_value);
}

}  // namespace

absl::Status Validate(const GapSmoothness& s) {
  if (!Finite(s.rho) || !Finite(s.k0) || !Finite(s.krho)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "smoothness constants must be finite, got rho=%g K0=%g Krho=%g", s.rho,
        s.k0, s.krho));
  }
  if (s.rho <= 0.0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("rho must be > 0, got %g", s.rho));
  }
  if (s.k0 < 0.0 || s.krho < 0.0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "K0 and Krho must be >= 0, got K0=%g Krho=%g", s.k0, s.krho));
  }
  return absl::OkStatus();
}

absl::Status Validate(const GradientSmoothness& s) {
  if (!Finite(s.rho) || !Finite(s.l0) || !Finite(s.lrho)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "smoothness constants must be finite, got rho=%g L0=%g Lrho=%g", s.rho,
        s.l0, s.lrho));
  }
  if (s.rho < 0.0 || s.rho >= 2.0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("rho must be in [0, 2), got %g", s.rho));
  }
  if (s.l0 < 0.0 || s.lrho < 0.0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "L0 and Lrho must be >= 0, got L0=%g Lrho=%g", s.l0, s.lrho));
  }
  return absl::OkStatus();
}

double CurvatureBound(const GapSmoothness& s, double gap) {
  return s.k0 + ScaledPower(s.krho, gap, s.rho);
}

bool SatisfiesGapSmoothness(const GapSmoothness& s, double gap,
                            double hessian_norm, double* slack) {
  const double bound = CurvatureBound(s, gap);
  if (slack != nullptr) *slack = bound - hessian_norm;
  return hessian_norm <= bound;
}

bool SatisfiesGradientSmoothness(const GradientSmoothness& s,
                                 double grad_norm, double hessian_norm,
                                 double* slack) {
  const double bound = s.l0 + ScaledPower(s.lrho, grad_norm, s.rho);
  if (slack != nullptr) *slack = bound - hessian_norm;
  return hessian_norm <= bound;
}

GapSmoothness GapSmoothnessFromGradient(const GradientSmoothness& s) {
  // rho = 0: ||H|| <= L0 + Lrho everywhere, globally smooth. Definition 1
  // needs rho > 0, and with Krho = 0 any rho states the same bound.
  if (s.rho == 0.0) return GapSmoothness{1.0, s.l0 + s.lrho, 0.0};
  const double alpha = s.rho / (2.0 - s.rho);
  const double mixed = ScaledPower(s.lrho, 4.0 * s.l0, s.rho / 2.0);
  GapSmoothness out;
  out.rho = alpha;
  out.k0 = s.l0 + mixed;
  out.krho = mixed + ScaledPower(std::pow(2.0, (s.rho + 2.0) * alpha), s.lrho,
                                 2.0 / (2.0 - s.rho));
  return out;
}

double SelfBoundingRhs(const GradientSmoothness& s, double grad_norm,
                       double gap) {
  return 2.0 *
         (s.l0 + ScaledPower(s.lrho * std::pow(2.0, s.rho), grad_norm, s.rho)) *
         gap;
}

}  // namespace warmup
