#ifndef WARMUP_LIB_ENGINES_RESULT_UTIL_H_
#define WARMUP_LIB_ENGINES_RESULT_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// A spec's seeds (default: the single seed 0).
std::vector<int64_t> SeedsOf(const spec::Experiment& experiment);

// The runs' schedule labels: the spec's schedules, then its tuned baselines.
std::vector<std::string> LabelsOf(const spec::Experiment& experiment);

// The name of one run: "<label>" when the spec has one seed,
// "<label>/seed<k>" when it has several. Every engine names runs here.
std::string RunName(const std::string& label, int64_t seed, size_t seeds);

// A number in a table cell: four significant digits.
std::string TableNumber(double value);

// A row of the Result's "measurement_failures" table: what failed, where
// and why.
void RecordFailure(const std::string& run, const std::string& what, const std::string& why,
                   spec::Result* result);

// Appends a named scalar to a Result (every engine reports through these).
void AddScalar(const std::string& name, double value, spec::Result* result);

// Appends a series metric(run) against x_name and returns it.
spec::Series* AddSeries(const std::string& run, const std::string& metric,
                        const std::string& x_name, const std::vector<double>& x,
                        const std::vector<double>& y, spec::Result* result);

// The Result's table `name`, added with `columns` when it is not there yet,
// so that several engines can append rows to one table.
spec::Table* TableNamed(const std::string& name,
                        const std::vector<std::string>& columns,
                        spec::Result* result);

}  // namespace warmup

#endif  // WARMUP_LIB_ENGINES_RESULT_UTIL_H_
