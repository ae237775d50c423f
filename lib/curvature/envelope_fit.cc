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

struct Line {
  double k0 = 0.0, krho = 0.0, cost = std::numeric_limits<double>::infinity();
};

double MeanLogRatio(const Line& l, const std::vector<double>& x,
                    const std::vector<double>& s) {
  double sum = 0.0;
  for (size_t i = 0; i < x.size(); ++i) sum += std::log((l.k0 + l.krho * x[i]) / s[i]);
  return sum / x.size();
}

// Tightest covering line K0 + Krho x (K0, Krho >= 0) above the points
// (x_i, s_i): candidates are the edges of the upper hull, the horizontal
// line at max s and the line through the origin.
Line TightestLine(const std::vector<double>& x, const std::vector<double>& s) {
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return x[a] < x[b] || (x[a] == x[b] && s[a] > s[b]);
  });
  std::vector<size_t> hull;  // upper hull, left to right
  for (size_t i : order) {
    while (hull.size() >= 2) {
      const size_t a = hull[hull.size() - 2], b = hull.back();
      const double cross = (x[b] - x[a]) * (s[i] - s[a]) - (s[b] - s[a]) * (x[i] - x[a]);
      if (cross >= 0) hull.pop_back(); else break;
    }
    if (!hull.empty() && x[hull.back()] == x[i]) continue;  // keep the higher
    hull.push_back(i);
  }
  std::vector<Line> candidates;
  candidates.push_back({*std::max_element(s.begin(), s.end()), 0.0});
  double through_origin = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] > 0) through_origin = std::max(through_origin, s[i] / x[i]);
  }
  if (through_origin > 0 && *std::min_element(x.begin(), x.end()) > 0) {
    candidates.push_back({0.0, through_origin});
  }
  for (size_t h = 0; h + 1 < hull.size(); ++h) {
    const size_t a = hull[h], b = hull[h + 1];
    const double slope = (s[b] - s[a]) / (x[b] - x[a]);
    const double intercept = s[a] - slope * x[a];
    if (slope >= 0 && intercept >= 0) candidates.push_back({intercept, slope});
  }
  Line best;
  for (Line& l : candidates) {
    // Guard against rounding: lift the line to cover every point exactly.
    double lift = 1.0;
    for (size_t i = 0; i < x.size(); ++i) {
      lift = std::max(lift, s[i] / (l.k0 + l.krho * x[i]));
    }
    l.k0 *= lift;
    l.krho *= lift;
    l.cost = MeanLogRatio(l, x, s);
    if (l.cost < best.cost) best = l;
  }
  return best;
}

struct Point {
  double rho, k0, krho, cost;
};

Point FitAllRho(const std::vector<double>& gaps, const std::vector<double>& s,
                const EnvelopeOptions& o) {
  Point best{0, 0, 0, std::numeric_limits<double>::infinity()};
  std::vector<double> x(gaps.size());
  for (double rho = o.rho_min; rho <= o.rho_max + 1e-12; rho += o.rho_step) {
    for (size_t i = 0; i < gaps.size(); ++i) x[i] = std::pow(gaps[i], rho);
    const Line l = TightestLine(x, s);
    if (l.cost < best.cost) best = {rho, l.k0, l.krho, l.cost};
  }
  return best;
}

// Greedy trimming for coverage < 1: while too many points remain, refit and
// drop, among the points the envelope touches (those holding it up), the
// one furthest above the log-log regression line of all remaining points.
void Trim(std::vector<double>* gaps, std::vector<double>* s, const EnvelopeOptions& o) {
  const size_t keep = std::max<size_t>(
      3, static_cast<size_t>(std::ceil(o.coverage * gaps->size())));
  while (gaps->size() > keep) {
    const Point p = FitAllRho(*gaps, *s, o);
    const double slope = LogLogSlope(*gaps, *s);
    double mean_lg = 0, mean_ls = 0;
    for (size_t i = 0; i < gaps->size(); ++i) {
      mean_lg += std::log((*gaps)[i]) / gaps->size();
      mean_ls += std::log((*s)[i]) / gaps->size();
    }
    size_t drop = 0;
    double highest = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < gaps->size(); ++i) {
      const double env = p.k0 + p.krho * std::pow((*gaps)[i], p.rho);
      if ((*s)[i] < env * (1 - 1e-9)) continue;  // not touching
      const double residual =
          std::log((*s)[i]) - (mean_ls + slope * (std::log((*gaps)[i]) - mean_lg));
      if (residual > highest) {
        highest = residual;
        drop = i;
      }
    }
    gaps->erase(gaps->begin() + drop);
    s->erase(s->begin() + drop);
  }
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

absl::StatusOr<EnvelopeFit> FitEnvelope(const std::vector<double>& gaps,
                                        const std::vector<double>& smoothness,
                                        const EnvelopeOptions& o) {
  if (gaps.size() != smoothness.size() || gaps.size() < 3) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "envelope fit: need at least 3 (gap, smoothness) pairs of equal count, "
        "got %d and %d", gaps.size(), smoothness.size()));
  }
  for (size_t i = 0; i < gaps.size(); ++i) {
    if (!(gaps[i] > 0) || !(smoothness[i] > 0) || !std::isfinite(gaps[i]) ||
        !std::isfinite(smoothness[i])) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "envelope fit: pair %d is (%g, %g); gaps and smoothness must be "
          "finite and > 0", i, gaps[i], smoothness[i]));
    }
  }
  if (!(o.coverage > 0 && o.coverage <= 1)) {
    return absl::InvalidArgumentError("envelope fit: coverage must be in (0, 1]");
  }
  auto fit = [&](std::vector<double> g, std::vector<double> s) {
    if (o.coverage < 1.0) Trim(&g, &s, o);
    return FitAllRho(g, s, o);
  };
  const Point p = fit(gaps, smoothness);
  EnvelopeFit out;
  out.rho = p.rho;
  out.k0 = p.k0;
  out.krho = p.krho;
  out.points = static_cast<int>(gaps.size());
  for (size_t i = 0; i < gaps.size(); ++i) {
    if (smoothness[i] <= (p.k0 + p.krho * std::pow(gaps[i], p.rho)) * (1 + 1e-9)) {
      ++out.covered;
    }
  }
  std::vector<double> lg, ls;
  for (size_t i = 0; i < gaps.size(); ++i) {
    lg.push_back(gaps[i]);
    ls.push_back(smoothness[i]);
  }
  out.loglog_slope = LogLogSlope(lg, ls);
  out.spearman = SpearmanCorrelation(gaps, smoothness);
  if (o.bootstrap > 0) {
    std::mt19937_64 rng(o.seed);
    std::uniform_int_distribution<size_t> pick(0, gaps.size() - 1);
    std::vector<double> rhos, k0s, krhos;
    for (int b = 0; b < o.bootstrap; ++b) {
      std::vector<double> g, s;
      for (size_t i = 0; i < gaps.size(); ++i) {
        const size_t j = pick(rng);
        g.push_back(gaps[j]);
        s.push_back(smoothness[j]);
      }
      const Point q = fit(g, s);
      rhos.push_back(q.rho);
      k0s.push_back(q.k0);
      krhos.push_back(q.krho);
    }
    const double lo = (1 - o.interval) / 2, hi = 1 - lo;
    out.rho_ci = {Quantile(rhos, lo), Quantile(rhos, hi)};
    out.k0_ci = {Quantile(k0s, lo), Quantile(k0s, hi)};
    out.krho_ci = {Quantile(krhos, lo), Quantile(krhos, hi)};
  }
  return out;
}

}  // namespace warmup
