// The fitted smoothness envelope of a network schedule, as the network
// engine records it: scalars, scatter, the fit's profile and the
// fitted-constants table.
#include "lib/engines/network_envelope.h"

#include <cmath>
#include <limits>
#include <map>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "lib/engines/result_util.h"

namespace warmup {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The scatter of smoothness against the gap, fitted points and early
// transient (drawn with another mark) apart.
void AddScatter(const std::string& run, const ProfileRun& p, const std::vector<bool>& transient,
                spec::Result* result) {
  for (const bool early : {false, true}) {
    std::vector<double> gap, s, step;
    for (size_t i = 0; i < p.loss.size(); ++i) {
      if (transient[i] != early) continue;
      gap.push_back(p.loss[i]);
      s.push_back(p.smoothness[i]);
      step.push_back(p.step[i]);
    }
    spec::Series* scatter = AddSeries(run, early ? "smoothness_transient" : "smoothness", "gap",
                                      gap, s, result);
    *scatter->mutable_c() = {step.begin(), step.end()};
  }
}

// Scalars of the pooled envelope fit; rho and the constants that go with it
// are NaN when rho is not identified (a claim on them then fails).
std::map<std::string, double> FitScalars(const EnvelopeFit& f) {
  const double id = f.rho_identified ? 1.0 : kNaN;
  std::map<std::string, double> s = {
      {"rho_identified", f.rho_identified ? 1.0 : 0.0},
      {"profile_argmin_rho", f.rho},
      {"fit_rho", f.rho * id},
      {"fit_k0", f.k0 * id},
      {"fit_krho", f.krho * id},
      {"fit_rho_lo", f.rho_ci.lo * id},
      {"fit_rho_hi", f.rho_ci.hi * id},
      {"fit_k0_lo", f.k0_ci.lo * id},
      {"fit_k0_hi", f.k0_ci.hi * id},
      {"fit_krho_lo", f.krho_ci.lo * id},
      {"fit_krho_hi", f.krho_ci.hi * id},
      {"fit_coverage", f.coverage},
      {"fitted_points", static_cast<double>(f.fitted_points)},
      {"transient_points", static_cast<double>(f.transient_points)},
      {"gap_decades", f.gap_decades},
      {"spearman", f.spearman},
      {"spearman_chance99", f.spearman_chance99},
      {"loglog_slope", f.loglog_slope},
      {"f_star_alt", f.f_star_alt},
      {"rho_f_star_alt", f.rho_f_star_alt_identified ? f.rho_f_star_alt : kNaN},
      {"rho_f_star_alt_identified", f.rho_f_star_alt_identified ? 1.0 : 0.0},
      {"transient_fraction_alt", f.transient_fraction_alt},
      {"rho_transient_alt", f.rho_transient_alt_identified ? f.rho_transient_alt : kNaN},
      {"rho_transient_alt_identified", f.rho_transient_alt_identified ? 1.0 : 0.0},
      {"split_gap", f.split_gap},
      {"slope_upper", f.slope_upper},
      {"slope_lower", f.slope_lower},
      {"slope_difference_z", f.slope_difference_z},
  };
  for (const FixedRhoEnvelope& e : f.fixed) {
    const std::string key = absl::StrReplaceAll(absl::StrFormat("env_rho%g", e.rho), {{".", ""}});
    s[key + "_k0"] = e.k0;
    s[key + "_krho"] = e.krho;
    s[key + "_coverage"] = e.coverage;
  }
  return s;
}

EnvelopeOptions FitOptions(const spec::Profile& p) {
  EnvelopeOptions o;
  if (p.envelope_quantile() > 0) o.quantile = p.envelope_quantile();
  if (p.transient_fraction() > 0) o.transient_fraction = p.transient_fraction();
  switch (p.transient_rule()) {
    case spec::Profile::LOSS_FRACTION:
      o.transient_rule = TransientRule::kLossFraction;
      break;
    case spec::Profile::SHARPENING_PEAK:
      o.transient_rule = TransientRule::kSharpeningPeak;
      break;
    case spec::Profile::COLLAPSE_END:
      o.transient_rule = TransientRule::kCollapseEnd;
      break;
    default:  // unspecified: the fit's default
      break;
  }
  return o;
}

void AddTableRow(const spec::Experiment& e, const std::string& label, size_t seeds,
                 const EnvelopeFit& f, spec::Table* table) {
  const FixedRhoEnvelope& one = f.fixed[1];
  const bool id = f.rho_identified;
  const std::string later_cut = std::isnan(f.transient_fraction_alt)
                                    ? "last transient point fitted"
                                    : absl::StrFormat("cut %.3g", f.transient_fraction_alt);
  auto* row = table->add_rows();
  for (const std::string& cell :
       {label, e.problem().network().model(), absl::StrCat(seeds), absl::StrCat(e.iterations()),
        absl::StrCat(f.fitted_points, "/", f.points), TableNumber(f.gap_decades),
        id ? TableNumber(f.rho) : "not identified (" + f.not_identified_reason + ")",
        id ? absl::StrFormat("[%.3g, %.3g]", f.rho_ci.lo, f.rho_ci.hi) : "-",
        id ? TableNumber(f.k0) : "-", id ? TableNumber(f.krho) : "-", TableNumber(f.coverage),
        f.rho_f_star_alt_identified ? absl::StrFormat("%.3g (f*=%.3g)", f.rho_f_star_alt,
                                                      f.f_star_alt)
                                    : absl::StrFormat("not identified (f*=%.3g)", f.f_star_alt),
        absl::StrCat(f.rho_transient_alt_identified ? TableNumber(f.rho_transient_alt) : "not identified",
                     " (", later_cut, ")"),
        absl::StrFormat("%.2f, %.2f (%.1f)", f.slope_upper, f.slope_lower, f.slope_difference_z),
        absl::StrFormat("%.3g, %.3g (%.2f)", one.k0, one.krho, one.coverage), TableNumber(f.spearman),
        TableNumber(f.spearman_chance99)}) {
    row->add_cells(cell);
  }
}

}  // namespace

