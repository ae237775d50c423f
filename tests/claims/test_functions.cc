#include "tests/claims/test_functions.h"

#include <cmath>
#include <cstdio>

#include "lib/problems/cosh_valley.h"
#include "lib/problems/patel_examples.h"
#include "lib/problems/river_valley.h"
#include "lib/problems/speedup_instance.h"

namespace warmup {

double PowerValley::ValueAndGradient(const Eigen::VectorXd& w,
                                     Eigen::VectorXd* grad) const {
  double f = 0.0;
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    const double a = std::abs(w[i]);
    f += 0.5 * k0_ * w[i] * w[i] + std::pow(a, p_);
    (*grad)[i] = k0_ * w[i] + p_ * std::pow(a, p_ - 1.0) * (w[i] < 0 ? -1.0 : 1.0);
  }
  return f;
}

double PowerValley::HessianNorm(const Eigen::VectorXd& w) const {
  return k0_ + p_ * (p_ - 1.0) * std::pow(w.cwiseAbs().maxCoeff(), p_ - 2.0);
}

namespace {

// k0 w^2 / 2 + |w|^p.  params: k0, p.
double PowValue(const double* q, double w) {
  return 0.5 * q[0] * w * w + std::pow(std::abs(w), q[1]);
}
double PowDerivative(const double* q, double w) {
  return q[0] * w + q[1] * std::pow(std::abs(w), q[1] - 1) * (w < 0 ? -1 : 1);
}
double PowSecond(const double* q, double w) {
  return q[0] + q[1] * (q[1] - 1) * std::pow(std::abs(w), q[1] - 2);
}
// (a / b^2)(cosh(b w) - 1).  params: a, b.
double CoshValue(const double* q, double w) {
  const double s = std::sinh(0.5 * q[1] * w);
  return q[0] / (q[1] * q[1]) * 2 * s * s;
}
double CoshDerivative(const double* q, double w) {
  return q[0] / q[1] * std::sinh(q[1] * w);
}
double CoshSecond(const double* q, double w) { return q[0] * std::cosh(q[1] * w); }
// (1 - w)^(1 - k) / (k - 1) on w < 1.  params: k.
double BarrierValue(const double* q, double w) {
  return std::pow(1 - w, 1 - q[0]) / (q[0] - 1);
}
double BarrierDerivative(const double* q, double w) { return std::pow(1 - w, -q[0]); }
double BarrierSecond(const double* q, double w) {
  return q[0] * std::pow(1 - w, -q[0] - 1);
}

// s (w^2 - a^2)^2.  params: s, a. Nonconvex (f'' < 0 for |w| < a / sqrt 3).
double WellValue(const double* q, double w) {
  const double d = w * w - q[1] * q[1];
  return q[0] * d * d;
}
double WellDerivative(const double* q, double w) {
  return 4 * q[0] * w * (w * w - q[1] * q[1]);
}
double WellSecond(const double* q, double w) {
  return q[0] * (12 * w * w - 4 * q[1] * q[1]);
}
// (a / b^2)(cosh(b w) - 1) + c (1 - cos(omega w)).  params: a, b, c, omega.
double WavyCoshValue(const double* q, double w) {
  const double s = std::sinh(0.5 * q[1] * w), t = std::sin(0.5 * q[3] * w);
  return q[0] / (q[1] * q[1]) * 2 * s * s + 2 * q[2] * t * t;
}
double WavyCoshDerivative(const double* q, double w) {
  return q[0] / q[1] * std::sinh(q[1] * w) + q[2] * q[3] * std::sin(q[3] * w);
}
double WavyCoshSecond(const double* q, double w) {
  return q[0] * std::cosh(q[1] * w) + q[2] * q[3] * q[3] * std::cos(q[3] * w);
}

}  // namespace

