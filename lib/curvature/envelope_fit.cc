#include "lib/curvature/envelope_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "absl/strings/str_format.h"
#include "lib/theory/warmup.h"

namespace warmup {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The envelope at one rho (or the profile's best) and its cost.
struct PointFit {
  double rho = 0.0, k0 = 0.0, krho = 0.0;
  double cost = std::numeric_limits<double>::infinity();
};

// Check loss of quantile regression: residuals above the envelope cost
// tau per unit, those below 1 - tau.
double CheckLoss(double r, double tau) { return r >= 0 ? tau * r : (tau - 1) * r; }

// The tau quantile as the order statistic that minimises the check loss.
double QuantileOrderStatistic(std::vector<double> v, double tau) {
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(std::ceil(tau * v.size())) - 1);
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

// Best (K0, Krho) at fixed rho: for each ratio b = K0 / Krho on a log grid
// spanning six decades around the range of gap^rho (and b = 0), log Krho is
// the tau quantile of log s - log(b + gap^rho).
PointFit FitAtRho(const std::vector<double>& gap, const std::vector<double>& log_s, double rho,
                  double tau) {
  std::vector<double> x(gap.size()), r(gap.size());
  for (size_t i = 0; i < gap.size(); ++i) x[i] = std::pow(gap[i], rho);
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  const double b_lo = std::log(*lo * 1e-3), b_hi = std::log(*hi * 1e3);
  constexpr int kRatios = 96;
  PointFit best;
  for (int k = -1; k <= kRatios; ++k) {
    const double b = k < 0 ? 0.0 : std::exp(b_lo + (b_hi - b_lo) * k / kRatios);
    for (size_t i = 0; i < x.size(); ++i) r[i] = log_s[i] - std::log(b + x[i]);
    const double log_krho = QuantileOrderStatistic(r, tau);
    double cost = 0.0;
    for (double ri : r) cost += CheckLoss(ri - log_krho, tau);
    cost /= r.size();
    if (cost < best.cost - 1e-15) best = {rho, b * std::exp(log_krho), std::exp(log_krho), cost};
  }
  return best;
}

std::vector<double> RhoGrid(const EnvelopeOptions& o) {
  std::vector<double> grid;
  const int n = static_cast<int>(std::floor((o.rho_max - o.rho_min) / o.rho_step + 1e-9));
  for (int k = 0; k <= n; ++k) grid.push_back(o.rho_min + k * o.rho_step);
  return grid;
}

// The profile over the rho grid and its minimiser.
PointFit ProfileFit(const std::vector<double>& gap, const std::vector<double>& log_s,
                    const EnvelopeOptions& o, std::vector<double>* profile) {
  PointFit best;
  for (double rho : RhoGrid(o)) {
    const PointFit p = FitAtRho(gap, log_s, rho, o.quantile);
    if (profile != nullptr) profile->push_back(p.cost);
    if (p.cost < best.cost - 1e-15) best = p;
  }
  return best;
}

// Why the profile does not pin rho down, or "" when it does.
std::string ProfileVerdict(const std::vector<double>& rho, const std::vector<double>& cost,
                           double flat_tolerance) {
  const size_t argmin = std::min_element(cost.begin(), cost.end()) - cost.begin();
  if (argmin == 0 || argmin + 1 == cost.size()) {
    return absl::StrFormat("estimate %.3g at the edge of the rho grid [%.3g, %.3g]",
                           rho[argmin], rho.front(), rho.back());
  }
  const double rise = std::min(cost.front(), cost.back()) - cost[argmin];
  if (rise < flat_tolerance * cost[argmin]) {
    return absl::StrFormat(
        "flat profile: the cost at the grid's edges exceeds its minimum by %.3g%%, "
        "less than %.3g%%", 100 * rise / cost[argmin], 100 * flat_tolerance);
  }
  return "";
}

std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = 0.5 * (i + j) + 1.0;
    i = j + 1;
  }
  return rank;
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

absl::Status CheckRuns(const std::vector<ProfileRun>& runs, const EnvelopeOptions& o) {
  if (runs.empty()) return absl::InvalidArgumentError("envelope fit: no runs");
  if (!(o.quantile > 0 && o.quantile < 1) || !(o.transient_fraction > 0) ||
      !(o.rho_min > 0 && o.rho_step > 0 && o.rho_max >= o.rho_min + 2 * o.rho_step)) {
    return absl::InvalidArgumentError(
        "envelope fit: need quantile in (0, 1), transient_fraction > 0 and a rho grid of "
        "at least 3 points with rho_min > 0");
  }
  for (size_t r = 0; r < runs.size(); ++r) {
    const ProfileRun& run = runs[r];
    if (run.step.size() != run.loss.size() || run.loss.size() != run.smoothness.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "envelope fit: run %d has %d steps, %d losses and %d smoothness values; "
          "expected equal counts", r, run.step.size(), run.loss.size(), run.smoothness.size()));
    }
    for (size_t i = 0; i < run.loss.size(); ++i) {
      const double gap = run.loss[i] - o.f_star, s = run.smoothness[i];
      if (!(gap > 0) || !(s > 0) || !std::isfinite(gap) || !std::isfinite(s)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "envelope fit: run %d, point %d has gap %g and smoothness %g; both must be "
            "finite and > 0", r, i, gap, s));
      }
    }
  }
  return absl::OkStatus();
}

