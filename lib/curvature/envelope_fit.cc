#include "lib/curvature/envelope_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <random>

#include "absl/strings/str_format.h"
#include "lib/stats/stats.h"

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

// The tau quantile as the order statistic that minimises the check loss;
// `scratch` receives a reordered copy of v.
double QuantileOrderStatistic(const std::vector<double>& v, double tau,
                              std::vector<double>* scratch) {
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(std::ceil(tau * v.size())) - 1);
  scratch->assign(v.begin(), v.end());
  std::nth_element(scratch->begin(), scratch->begin() + k, scratch->end());
  return (*scratch)[k];
}

// Best (K0, Krho) at fixed rho: for each ratio b = K0 / Krho on a log grid
// spanning six decades around the range of gap^rho (and b = 0), log Krho is
// the tau quantile of log s - log(b + gap^rho).
PointFit FitAtRho(const std::vector<double>& gap, const std::vector<double>& log_s, double rho,
                  double tau) {
  std::vector<double> x(gap.size()), r(gap.size()), scratch;
  for (size_t i = 0; i < gap.size(); ++i) x[i] = std::pow(gap[i], rho);
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  const double b_lo = std::log(*lo * 1e-3), b_hi = std::log(*hi * 1e3);
  constexpr int kRatios = 96;
  PointFit best;
  for (int k = -1; k <= kRatios; ++k) {
    const double b = k < 0 ? 0.0 : std::exp(b_lo + (b_hi - b_lo) * k / kRatios);
    for (size_t i = 0; i < x.size(); ++i) r[i] = log_s[i] - std::log(b + x[i]);
    const double log_krho = QuantileOrderStatistic(r, tau, &scratch);
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

// The index of a run's first fitted point under the options' transient rule
// (the run's size when every point is transient).
size_t FirstFittedPoint(const ProfileRun& run, const EnvelopeOptions& o) {
  const size_t n = run.loss.size();
  if (o.transient_rule == TransientRule::kLossFraction) {
    size_t i = 0;
    while (i < n && run.loss[i] >= o.transient_fraction * run.loss[0]) ++i;
    return i;
  }
  // The collapse ends at the least log s - rho_max log gap: before it the
  // smoothness falls faster than any power law of the grid allows.
  size_t end = 0;
  double least = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    const double u = std::log(run.smoothness[i]) - o.rho_max * std::log(run.loss[i] - o.f_star);
    if (u < least) {
      least = u;
      end = i;
    }
  }
  if (o.transient_rule == TransientRule::kSharpeningPeak) {
    end = std::max_element(run.smoothness.begin() + end, run.smoothness.end()) -
          run.smoothness.begin();
  }
  return end;
}

// A run's transient points; with `later_fitted`, its later transient points
// are fitted too (kLossFraction: the cut halfway to 1; otherwise the last
// transient point).
std::vector<bool> TransientMask(const ProfileRun& run, const EnvelopeOptions& o,
                                bool later_fitted) {
  EnvelopeOptions cut = o;
  if (later_fitted) cut.transient_fraction = 0.5 * (1.0 + o.transient_fraction);
  size_t first = FirstFittedPoint(run, cut);
  if (later_fitted && o.transient_rule != TransientRule::kLossFraction && first > 0) --first;
  std::vector<bool> mask(run.loss.size(), false);
  std::fill(mask.begin(), mask.begin() + first, true);
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

// Intervals of (rho, K0, Krho) over fits to runs resampled with
// replacement (whole runs: points within a run are time-correlated):
// percentiles, or for rho the Student-t interval of the options. A
// resample's fit depends only on which runs it holds, so each distinct
// multiset is fitted once (with three runs there are ten).
void BootstrapRuns(const std::vector<ProfileRun>& runs,
                   const std::vector<std::vector<bool>>& transient, const EnvelopeOptions& o,
                   EnvelopeFit* out) {
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<size_t> pick(0, runs.size() - 1);
  std::map<std::vector<size_t>, std::optional<PointFit>> fitted;
  std::vector<double> rhos, k0s, krhos;
  for (int b = 0; b < o.bootstrap; ++b) {
    std::vector<size_t> picked(runs.size());
    for (size_t& p : picked) p = pick(rng);
    std::sort(picked.begin(), picked.end());
    auto [it, fresh] = fitted.try_emplace(picked);
    if (fresh) {
      std::vector<double> gap, log_s;
      Pool(runs, transient, picked, o.f_star, &gap, &log_s);
      if (gap.size() >= 3) it->second = ProfileFit(gap, log_s, o, nullptr);
    }
    if (!it->second.has_value()) continue;
    rhos.push_back(it->second->rho);
    k0s.push_back(it->second->k0);
    krhos.push_back(it->second->krho);
  }
  if (rhos.empty()) return;
  const double lo = (1 - o.interval) / 2, hi = 1 - lo;
  out->rho_ci = {Quantile(rhos, lo), Quantile(rhos, hi)};
  if (o.student_t_interval) {
    const double r = static_cast<double>(runs.size());
    const double mean = std::accumulate(rhos.begin(), rhos.end(), 0.0) / rhos.size();
    double ss = 0.0;
    for (double x : rhos) ss += (x - mean) * (x - mean);
    const double half =
        StudentTQuantile(hi, static_cast<double>(runs.size()) - 1) *
        std::sqrt(r / (r - 1) * ss / (rhos.size() - 1));
    out->rho_ci = {out->rho - half, out->rho + half};
  }
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

// Rho's interval widened by half a grid step (with a single run, rho
// itself): where a refit's minimiser must lie for rho to stand.
Interval AgreementBand(const EnvelopeFit& f, const EnvelopeOptions& o) {
  const double slack = 0.5 * o.rho_step;
  const bool interval = !std::isnan(f.rho_ci.lo);
  return {(interval ? f.rho_ci.lo : f.rho) - slack, (interval ? f.rho_ci.hi : f.rho) + slack};
}

// Why rho is not identified by the sensitivity refits (empty when they
// agree): a refit of f* or of the transient cut whose profile has no
// interior, non-flat minimum or whose minimiser lies outside the agreement
// band.
std::string SensitivityVerdict(const EnvelopeFit& f, const EnvelopeOptions& o) {
  const Interval band = AgreementBand(f, o);
  struct Refit {
    std::string what;
    double rho;
    bool identified, checked;
  };
  const std::vector<Refit> refits = {
      {absl::StrFormat("with f* = %.3g", f.f_star_alt), f.rho_f_star_alt,
       f.rho_f_star_alt_identified, true},
      {o.transient_rule == TransientRule::kLossFraction
           ? absl::StrFormat("with the transient cut at %.3g", f.transient_fraction_alt)
           : "with each run's last transient point fitted",
       f.rho_transient_alt, f.rho_transient_alt_identified, o.check_transient_cut},
  };
  for (const Refit& r : refits) {
    if (!r.checked) continue;
    if (!r.identified) return r.what + " the profile identifies no rho";
    if (r.rho < band.lo || r.rho > band.hi) {
      return absl::StrFormat("%s rho moves to %.3g, outside [%.3g, %.3g]", r.what, r.rho,
                             band.lo + 0.5 * o.rho_step, band.hi - 0.5 * o.rho_step);
    }
  }
  return "";
}

}  // namespace

namespace {

// The sensitivity refits: f* = f_star_fraction x the lowest fitted gap, and
// the later transient points fitted too. `gap`, `log_s` are the pooled
// fitted points.
void Refit(const std::vector<ProfileRun>& runs, const std::vector<double>& gap,
           const std::vector<double>& log_s, const EnvelopeOptions& o, EnvelopeFit* out) {
  const double lowest = *std::min_element(gap.begin(), gap.end());
  out->f_star_alt = o.f_star + o.f_star_fraction * lowest;
  std::vector<double> shifted(gap.size()), profile;
  for (size_t i = 0; i < gap.size(); ++i) shifted[i] = gap[i] + o.f_star - out->f_star_alt;
  out->rho_f_star_alt = ProfileFit(shifted, log_s, o, &profile).rho;
  out->rho_f_star_alt_identified =
      ProfileVerdict(out->profile_rho, profile, o.flat_tolerance).empty();

  out->transient_fraction_alt =
      o.transient_rule == TransientRule::kLossFraction ? 0.5 * (1.0 + o.transient_fraction) : kNaN;
  std::vector<std::vector<bool>> later_cut;
  for (const ProfileRun& run : runs) later_cut.push_back(TransientMask(run, o, true));
  std::vector<size_t> all(runs.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<double> cut_gap, cut_log_s;
  Pool(runs, later_cut, all, o.f_star, &cut_gap, &cut_log_s);
  profile.clear();
  out->rho_transient_alt = ProfileFit(cut_gap, cut_log_s, o, &profile).rho;
  out->rho_transient_alt_identified =
      ProfileVerdict(out->profile_rho, profile, o.flat_tolerance).empty();

}

// Least-squares slope of log s on log gap over the points of one half, and
// its standard error widened by sqrt((1 + phi) / (1 - phi)), phi the lag-one
// correlation of the residuals between consecutive points of a run (clamped
// to [0, 0.9]): points within a run are correlated in time.
struct Slope {
  double slope = kNaN, se = kNaN;
};
Slope HalfSlope(const std::vector<std::vector<double>>& log_g,
                const std::vector<std::vector<double>>& log_s, bool upper, double split) {
  double n = 0, mx = 0, my = 0;
  for (size_t r = 0; r < log_g.size(); ++r) {
    for (size_t i = 0; i < log_g[r].size(); ++i) {
      if ((log_g[r][i] > split) != upper) continue;
      ++n;
      mx += log_g[r][i];
      my += log_s[r][i];
    }
  }
  if (n < 3) return {};
  mx /= n;
  my /= n;
  double sxx = 0, sxy = 0;
  for (size_t r = 0; r < log_g.size(); ++r) {
    for (size_t i = 0; i < log_g[r].size(); ++i) {
      if ((log_g[r][i] > split) != upper) continue;
      sxx += (log_g[r][i] - mx) * (log_g[r][i] - mx);
      sxy += (log_g[r][i] - mx) * (log_s[r][i] - my);
    }
  }
  if (!(sxx > 0)) return {};
  const double slope = sxy / sxx;
  double sum_sq = 0, lag = 0;
  for (size_t r = 0; r < log_g.size(); ++r) {
    double previous = kNaN;
    for (size_t i = 0; i < log_g[r].size(); ++i) {
      if ((log_g[r][i] > split) != upper) continue;
      const double e = log_s[r][i] - my - slope * (log_g[r][i] - mx);
      sum_sq += e * e;
      if (!std::isnan(previous)) lag += e * previous;
      previous = e;
    }
  }
  const double phi = std::clamp(sum_sq > 0 ? lag / sum_sq : 0.0, 0.0, 0.9);
  const double se = std::sqrt(sum_sq / (n - 2) / sxx * (1 + phi) / (1 - phi));
  return {slope, se};
}

// The shape test's slopes above and below the fitted gaps' median.
void SlopeTest(const std::vector<ProfileRun>& runs,
               const std::vector<std::vector<bool>>& transient, const std::vector<double>& gap,
               const EnvelopeOptions& o, EnvelopeFit* out) {
  out->split_gap = Quantile(gap, 0.5);
  std::vector<std::vector<double>> log_g(runs.size()), log_s(runs.size());
  for (size_t r = 0; r < runs.size(); ++r) {
    std::vector<double> g;
    Pool(runs, transient, {r}, o.f_star, &g, &log_s[r]);
    for (double x : g) log_g[r].push_back(std::log(x));
  }
  const double split = std::log(out->split_gap);
  const Slope upper = HalfSlope(log_g, log_s, true, split);
  const Slope lower = HalfSlope(log_g, log_s, false, split);
  out->slope_upper = upper.slope;
  out->slope_lower = lower.slope;
  out->slope_difference_z = (lower.slope - upper.slope) / std::hypot(lower.se, upper.se);
}

// Why rho is not identified, or "": in order, the profile (an edge or flat
// minimum), the shape test, the interval reaching the grid's edge, and the
// sensitivity refits.
std::string Verdict(const EnvelopeFit& f, const EnvelopeOptions& o) {
  std::string reason = ProfileVerdict(f.profile_rho, f.profile_cost, o.flat_tolerance);
  if (!reason.empty()) return reason;
  if (o.check_slopes && f.slope_difference_z > o.slope_test_z) {
    return absl::StrFormat(
        "no single power law: the log-log slope is %.2f above gap %.3g and %.2f below it "
        "(%.1f standard errors apart), and K0 + Krho gap^rho's slope does not fall as the gap "
        "grows",
        f.slope_upper, f.split_gap, f.slope_lower, f.slope_difference_z);
  }
  const double edge = 0.5 * o.rho_step;
  if (f.rho_ci.lo < f.profile_rho.front() + edge || f.rho_ci.hi > f.profile_rho.back() - edge) {
    return absl::StrFormat("the run-bootstrap interval [%.3g, %.3g] reaches the rho grid's edge",
                           f.rho_ci.lo, f.rho_ci.hi);
  }
  return SensitivityVerdict(f, o);
}

// Descriptive statistics of the fitted points: envelopes at fixed rho, the
// log-log slope, and the mean Spearman correlation with its chance level.
void Describe(const std::vector<ProfileRun>& runs,
              const std::vector<std::vector<bool>>& transient, const std::vector<double>& gap,
              const std::vector<double>& log_s, const EnvelopeOptions& o, EnvelopeFit* out) {
  for (double rho : kFixedEnvelopeRhos) {
    const PointFit f = FitAtRho(gap, log_s, rho, o.quantile);
    out->fixed.push_back({rho, f.k0, f.krho, Coverage(f, gap, log_s)});
  }
  std::vector<double> s_values(gap.size());
  for (size_t i = 0; i < gap.size(); ++i) s_values[i] = std::exp(log_s[i]);
  out->loglog_slope = LogLogSlope(gap, s_values);
  std::vector<int> sizes;
  out->spearman = MeanSpearman(runs, transient, o.f_star, &sizes);
  out->spearman_chance99 = o.chance_permutations > 0
                               ? SpearmanChanceLevel(sizes, 0.99, o.chance_permutations, o.seed + 1)
                               : kNaN;
}

}  // namespace

absl::StatusOr<EnvelopeFit> FitEnvelope(const std::vector<ProfileRun>& runs,
                                        const EnvelopeOptions& o) {
  if (absl::Status st = CheckRuns(runs, o); !st.ok()) return st;
  EnvelopeFit out;
  std::vector<std::vector<bool>> transient;
  for (const ProfileRun& run : runs) {
    transient.push_back(TransientMask(run, o, false));
    out.transient.insert(out.transient.end(), transient.back().begin(), transient.back().end());
    out.points += static_cast<int>(run.loss.size());
  }
  out.transient_points =
      static_cast<int>(std::count(out.transient.begin(), out.transient.end(), true));
  std::vector<size_t> all(runs.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<double> gap, log_s;
  Pool(runs, transient, all, o.f_star, &gap, &log_s);
  out.fitted_points = static_cast<int>(gap.size());
  if (gap.size() < 3) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "envelope fit: %d of %d points remain after the early transient; need at least 3",
        gap.size(), out.points));
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
  Describe(runs, transient, gap, log_s, o, &out);
  Refit(runs, gap, log_s, o, &out);
  SlopeTest(runs, transient, gap, o, &out);
  out.not_identified_reason = Verdict(out, o);
  out.rho_identified = out.not_identified_reason.empty();
  return out;
}

}  // namespace warmup