std::vector<std::string> FitScalarNames() {
  EnvelopeFit any;  // FitScalars' keys depend only on the fixed-rho list
  for (double rho : kFixedEnvelopeRhos) any.fixed.push_back({rho, 0, 0, 0});
  std::vector<std::string> names;
  for (const auto& [name, value] : FitScalars(any)) names.push_back(name);
  return names;
}

spec::Table* FittedConstantsTable(spec::Result* result) {
  spec::Table* table = result->add_tables();
  table->set_name("fitted_constants");
  for (const char* c : {"run", "model", "seeds", "steps", "points (fitted/all)", "gap_decades",
                        "rho", "rho_90ci (runs)", "k0", "krho", "coverage", "rho (f*_alt)", "rho (later cut)",
                        "slopes above, below median gap (z)", "rho=1: K0, Krho (coverage)",
                        "spearman", "chance_99"}) {
    table->add_columns(c);
  }
  return table;
}

void RecordEnvelope(const spec::Experiment& e, const std::string& label,
                    const std::vector<int64_t>& seeds, const std::vector<ProfileRun>& profiles,
                    spec::Table* table, spec::Result* result) {
  std::vector<ProfileRun> usable;
  for (const ProfileRun& p : profiles) {
    if (p.loss.size() >= 3) usable.push_back(p);
  }
  AddScalar(label + ".seeds_averaged", static_cast<double>(usable.size()), result);
  absl::StatusOr<EnvelopeFit> fit =
      usable.size() == seeds.size()
          ? FitEnvelope(usable, FitOptions(e.profile()))
          : absl::FailedPreconditionError(absl::StrFormat(
                "%d of %d seeds have at least 3 profile points", usable.size(), seeds.size()));
  if (!fit.ok()) {
    RecordFailure(label, "envelope fit", std::string(fit.status().message()), result);
    AddScalar(label + ".fit_invalid", 1.0, result);
    for (const char* k : {"rho_identified", "fit_rho", "spearman", "spearman_chance99"}) {
      AddScalar(absl::StrCat(label, ".", k), kNaN, result);
    }
    return;
  }
  AddScalar(label + ".fit_invalid", 0.0, result);
  for (const auto& [k, v] : FitScalars(*fit)) AddScalar(absl::StrCat(label, ".", k), v, result);
  AddSeries(label, "profile_cost", "rho", fit->profile_rho, fit->profile_cost, result);
  size_t offset = 0;
  for (size_t r = 0; r < usable.size(); ++r) {
    const std::vector<bool> transient(fit->transient.begin() + offset,
                                      fit->transient.begin() + offset + usable[r].loss.size());
    offset += usable[r].loss.size();
    AddScatter(RunName(label, seeds[r], seeds.size()), usable[r], transient, result);
  }
  AddTableRow(e, label, seeds.size(), *fit, table);
}

}  // namespace warmup
