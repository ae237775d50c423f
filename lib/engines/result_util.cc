#include "lib/engines/result_util.h"

#include <cmath>
#include <numeric>

namespace warmup {

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
