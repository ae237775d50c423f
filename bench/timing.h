#ifndef WARMUP_BENCH_TIMING_H_
#define WARMUP_BENCH_TIMING_H_

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace warmup {

// Wall-clock seconds of one call of f.
inline double Seconds(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Median, minimum and maximum of a set of timings.
struct Stats {
  double median = 0, min = 0, max = 0;
};

inline Stats Summarize(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

}  // namespace warmup

#endif  // WARMUP_BENCH_TIMING_H_