// A run's points measured before its loss first falls below fraction x its
// first measured loss.
std::vector<bool> TransientMask(const ProfileRun& run, double fraction) {
  std::vector<bool> mask(run.loss.size(), false);
  for (size_t i = 0; i < run.loss.size(); ++i) {
    if (run.loss[i] < fraction * run.loss[0]) break;
    mask[i] = true;
  }
  return mask;
}

// Pooled (gap, log smoothness) of the non-transient points of `picked` runs.
void Pool(const std::vector<ProfileRun>& runs, const std::vector<std::vector<bool>>& transient,
          const std::vector<size_t>& picked, double f_star, std::vector<double>* gap,
          std::vector<double>* log_s) {
  for (size_t r : picked) {
    for (size_t i = 0; i < runs[r].loss.size(); ++i) {
      if (transient[r][i]) continue;
      gap->push_back(runs[r].loss[i] - f_star);
      log_s->push_back(std::log(runs[r].smoothness[i]));
    }
  }
}

double Coverage(const PointFit& f, const std::vector<double>& gap,
                const std::vector<double>& log_s) {
  int below = 0;
  for (size_t i = 0; i < gap.size(); ++i) {
    if (log_s[i] <= std::log(f.k0 + f.krho * std::pow(gap[i], f.rho)) + 1e-12) ++below;
  }
  return static_cast<double>(below) / gap.size();
}

// Percentile intervals of (rho, K0, Krho) over fits to runs resampled with
// replacement (whole runs: points within a run are time-correlated).
void BootstrapRuns(const std::vector<ProfileRun>& runs,
                   const std::vector<std::vector<bool>>& transient, const EnvelopeOptions& o,
                   EnvelopeFit* out) {
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<size_t> pick(0, runs.size() - 1);
  std::vector<double> rhos, k0s, krhos;
  for (int b = 0; b < o.bootstrap; ++b) {
    std::vector<size_t> picked(runs.size());
    for (size_t& p : picked) p = pick(rng);
    std::vector<double> gap, log_s;
    Pool(runs, transient, picked, o.f_star, &gap, &log_s);
    if (gap.size() < 3) continue;
    const PointFit q = ProfileFit(gap, log_s, o, nullptr);
    rhos.push_back(q.rho);
    k0s.push_back(q.k0);
    krhos.push_back(q.krho);
  }
  if (rhos.empty()) return;
  const double lo = (1 - o.interval) / 2, hi = 1 - lo;
  out->rho_ci = {Quantile(rhos, lo), Quantile(rhos, hi)};
  out->k0_ci = {Quantile(k0s, lo), Quantile(k0s, hi)};
  out->krho_ci = {Quantile(krhos, lo), Quantile(krhos, hi)};
}