GradientFamilyFunction RandomGradientFamilyFunction(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  GradientFamilyFunction f;
  switch (rng() % 5) {
    case 0: {
      // rho in (0, 1): p = (2 - rho) / (1 - rho), Lrho = p (p - 1) / p^rho.
      const double rho = 0.05 + 0.9 * u(rng);
      const double p = (2 - rho) / (1 - rho);
      const double k0 = std::exp(-3 + 6 * u(rng));
      f = {"power", {rho, k0, p * (p - 1) / std::pow(p, rho)}, PowValue,
           PowDerivative, PowSecond, {k0, p, 0, 0}, -3, 3};
      break;
    }
    case 1: {
      const double a = std::exp(-3 + 6 * u(rng)), b = std::exp(-2 + 4 * u(rng));
      f = {"cosh", {1.0, a, b}, CoshValue, CoshDerivative, CoshSecond,
           {a, b, 0, 0}, -8 / b, 8 / b};
      break;
    }
    case 2: {
      const double k = 1.05 + 8 * u(rng);  // rho = 1 + 1/k in (1.11, 1.95)
      f = {"barrier", {1 + 1 / k, 0.0, k}, BarrierValue, BarrierDerivative,
           BarrierSecond, {k, 0, 0, 0}, -20, 0.95};
      break;
    }
    case 3: {
      // With w = a v: |f''| <= 44 s a^2 for |v| < 2; for |v| >= 2,
      // |f'| >= 3 s a^3 |v|^3, so |f''| <= 12 s a^2 v^2
      // <= 12 s^(1/3) 3^(-2/3) |f'|^(2/3): (2/3, 44 s a^2, 12 s^(1/3) / 3^(2/3)).
      const double s = std::exp(-2 + 4 * u(rng)), a = std::exp(-1 + 2 * u(rng));
      f = {"double_well",
           {2.0 / 3.0, 44 * s * a * a, 12 * std::cbrt(s) / std::cbrt(9.0)},
           WellValue, WellDerivative, WellSecond, {s, a, 0, 0}, -3 * a, 3 * a};
      break;
    }
    default: {
      // |f''| <= a cosh(bw) + c omega^2 <= a + c omega^2 + a |sinh(bw)| and
      // a |sinh(bw)| = b |(a/b) sinh(bw)| <= b (|f'| + c omega):
      // (1, a + c omega^2 + b c omega, b). Nonconvex when c omega^2 > a.
      const double a = std::exp(-2 + 2 * u(rng)), b = std::exp(-1 + 2 * u(rng));
      const double omega = std::exp(1 + 2 * u(rng)), c = 2 * a / (omega * omega);
      f = {"wavy_cosh", {1.0, a + c * omega * omega + b * c * omega, b},
           WavyCoshValue, WavyCoshDerivative, WavyCoshSecond, {a, b, c, omega},
           -8 / b, 8 / b};
      break;
    }
  }
  return f;
}

std::unique_ptr<Objective> RandomGapSmoothObjective(std::mt19937_64& rng,
                                                    bool convex_only) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto log_uniform = [&](double lo, double hi) {
    return std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * u(rng));
  };
  const int kind = convex_only ? 1 + static_cast<int>(rng() % 3)
                               : static_cast<int>(rng() % 6);
  switch (kind) {
    case 0: {
      Eigen::Vector2d init(-50 + 100 * u(rng), -3 + 6 * u(rng));
      return std::make_unique<RiverValley>(log_uniform(1e-3, 2), log_uniform(0.1, 10),
                                           log_uniform(0.1, 10), init);
    }
    case 1: {
      const double k1 = log_uniform(0.1, 10);
      const int dim = 1 + static_cast<int>(rng() % 4);
      Eigen::VectorXd init(dim);
      for (int i = 0; i < dim; ++i) init[i] = (-10 + 20 * u(rng)) / std::sqrt(k1);
      return std::make_unique<CoshValley>(log_uniform(0.1, 10), k1, dim, init);
    }
    case 2: {
      const int dim = 1 + static_cast<int>(rng() % 4);
      Eigen::VectorXd init(dim);
      for (int i = 0; i < dim; ++i) init[i] = -5 + 10 * u(rng);
      return std::make_unique<PowerValley>(log_uniform(0.1, 10), 2.2 + 4 * u(rng), init);
    }
    case 4: {
      const int depth = 2 + static_cast<int>(rng() % 3);
      Eigen::VectorXd init(depth);
      for (int i = 0; i < depth; ++i) init[i] = -2 + 4 * u(rng);
      return std::make_unique<FeedForwardStandIn>(depth, log_uniform(0.01, 1), init);
    }
    case 5:
      return std::make_unique<RecurrentStandIn>(
          2 + static_cast<int>(rng() % 4), log_uniform(0.01, 1),
          Eigen::Vector3d(-1.2 + 2.4 * u(rng), -2 + 4 * u(rng), -2 + 4 * u(rng)));
    default:
      return std::make_unique<SpeedupInstance>(
          log_uniform(0.1, 10), log_uniform(0.1, 10), 2 + static_cast<int>(rng() % 30),
          log_uniform(0.01, 1), log_uniform(0.05, 1), 1e-4,
          static_cast<int64_t>(log_uniform(10, 1e4)));
  }
}

SlackMeter::~SlackMeter() {
  std::printf("claim %s: %d checks, %d violations, worst relative slack %.3e\n",
              claim_.c_str(), checks_, violations_, worst_);
}

bool SlackMeter::Check(double value, double bound, double rounding) {
  ++checks_;
  const double slack = (bound - value) / (std::abs(bound) + 1e-300);
  if (slack < worst_) worst_ = slack;
  const bool ok = value <= bound + rounding;
  if (!ok) ++violations_;
  return ok;
}

}  // namespace warmup
