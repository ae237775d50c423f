#include "lib/schedule/schedule.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"
#include "lib/theory/warmup.h"

namespace warmup {
namespace {

using spec::Constant;
using spec::Cosine;
using spec::ExponentialWarmup;
using spec::LinearWarmup;
using spec::PolynomialWarmup;
using spec::Schedule;
using spec::TheoryWarmup;


constexpr double kPi = 3.14159265358979323846;

double CosineValue(double peak, double min, int64_t step, int64_t total) {
  if (total <= 0 || step >= total) return min;
  const double progress = static_cast<double>(step) / total;
  return min + (peak - min) * 0.5 * (1.0 + std::cos(kPi * progress));
}

absl::Status Bad(const Schedule& spec, const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrFormat("schedule '%s': %s", spec.label(), what));
}

// The shape of a ramp family at progress x = t / W in [0, 1). At x = 0 each
// is exact: start_fraction (the exponent is exactly 1), 0 and 0.
std::function<double(double)> RampShape(const Schedule& spec) {
  if (spec.has_exponential_warmup()) {
    const double fraction = spec.exponential_warmup().start_fraction();
    return [fraction](double x) { return std::pow(fraction, 1.0 - x); };
  }
  if (spec.has_cosine_warmup()) {
    return [](double x) { return 0.5 * (1.0 - std::cos(kPi * x)); };
  }
  const double power = spec.polynomial_warmup().power();
  return [power](double x) { return std::pow(x, power); };
}

// A warmup ramp's peak and length: peak > 0, length >= 1.
absl::Status ValidateRamp(const Schedule& spec, const std::string& family,
                          double peak_lr, int64_t warmup_steps) {
  if (!(peak_lr > 0.0)) return Bad(spec, family + ".peak_lr must be > 0");
  if (warmup_steps <= 0) return Bad(spec, family + ".warmup_steps must be > 0");
  return absl::OkStatus();
}

}  // namespace

double LinearWarmupSchedule::Rate(int64_t step, double) {
  const int64_t w = spec_.warmup_steps();
  const double peak = spec_.peak_lr();
  if (step < w) {
    if (spec_.formula() == LinearWarmup::FROM_ONE) {
      return peak * static_cast<double>(step + 1) / static_cast<double>(w + 1);
    }
    return peak * static_cast<double>(step) / static_cast<double>(w);
  }
  if (!spec_.cosine_after()) return peak;
  return CosineValue(peak, spec_.min_lr(), step - w, total_steps_ - w);
}

double RampWarmupSchedule::Rate(int64_t step, double) {
  if (step >= warmup_steps_) return peak_;
  return peak_ * shape_(static_cast<double>(step) / static_cast<double>(warmup_steps_));
}

double CosineSchedule::Rate(int64_t step, double) {
  return CosineValue(peak_, min_, step, total_);
}

double TheoryWarmupSchedule::Rate(int64_t, double loss) {
  if (ema_ > 0.0 && std::isfinite(loss)) {
    smoothed_ = has_smoothed_ ? ema_ * smoothed_ + (1.0 - ema_) * loss : loss;
    has_smoothed_ = true;
    loss = smoothed_;
  }
  const double gap = std::isfinite(loss) ? std::max(loss - f_star_, 0.0)
                                         : std::numeric_limits<double>::max();
  return TheoryStepSize(s_, c_, gap, max_lr_);
}

