#ifndef WARMUP_LIB_ENGINES_RESULT_UTIL_H_
#define WARMUP_LIB_ENGINES_RESULT_UTIL_H_

#include <string>
#include <vector>

#include "proto/result.pb.h"

namespace warmup {

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
