#include "lib/stats/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace warmup {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Continued fraction of the incomplete beta function (modified Lentz), good
// where x < (a + 1) / (a + b + 2).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEpsilon = 1e-15;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  d = 1.0 / (std::abs(d) < kTiny ? kTiny : d);
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    for (int odd = 0; odd < 2; ++odd) {
      const double numerator =
          odd == 0 ? m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
                   : -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
      d = 1.0 + numerator * d;
      d = 1.0 / (std::abs(d) < kTiny ? kTiny : d);
      c = 1.0 + numerator / c;
      if (std::abs(c) < kTiny) c = kTiny;
      h *= c * d;
      if (odd == 1 && std::abs(c * d - 1.0) < kEpsilon) return h;
    }
  }
  return h;
}

bool SameValue(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

double Mean(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double SampleVariance(const std::vector<double>& v) {
  if (v.size() < 2) return kNaN;
  const double mean = Mean(v);
  double squares = 0;
  for (double x : v) squares += (x - mean) * (x - mean);
  return squares / static_cast<double>(v.size() - 1);
}

double SampleSd(const std::vector<double>& v) { return std::sqrt(SampleVariance(v)); }

double RegularizedIncompleteBeta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return kNaN;
  if (x == 0 || x == 1) return x;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                           a * std::log(x) + b * std::log1p(-x);
  // The continued fraction converges fast on one side of the mean a/(a+b);
  // the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) covers the other.
  if (x < (a + 1.0) / (a + b + 2.0)) {
    return std::exp(log_front) * BetaContinuedFraction(a, b, x) / a;
  }
  return 1.0 - std::exp(log_front) * BetaContinuedFraction(b, a, 1.0 - x) / b;
}

double StudentTCdf(double t, double dof) {
  if (!(dof > 0) || std::isnan(t)) return kNaN;
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  // P(|T| > |t|) = I_{dof / (dof + t^2)}(dof / 2, 1 / 2).
  const double tail = 0.5 * RegularizedIncompleteBeta(0.5 * dof, 0.5, dof / (dof + t * t));
  return t > 0 ? 1.0 - tail : tail;
}

double StudentTQuantile(double p, double dof) {
  if (!(p > 0) || !(p < 1) || !(dof > 0)) return kNaN;
  if (p == 0.5) return 0.0;
  if (p < 0.5) return -StudentTQuantile(1.0 - p, dof);
  // Bracket, then bisect: the cdf is monotone, and 200 halvings reach the
  // resolution of a double from any bracket.
  double lo = 0.0, hi = 1.0;
  while (StudentTCdf(hi, dof) < p) {
    lo = hi;
    hi *= 2.0;
    if (hi > 1e300) return std::numeric_limits<double>::infinity();
  }
  for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (StudentTCdf(mid, dof) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

PairedDifference PairedDifferenceBounds(const std::vector<double>& a,
                                        const std::vector<double>& b, double level) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> d;
  bool finite = a.size() == b.size() && a.size() >= 2;
  for (size_t k = 0; finite && k < a.size(); ++k) {
    d.push_back(a[k] - b[k]);
    finite = std::isfinite(d.back());
  }
  if (!finite) return {nan, nan, nan, nan};
  const double mean = Mean(d), sd = SampleSd(d);
  const double n = static_cast<double>(d.size());
  const double half = StudentTQuantile(level, n - 1.0) * sd / std::sqrt(n);
  return {mean, sd, mean - half, mean + half};
}

TwoSampleTest PooledTwoSampleT(const std::vector<double>& x, const std::vector<double>& y,
                               double sd_floor) {
  TwoSampleTest test;
  const double nx = static_cast<double>(x.size()), ny = static_cast<double>(y.size());
  test.dof = nx + ny - 2.0;
  if (x.empty() || y.empty() || test.dof < 1) {
    test.p_two_sided = kNaN;
    return test;
  }
  const bool finite = std::all_of(x.begin(), x.end(), [](double v) { return std::isfinite(v); }) &&
                      std::all_of(y.begin(), y.end(), [](double v) { return std::isfinite(v); });
  if (!finite) {
    // A diverged run or an undefined quantity: the samples agree only when
    // every value is the same (every run diverged the same way).
    bool same = true;
    for (double v : x) same = same && SameValue(v, y.front());
    for (double v : y) same = same && SameValue(v, y.front());
    test.difference = kNaN;
    test.p_two_sided = same ? 1.0 : 0.0;
    return test;
  }
  test.difference = Mean(x) - Mean(y);
  const double squares = (nx > 1 ? (nx - 1) * SampleVariance(x) : 0.0) +
                         (ny > 1 ? (ny - 1) * SampleVariance(y) : 0.0);
  test.pooled_sd = std::max(std::sqrt(squares / test.dof), sd_floor);
  if (test.pooled_sd == 0) {
    test.t = test.difference == 0 ? 0.0 : std::copysign(INFINITY, test.difference);
  } else {
    test.t = test.difference / (test.pooled_sd * std::sqrt(1.0 / nx + 1.0 / ny));
  }
  test.p_two_sided = 2.0 * StudentTCdf(-std::abs(test.t), test.dof);
  return test;
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
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

LogLogFit FitLogLog(const std::vector<double>& x, const std::vector<double>& y) {
  LogLogFit fit;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;
  const size_t pairs = std::min(x.size(), y.size());
  for (size_t i = 0; i < pairs; ++i) {
    if (!(x[i] > 0) || !(y[i] > 0) || !std::isfinite(x[i]) ||
        !std::isfinite(y[i])) {
      ++fit.missing;
      continue;
    }
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
    ++n;
  }
  fit.points = n;
  const double den = n * sxx - sx * sx;
  fit.slope = n < 2 || den == 0.0 ? std::nan("") : (n * sxy - sx * sy) / den;
  return fit;
}

double LogLogSlope(const std::vector<double>& x, const std::vector<double>& y) {
  return FitLogLog(x, y).slope;
}

}  // namespace warmup