namespace {

// A constant step: exactly one of lr and times_inverse_init_curvature, > 0.
absl::Status ValidateConstant(const Schedule& spec) {
  const Constant& c = spec.constant();
  const bool by_lr = c.lr() != 0.0;
  const bool by_curvature = c.times_inverse_init_curvature() != 0.0;
  if (by_lr == by_curvature) {
    return Bad(spec,
               "constant needs exactly one of lr and "
               "times_inverse_init_curvature");
  }
  if (c.lr() < 0.0 || c.times_inverse_init_curvature() < 0.0) {
    return Bad(spec, "constant learning rate must be > 0");
  }
  return absl::OkStatus();
}

// The theory warmup: valid (rho, K0, Krho), c > 0, a finite rate at gap 0,
// and an ema weight in [0, 1).
absl::Status ValidateTheoryWarmup(const Schedule& spec) {
  const TheoryWarmup& t = spec.theory_warmup();
  GapSmoothness s{t.rho(), t.k0(), t.krho()};
  if (absl::Status st = Validate(s); !st.ok()) {
    return Bad(spec, "theory_warmup: " + std::string(st.message()));
  }
  if (!(t.c() > 0.0)) return Bad(spec, "theory_warmup.c must be > 0");
  if (t.max_lr() < 0.0) return Bad(spec, "theory_warmup.max_lr must be >= 0");
  if (t.k0() == 0.0 && t.max_lr() == 0.0) {
    return Bad(spec,
               "theory_warmup with k0 = 0 needs max_lr > 0, else the rate "
               "is infinite at gap 0");
  }
  if (t.ema() < 0.0 || t.ema() >= 1.0) {
    return Bad(spec, "theory_warmup.ema must be in [0, 1)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSchedule(const Schedule& spec) {
  if (spec.label().empty()) {
    return absl::InvalidArgumentError("a schedule has no label");
  }
  switch (spec.kind_case()) {
    case Schedule::kConstant:
      return ValidateConstant(spec);
    case Schedule::kLinearWarmup: {
      const LinearWarmup& l = spec.linear_warmup();
      if (l.min_lr() < 0.0) return Bad(spec, "linear_warmup.min_lr must be >= 0");
      return ValidateRamp(spec, "linear_warmup", l.peak_lr(), l.warmup_steps());
    }
    case Schedule::kExponentialWarmup: {
      const ExponentialWarmup& x = spec.exponential_warmup();
      if (!(x.start_fraction() > 0.0 && x.start_fraction() <= 1.0)) {
        return Bad(spec, absl::StrFormat(
                             "exponential_warmup.start_fraction must be in (0, 1], got %g",
                             x.start_fraction()));
      }
      return ValidateRamp(spec, "exponential_warmup", x.peak_lr(), x.warmup_steps());
    }
    case Schedule::kCosineWarmup:
      return ValidateRamp(spec, "cosine_warmup", spec.cosine_warmup().peak_lr(),
                          spec.cosine_warmup().warmup_steps());
    case Schedule::kPolynomialWarmup: {
      const PolynomialWarmup& p = spec.polynomial_warmup();
      if (!(p.power() > 0.0 && p.power() <= 1e3)) {
        return Bad(spec, absl::StrFormat(
                             "polynomial_warmup.power must be in (0, 1e3], got %g", p.power()));
      }
      return ValidateRamp(spec, "polynomial_warmup", p.peak_lr(), p.warmup_steps());
    }
    case Schedule::kCosine: {
      const Cosine& c = spec.cosine();
      if (!(c.peak_lr() > 0.0)) return Bad(spec, "cosine.peak_lr must be > 0");
      if (c.min_lr() < 0.0 || c.min_lr() > c.peak_lr()) {
        return Bad(spec, "cosine.min_lr must be in [0, peak_lr]");
      }
      if (c.total_steps() < 0) return Bad(spec, "cosine.total_steps must be >= 0");
      return absl::OkStatus();
    }
    case Schedule::kTheoryWarmup:
      return ValidateTheoryWarmup(spec);
    case Schedule::KIND_NOT_SET:
      break;
  }
  return Bad(spec,
             "no kind: expected one of constant, linear_warmup, "
             "exponential_warmup, cosine_warmup, polynomial_warmup, cosine, "
             "theory_warmup");
}

bool IsWarmupFamily(const Schedule& spec) {
  return spec.has_linear_warmup() || spec.has_exponential_warmup() ||
         spec.has_cosine_warmup() || spec.has_polynomial_warmup();
}

FamilyParameters FamilyParametersOf(const Schedule& spec) {
  switch (spec.kind_case()) {
    case Schedule::kConstant: {
      const Constant& c = spec.constant();
      return {c.times_inverse_init_curvature() > 0 ? c.times_inverse_init_curvature()
                                                   : c.lr()};
    }
    case Schedule::kLinearWarmup:
      return {spec.linear_warmup().peak_lr(), spec.linear_warmup().warmup_steps()};
    case Schedule::kExponentialWarmup:
      return {spec.exponential_warmup().peak_lr(),
              spec.exponential_warmup().warmup_steps()};
    case Schedule::kCosineWarmup:
      return {spec.cosine_warmup().peak_lr(), spec.cosine_warmup().warmup_steps()};
    case Schedule::kPolynomialWarmup: {
      const PolynomialWarmup& p = spec.polynomial_warmup();
      return {p.peak_lr(), p.warmup_steps(), p.power()};
    }
    default:
      return {};
  }
}

void SetFamilyParameters(const FamilyParameters& f, Schedule* spec) {
  // Every warmup family names its peak and length peak_lr and warmup_steps.
  auto set_ramp = [&](auto* ramp) {
    ramp->set_peak_lr(f.rate);
    if (f.warmup_steps > 0) ramp->set_warmup_steps(f.warmup_steps);
  };
  switch (spec->kind_case()) {
    case Schedule::kConstant: {
      Constant* c = spec->mutable_constant();
      if (c->times_inverse_init_curvature() > 0) {
        c->set_times_inverse_init_curvature(f.rate);
      } else {
        c->set_lr(f.rate);
      }
      return;
    }
    case Schedule::kLinearWarmup: return set_ramp(spec->mutable_linear_warmup());
    case Schedule::kExponentialWarmup:
      return set_ramp(spec->mutable_exponential_warmup());
    case Schedule::kCosineWarmup: return set_ramp(spec->mutable_cosine_warmup());
    case Schedule::kPolynomialWarmup:
      set_ramp(spec->mutable_polynomial_warmup());
      if (f.power > 0) spec->mutable_polynomial_warmup()->set_power(f.power);
      return;
    default:
      return;
  }
}

absl::StatusOr<std::unique_ptr<LearningRateSchedule>> MakeSchedule(
    const Schedule& spec, int64_t total_steps, double init_curvature) {
  if (absl::Status st = ValidateSchedule(spec); !st.ok()) return st;
  switch (spec.kind_case()) {
    case Schedule::kConstant: {
      double lr = spec.constant().lr();
      if (lr == 0.0) {
        if (!(init_curvature > 0.0) || !std::isfinite(init_curvature)) {
          return Bad(spec,
                     "times_inverse_init_curvature needs a problem with a "
                     "known Hessian norm at the initial point");
        }
        lr = spec.constant().times_inverse_init_curvature() / init_curvature;
      }
      return std::unique_ptr<LearningRateSchedule>(
          std::make_unique<ConstantSchedule>(lr));
    }
    case Schedule::kLinearWarmup:
      return std::unique_ptr<LearningRateSchedule>(
          std::make_unique<LinearWarmupSchedule>(spec.linear_warmup(),
                                                 total_steps));
    case Schedule::kExponentialWarmup:
    case Schedule::kCosineWarmup:
    case Schedule::kPolynomialWarmup: {
      const FamilyParameters ramp = FamilyParametersOf(spec);
      return std::unique_ptr<LearningRateSchedule>(std::make_unique<RampWarmupSchedule>(
          ramp.rate, ramp.warmup_steps, RampShape(spec)));
    }
    case Schedule::kCosine: {
      const Cosine& c = spec.cosine();
      return std::unique_ptr<LearningRateSchedule>(
          std::make_unique<CosineSchedule>(
              c.peak_lr(), c.min_lr(),
              c.total_steps() > 0 ? c.total_steps() : total_steps));
    }
    case Schedule::kTheoryWarmup: {
      const TheoryWarmup& t = spec.theory_warmup();
      return std::unique_ptr<LearningRateSchedule>(
          std::make_unique<TheoryWarmupSchedule>(
              GapSmoothness{t.rho(), t.k0(), t.krho()}, t.c(), t.f_star(),
              t.max_lr(), t.ema()));
    }
    case Schedule::KIND_NOT_SET:
      break;
  }
  return Bad(spec, "no kind");
}

}  // namespace warmup
