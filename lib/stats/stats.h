#ifndef WARMUP_LIB_STATS_STATS_H_
#define WARMUP_LIB_STATS_STATS_H_

#include <cstdint>
#include <vector>

namespace warmup {

// Sample statistics and exact distribution functions shared by every part of
// the artifact that turns repeated runs into a verdict (claims, references,
// tuning). No I/O, no LibTorch.

// The mean of `v`; NaN when `v` is empty.
double Mean(const std::vector<double>& v);

// The sample variance (denominator n - 1); NaN when `v` has fewer than two
// values.
double SampleVariance(const std::vector<double>& v);

// The sample standard deviation, sqrt(SampleVariance).
double SampleSd(const std::vector<double>& v);

// The regularized incomplete beta function I_x(a, b), a, b > 0, x in [0, 1],
// to about 1e-14 relative (continued fraction, modified Lentz).
double RegularizedIncompleteBeta(double a, double b, double x);

// P(T <= t) for Student's t with `dof` > 0 degrees of freedom, exact to
// about 1e-14 (through the incomplete beta function).
double StudentTCdf(double t, double dof);

// The p-quantile of Student's t with `dof` > 0 degrees of freedom, p in
// (0, 1), solved on StudentTCdf to 1e-12 relative: t(0.99, 2) = 6.9646.
double StudentTQuantile(double p, double dof);

// A two-sample comparison of a fresh sample `x` with a reference sample `y`
// under the pooled-variance t model (both samples normal with one variance).
struct TwoSampleTest {
  double difference = 0;  // mean(x) - mean(y)
  double pooled_sd = 0;   // after the floor below
  double t = 0;
  double dof = 0;
  double p_two_sided = 1;  // 1 when both samples are identical
};

// Pooled two-sample t test of mean(x) = mean(y). `sd_floor` (>= 0) is the
// smallest standard deviation the test assumes: values that agree to
// rounding then give p near 1 instead of 0 (the pooled sd of constant
// samples is 0). Needs x.size() >= 1, y.size() >= 1 and x.size() + y.size()
// >= 3; non-finite values give p = 0 unless both samples hold the same
// non-finite value at every position.
TwoSampleTest PooledTwoSampleT(const std::vector<double>& x, const std::vector<double>& y,
                               double sd_floor);

// The seed-paired difference a - b with one-sided Student t bounds on its
// mean: lo is the lower and hi the upper one-sided `level` bound (each
// mean -/+ t(level, n - 1) sd / sqrt(n)). Every field is NaN unless the two
// samples have the same length n >= 2 and every difference is finite, so
// that a claim on it fails.
struct PairedDifference {
  double mean, sd, lo, hi;
};
PairedDifference PairedDifferenceBounds(const std::vector<double>& a,
                                        const std::vector<double>& b, double level);

// The q-quantile of `v` (q in [0, 1]), interpolating linearly between order
// statistics (type 7); `v` must not be empty.
double Quantile(std::vector<double> v, double q);

// Ranks of `v`, 1-based; tied values share their mean rank.
std::vector<double> Ranks(const std::vector<double>& v);

// Spearman's rank correlation of x and y (average ranks for ties).
double SpearmanCorrelation(const std::vector<double>& x, const std::vector<double>& y);

// The permutation null of a mean correlation: the `quantile` quantile of the
// mean over runs of Spearman's correlation when runs have `sizes` points and
// no association (Monte Carlo over `permutations` random permutations,
// seeded: deterministic). NaN when a run has fewer than 3 points.
double SpearmanChanceLevel(const std::vector<int>& sizes, double quantile, int permutations,
                           uint64_t seed);

// A power-law fit: the least-squares slope of log(y) against log(x) and how
// many of the given pairs it rests on (pairs with a non-positive or
// non-finite member are left out and counted as missing).
struct LogLogFit {
  double slope = 0.0;  // NaN when fewer than two pairs remain
  int points = 0;      // pairs used
  int missing = 0;     // pairs left out
};
LogLogFit FitLogLog(const std::vector<double>& x, const std::vector<double>& y);

// FitLogLog(x, y).slope, for callers that report the pairs they pass in.
double LogLogSlope(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace warmup

#endif  // WARMUP_LIB_STATS_STATS_H_