// Mean over runs of the per-run Spearman correlation of the fitted points;
// NaN when a run has fewer than 3 of them.
double MeanSpearman(const std::vector<ProfileRun>& runs,
                    const std::vector<std::vector<bool>>& transient, double f_star,
                    std::vector<int>* sizes) {
  double sum = 0.0;
  for (size_t r = 0; r < runs.size(); ++r) {
    std::vector<double> gap, log_s;
    Pool(runs, transient, {r}, f_star, &gap, &log_s);
    sizes->push_back(static_cast<int>(gap.size()));
    if (gap.size() < 3) return kNaN;
    sum += SpearmanCorrelation(gap, log_s);
  }
  return sum / runs.size();
}

// Why rho is not identified by the sensitivity refits (empty when both
// agree): a refit whose profile has no interior, non-flat minimum, or whose
// minimiser lies outside rho's interval (with a single run, away from rho),
// by more than half a grid step.
std::string SensitivityVerdict(const EnvelopeFit& f, const EnvelopeOptions& o) {
  const double slack = 0.5 * o.rho_step;
  const bool interval = !std::isnan(f.rho_ci.lo);
  const double lo = (interval ? f.rho_ci.lo : f.rho) - slack;
  const double hi = (interval ? f.rho_ci.hi : f.rho) + slack;
  struct Refit {
    const char* what;
    double setting, rho;
    bool identified;
  };
  for (const Refit& r : {Refit{"f* =", f.f_star_alt, f.rho_f_star_alt, f.rho_f_star_alt_identified},
                         Refit{"the transient cut at", f.transient_fraction_alt,
                               f.rho_transient_alt, f.rho_transient_alt_identified}}) {
    if (!r.identified) {
      return absl::StrFormat("with %s %.3g the profile identifies no rho", r.what, r.setting);
    }
    if (r.rho < lo || r.rho > hi) {
      return absl::StrFormat("with %s %.3g rho moves to %.3g, outside [%.3g, %.3g]", r.what,
                             r.setting, r.rho, lo + slack, hi - slack);
    }
  }
  return "";
}

}  // namespace

double SpearmanCorrelation(const std::vector<double>& x, const std::vector<double>& y) {
  const std::vector<double> rx = Ranks(x), ry = Ranks(y);
  const double n = static_cast<double>(x.size());
  const double mean = (n + 1) / 2;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  return sxy / std::sqrt(sxx * syy);
}

double SpearmanChanceLevel(const std::vector<int>& sizes, double quantile, int permutations,
                           uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> means;
  for (int p = 0; p < permutations; ++p) {
    double sum = 0.0;
    for (int n : sizes) {
      if (n < 3) return kNaN;
      std::vector<double> x(n), y(n);
      std::iota(x.begin(), x.end(), 0.0);
      std::iota(y.begin(), y.end(), 0.0);
      std::shuffle(y.begin(), y.end(), rng);
      sum += SpearmanCorrelation(x, y);
    }
    means.push_back(sum / sizes.size());
  }
  return Quantile(means, quantile);
}

