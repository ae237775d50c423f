#include "lib/engines/result_util.h"

#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace warmup {

std::vector<int64_t> SeedsOf(const spec::Experiment& e) {
  if (e.seeds().empty()) return {0};
  return {e.seeds().begin(), e.seeds().end()};
}

std::vector<std::string> LabelsOf(const spec::Experiment& e) {
  std::vector<std::string> labels;
  for (const spec::Schedule& s : e.schedules()) labels.push_back(s.label());
  for (const spec::TunedBaseline& b : e.tuned()) labels.push_back(b.label());
  return labels;
}

std::string RunName(const std::string& label, int64_t seed, size_t seeds) {
  return seeds > 1 ? absl::StrCat(label, "/seed", seed) : label;
}

std::string TableNumber(double value) { return absl::StrFormat("%.4g", value); }

void RecordFailure(const std::string& run, const std::string& what, const std::string& why,
                   spec::Result* result) {
  spec::Table* table = TableNamed("measurement_failures", {"run", "what", "reason"}, result);
  auto* row = table->add_rows();
  for (const std::string& cell : {run, what, why}) row->add_cells(cell);
}

void AddScalar(const std::string& name, double value, spec::Result* result) {
  spec::Scalar* s = result->add_scalars();
  s->set_name(name);
  s->set_value(value);
}

spec::Table* TableNamed(const std::string& name,
                        const std::vector<std::string>& columns,
                        spec::Result* result) {
  for (spec::Table& t : *result->mutable_tables()) {
    if (t.name() == name) return &t;
  }
  spec::Table* table = result->add_tables();
  table->set_name(name);
  for (const std::string& c : columns) table->add_columns(c);
  return table;
}

spec::Series* AddSeries(const std::string& run, const std::string& metric,
                        const std::string& x_name, const std::vector<double>& x,
                        const std::vector<double>& y, spec::Result* result) {
  spec::Series* s = result->add_series();
  s->set_run(run);
  s->set_metric(metric);
  s->set_x_name(x_name);
  *s->mutable_x() = {x.begin(), x.end()};
  *s->mutable_y() = {y.begin(), y.end()};
  return s;
}

}  // namespace warmup
