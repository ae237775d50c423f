#include "lib/problems/make_objective.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "lib/problems/cosh_valley.h"
#include "lib/problems/river_valley.h"
#include "lib/problems/speedup_instance.h"

namespace warmup {
namespace {

using spec::Problem;

absl::Status Positive(const char* field, double value) {
  if (value > 0.0 && std::isfinite(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("problem.%s must be a finite number > 0, got %g", field,
                      value));
}

absl::Status InitSize(const Problem& p, int dim) {
  if (p.init_size() == 0 || p.init_size() == dim) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("problem.init has %d values, expected %d (the "
                      "problem's dimension) or none",
                      p.init_size(), dim));
}

absl::Status ValidateRiverValley(const Problem& p) {
  const spec::RiverValley& r = p.river_valley();
  if (r.dim() < 0 || r.dim() == 1) {
    return absl::InvalidArgumentError("problem.river_valley.dim must be >= 2 (0: the default 2)");
  }
  for (auto s : {Positive("river_valley.mu", r.mu()), Positive("river_valley.lambda0", r.lambda0()),
                 Positive("river_valley.lambda1", r.lambda1()),
                 InitSize(p, r.dim() > 0 ? r.dim() : 2)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateCoshValley(const Problem& p) {
  const spec::CoshValley& c = p.cosh_valley();
  for (auto s : {Positive("cosh_valley.k0", c.k0()), Positive("cosh_valley.k1", c.k1()),
                 InitSize(p, c.dim() > 0 ? c.dim() : 1)}) {
    if (!s.ok()) return s;
  }
  if (c.dim() < 0) return absl::InvalidArgumentError("problem.cosh_valley.dim must be >= 0");
  return absl::OkStatus();
}

absl::Status ValidateSpeedupInstance(const Problem& p) {
  const spec::SpeedupInstance& s = p.speedup_instance();
  for (auto st : {Positive("speedup_instance.k0", s.k0()), Positive("speedup_instance.k1", s.k1()),
                  Positive("speedup_instance.q0", s.q0()),
                  Positive("speedup_instance.beta", s.beta())}) {
    if (!st.ok()) return st;
  }
  if (s.min_eig_ratio() < 0.0 || s.min_eig_ratio() >= 1.0) {
    return absl::InvalidArgumentError(
        "problem.speedup_instance.min_eig_ratio must be in [0, 1) (0: the default 1e-6)");
  }
  if (s.dim() <= 0) return absl::InvalidArgumentError("problem.speedup_instance.dim must be > 0");
  if (p.init_size() != 0) {
    return absl::InvalidArgumentError(
        "problem.init is not allowed for speedup_instance: its initial point is part of the "
        "instance");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSyntheticProblem(const Problem& p) {
  absl::Status st;
  switch (p.kind_case()) {
    case Problem::kRiverValley: st = ValidateRiverValley(p); break;
    case Problem::kCoshValley: st = ValidateCoshValley(p); break;
    case Problem::kSpeedupInstance: st = ValidateSpeedupInstance(p); break;
    case Problem::kNetwork:
      return absl::InvalidArgumentError("problem.network is not a synthetic problem");
    case Problem::KIND_NOT_SET:
      return absl::InvalidArgumentError(
          "problem has no kind: expected one of river_valley, cosh_valley, speedup_instance, "
          "network");
  }
  if (!st.ok()) return st;
  if (p.noise().sigma() < 0.0 || p.noise().a() < 0.0) {
    return absl::InvalidArgumentError("problem.noise.sigma and a must be >= 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Objective>> MakeObjective(const Problem& p,
                                                         int64_t horizon) {
  if (absl::Status st = ValidateSyntheticProblem(p); !st.ok()) return st;
  Eigen::VectorXd init(p.init_size());
  for (int i = 0; i < p.init_size(); ++i) init[i] = p.init(i);
  switch (p.kind_case()) {
    case Problem::kRiverValley: {
      const auto& r = p.river_valley();
      const int dim = r.dim() > 0 ? r.dim() : 2;
      if (init.size() == 0) {
        // x = 40 up the river, ||y|| = 0.5 across the valley.
        init = Eigen::VectorXd::Constant(dim, 0.5 / std::sqrt(dim - 1.0));
        init[0] = 40.0;
      }
      return std::unique_ptr<Objective>(std::make_unique<warmup::RiverValley>(
          r.mu(), r.lambda0(), r.lambda1(), init));
    }
    case Problem::kCoshValley: {
      const auto& c = p.cosh_valley();
      return std::unique_ptr<Objective>(std::make_unique<warmup::CoshValley>(
          c.k0(), c.k1(), c.dim() > 0 ? c.dim() : 1, init));
    }
    case Problem::kSpeedupInstance: {
      const auto& s = p.speedup_instance();
      return std::unique_ptr<Objective>(
          std::make_unique<warmup::SpeedupInstance>(
              s.k0(), s.k1(), s.dim(), s.q0(), s.beta(),
              s.min_eig_ratio() > 0.0 ? s.min_eig_ratio() : 1e-6, horizon));
    }
    default:
      break;
  }
  return absl::InvalidArgumentError("not a synthetic problem");
}

}  // namespace warmup