absl::StatusOr<EnvelopeFit> FitEnvelope(const std::vector<ProfileRun>& runs,
                                        const EnvelopeOptions& o) {
  if (absl::Status st = CheckRuns(runs, o); !st.ok()) return st;
  EnvelopeFit out;
  std::vector<std::vector<bool>> transient;
  std::vector<size_t> all(runs.size());
  std::iota(all.begin(), all.end(), 0);
  for (const ProfileRun& run : runs) {
    transient.push_back(TransientMask(run, o.transient_fraction));
    out.transient.insert(out.transient.end(), transient.back().begin(), transient.back().end());
    out.points += static_cast<int>(run.loss.size());
  }
  out.transient_points =
      static_cast<int>(std::count(out.transient.begin(), out.transient.end(), true));
  std::vector<double> gap, log_s;
  Pool(runs, transient, all, o.f_star, &gap, &log_s);
  out.fitted_points = static_cast<int>(gap.size());
  if (gap.size() < 3) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "envelope fit: %d of %d points remain after the early transient (points before "
        "the loss first falls below %g x its first value); need at least 3",
        gap.size(), out.points, o.transient_fraction));
  }
  out.profile_rho = RhoGrid(o);
  const PointFit best = ProfileFit(gap, log_s, o, &out.profile_cost);
  out.rho = best.rho;
  out.k0 = best.k0;
  out.krho = best.krho;
  out.coverage = Coverage(best, gap, log_s);
  const auto [lo, hi] = std::minmax_element(gap.begin(), gap.end());
  out.gap_decades = std::log10(*hi / *lo);
  out.rho_ci = out.k0_ci = out.krho_ci = {kNaN, kNaN};
  if (runs.size() >= 2 && o.bootstrap > 0) BootstrapRuns(runs, transient, o, &out);
  out.not_identified_reason = ProfileVerdict(out.profile_rho, out.profile_cost, o.flat_tolerance);
  const double edge = 0.5 * o.rho_step;
  if (out.not_identified_reason.empty() &&
      (out.rho_ci.lo < out.profile_rho.front() + edge ||
       out.rho_ci.hi > out.profile_rho.back() - edge)) {
    out.not_identified_reason = absl::StrFormat(
        "the run-bootstrap interval [%.3g, %.3g] reaches the rho grid's edge",
        out.rho_ci.lo, out.rho_ci.hi);
  }
  for (double rho : {0.5, 1.0, 2.0}) {
    const PointFit f = FitAtRho(gap, log_s, rho, o.quantile);
    out.fixed.push_back({rho, f.k0, f.krho, Coverage(f, gap, log_s)});
  }
  std::vector<double> s_values(gap.size());
  for (size_t i = 0; i < gap.size(); ++i) s_values[i] = std::exp(log_s[i]);
  out.loglog_slope = LogLogSlope(gap, s_values);
  std::vector<int> sizes;
  out.spearman = MeanSpearman(runs, transient, o.f_star, &sizes);
  out.spearman_chance99 = SpearmanChanceLevel(sizes, 0.99, 2000, o.seed + 1);
  // Sensitivity to f*: the same fit with a positive f* below every loss.
  out.f_star_alt = o.f_star + o.f_star_fraction * (*lo);
  std::vector<double> shifted(gap.size()), alt_profile;
  for (size_t i = 0; i < gap.size(); ++i) shifted[i] = gap[i] + o.f_star - out.f_star_alt;
  out.rho_f_star_alt = ProfileFit(shifted, log_s, o, &alt_profile).rho;
  out.rho_f_star_alt_identified =
      ProfileVerdict(out.profile_rho, alt_profile, o.flat_tolerance).empty();
  // Sensitivity to the transient cut: the later transient points fitted too.
  out.transient_fraction_alt = 0.5 * (1.0 + o.transient_fraction);
  std::vector<std::vector<bool>> later_cut;
  for (const ProfileRun& run : runs) later_cut.push_back(TransientMask(run, out.transient_fraction_alt));
  std::vector<double> cut_gap, cut_log_s, cut_profile;
  Pool(runs, later_cut, all, o.f_star, &cut_gap, &cut_log_s);
  out.rho_transient_alt = ProfileFit(cut_gap, cut_log_s, o, &cut_profile).rho;
  out.rho_transient_alt_identified =
      ProfileVerdict(out.profile_rho, cut_profile, o.flat_tolerance).empty();
  if (out.not_identified_reason.empty()) out.not_identified_reason = SensitivityVerdict(out, o);
  out.rho_identified = out.not_identified_reason.empty();
  return out;
}

}  // namespace warmup
