#include "lib/reference/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace warmup {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// Series kept per reference: about this many points, evenly spaced in index,
// fewer when there are many series (a reference stays under ~50 KiB), never
// fewer than kMinSeriesPoints.
constexpr int kSeriesPoints = 100;
constexpr int kReferencePoints = 1500;
constexpr int kMinSeriesPoints = 25;
// Deterministic rule: |fresh - stored| <= kRelative |stored| + kAbsolute.
constexpr double kRelative = 1e-9;
constexpr double kAbsolute = 1e-12;
// Seeded rule: max(kSeedSds sd, kSeedFloor |stored|, kAbsoluteFloor); with
// no per-seed values, max(kNoSpreadFloor |stored|, kAbsoluteFloor).
constexpr double kSeedSds = 4.0;
constexpr double kSeedFloor = 0.05;
constexpr double kNoSpreadFloor = 0.25;
constexpr double kAbsoluteFloor = 1e-9;

const char kDeterministicRule[] =
    "deterministic run: |fresh - stored| <= 1e-9 |stored| + 1e-12";
// A seeded series may have this fraction of its points outside their
// tolerance: Hessian norms spike, and a spike moves one or two points of a
// short series, while a shifted or rescaled curve moves most of them.
constexpr double kSeriesOutliers = 0.2;
const char kSeededRule[] =
    "seeded network runs: |fresh - stored| <= max(4 sd, 5% |stored|, 1e-9), sd = "
    "sample standard deviation of the quantity over the run's seeds; a pooled fit "
    "(pooled_<q>) takes the spread of the per-seed <q>; with no per-seed values "
    "max(25% |stored|, 1e-9). A series is the seed mean per x, sd = max(the seeds' sd "
    "at x, the series' pooled relative sd x |mean|), and may have 20% of its points "
    "outside";

double DeterministicTolerance(double v) {
  return std::isfinite(v) ? kRelative * std::abs(v) + kAbsolute : 0.0;
}

double SeededTolerance(const std::vector<double>& values, double mean) {
  if (!std::isfinite(mean)) return 0.0;
  if (values.size() < 2) return std::max(kNoSpreadFloor * std::abs(mean), kAbsoluteFloor);
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  const double sd = std::sqrt(ss / (values.size() - 1));
  return std::max({kSeedSds * sd, kSeedFloor * std::abs(mean), kAbsoluteFloor});
}

// "sgd/seed2" -> "sgd"; "fig1a/sgd/seed0.final_loss" -> "fig1a/sgd.final_loss".
// `found` tells whether a "/seed<k>" part was removed.
std::string WithoutSeed(const std::string& name, bool* found) {
  size_t pos = 0;
  while ((pos = name.find("/seed", pos)) != std::string::npos) {
    size_t end = pos + 5;
    while (end < name.size() && absl::ascii_isdigit(name[end])) ++end;
    if (end > pos + 5 && (end == name.size() || name[end] == '.' || name[end] == '/')) {
      *found = true;
      return name.substr(0, pos) + name.substr(end);
    }
    pos = end;
  }
  *found = false;
  return name;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The scalars a reference keeps, with their tolerances. Seeded runs keep the
// seed means (the per-seed values give the spread) and drop "<q>_sd".
std::vector<ReferenceValue> ScalarValues(const spec::Result& result, bool seeded) {
  std::vector<ReferenceValue> out;
  if (!seeded) {
    for (const spec::Scalar& s : result.scalars()) {
      out.push_back({s.name(), s.value(), DeterministicTolerance(s.value()), 1});
    }
    return out;
  }
  std::map<std::string, std::vector<double>> per_seed;
  std::set<std::string> names;
  for (const spec::Scalar& s : result.scalars()) {
    bool found = false;
    const std::string base = WithoutSeed(s.name(), &found);
    if (found) {
      per_seed[base].push_back(s.value());
    } else {
      names.insert(s.name());
    }
  }
  for (const spec::Scalar& s : result.scalars()) {
    if (names.count(s.name()) == 0) continue;
    if (EndsWith(s.name(), "_sd") &&
        names.count(s.name().substr(0, s.name().size() - 3)) > 0) {
      continue;
    }
    std::vector<double> values = per_seed[s.name()];
    const size_t pooled = s.name().find(".pooled_");
    if (values.empty() && pooled != std::string::npos) {
      // "sgd.pooled_spearman": the spread of the per-seed "sgd.spearman".
      values = per_seed[s.name().substr(0, pooled + 1) + s.name().substr(pooled + 8)];
      if (values.size() >= 2) {
        double mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
        for (double& v : values) v += s.value() - mean;  // same spread around this value
      }
    }
    out.push_back({s.name(), s.value(), SeededTolerance(values, s.value()),
                   std::max<int>(1, values.size())});
  }
  return out;
}

double Propagate(const ClaimOperands& ops, double value,
                 const std::map<std::string, ReferenceValue>& scalars, bool* known) {
  auto get = [&](const std::string& name) -> const ReferenceValue* {
    auto it = scalars.find(name);
    return it == scalars.end() ? nullptr : &it->second;
  };
  const ReferenceValue* a = get(ops.metric);
  *known = a != nullptr;
  if (a == nullptr) return 0;
  double tol = a->tolerance;
  if (!ops.divided_by.empty()) {
    const ReferenceValue* b = get(ops.divided_by);
    *known = b != nullptr && a->value != 0 && b->value != 0;
    if (!*known) return 0;
    tol = std::abs(value) * std::hypot(a->tolerance / a->value, b->tolerance / b->value);
  }
  if (!ops.minus.empty()) {
    const ReferenceValue* b = get(ops.minus);
    *known = b != nullptr;
    if (!*known) return 0;
    tol = std::hypot(tol, b->tolerance);
  }
  return tol;
}

std::vector<ReferenceValue> ClaimValues(const spec::Result& result, bool seeded,
                                        const std::vector<ReferenceValue>& scalars,
                                        const std::map<std::string, ClaimOperands>& ops) {
  std::map<std::string, ReferenceValue> by_name;
  for (const ReferenceValue& s : scalars) by_name[s.name] = s;
  std::vector<ReferenceValue> out;
  for (const spec::ClaimVerdict& v : result.claims()) {
    ReferenceValue c{v.id(), v.value(), DeterministicTolerance(v.value()), 1};
    if (seeded) {
      c.tolerance = SeededTolerance({}, v.value());
      auto it = ops.find(v.id());
      bool known = false;
      if (it != ops.end()) {
        const double t = Propagate(it->second, v.value(), by_name, &known);
        if (known) {
          c.tolerance = std::max(t, kAbsoluteFloor);
          c.seeds = by_name[it->second.metric].seeds;
        }
      }
    }
    out.push_back(c);
  }
  return out;
}

bool IndexAxis(const std::string& x_name) {
  return x_name == "step" || x_name == "horizon";
}

// Every series in full: as recorded (deterministic), or merged over seeds
// per schedule label with a per-point tolerance (seeded). Seeded scatter
// series (x another metric) are not kept: their x differs between seeds.
std::vector<ReferenceSeries> FullSeries(const spec::Result& result, bool seeded) {
  std::vector<ReferenceSeries> out;
  if (!seeded) {
    for (const spec::Series& s : result.series()) {
      ReferenceSeries r{s.run(), s.metric(), s.x_name(), 0, 1, {}, {}, {}};
      const int n = std::min(s.x_size(), s.y_size());
      r.x.assign(s.x().begin(), s.x().begin() + n);
      r.y.assign(s.y().begin(), s.y().begin() + n);
      for (double y : r.y) r.tolerance.push_back(DeterministicTolerance(y));
      r.recorded_points = n;
      out.push_back(std::move(r));
    }
    return out;
  }
  using Key = std::tuple<std::string, std::string, std::string>;
  std::vector<Key> order;
  std::map<Key, std::vector<const spec::Series*>> groups;
  for (const spec::Series& s : result.series()) {
    if (!IndexAxis(s.x_name())) continue;
    bool found = false;
    const Key key{WithoutSeed(s.run(), &found), s.metric(), s.x_name()};
    if (groups[key].empty()) order.push_back(key);
    groups[key].push_back(&s);
  }
  for (const Key& key : order) {
    const std::vector<const spec::Series*>& seeds = groups[key];
    ReferenceSeries r{std::get<0>(key), std::get<1>(key), std::get<2>(key), 0,
                      static_cast<int>(seeds.size()), {}, {}, {}};
    const spec::Series& first = *seeds.front();
    std::vector<double> sd;  // the seeds' sample sd at each x
    for (int i = 0; i < std::min(first.x_size(), first.y_size()); ++i) {
      std::vector<double> values;
      for (const spec::Series* s : seeds) {
        if (i >= s->x_size() || i >= s->y_size() || s->x(i) != first.x(i)) break;
        values.push_back(s->y(i));
      }
      if (values.size() != seeds.size()) break;  // a seed ended (diverged)
      const double mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
      double ss = 0;
      for (double v : values) ss += (v - mean) * (v - mean);
      r.x.push_back(first.x(i));
      r.y.push_back(mean);
      sd.push_back(values.size() >= 2 ? std::sqrt(ss / (values.size() - 1)) : 0.0);
    }
    // The series' pooled relative spread, sqrt(mean over x of (sd / |mean|)^2),
    // steadies the sd of three seeds at one x.
    double sum_sq = 0;
    int counted = 0;
    for (size_t i = 0; i < r.y.size(); ++i) {
      if (r.y[i] == 0 || !std::isfinite(r.y[i]) || !std::isfinite(sd[i])) continue;
      sum_sq += (sd[i] / r.y[i]) * (sd[i] / r.y[i]);
      ++counted;
    }
    const double relative_sd = counted > 0 ? std::sqrt(sum_sq / counted) : 0.0;
    for (size_t i = 0; i < r.y.size(); ++i) {
      const double spread = std::max(sd[i], relative_sd * std::abs(r.y[i]));
      r.tolerance.push_back(
          !std::isfinite(r.y[i]) ? 0.0
          : seeds.size() < 2
              ? std::max(kNoSpreadFloor * std::abs(r.y[i]), kAbsoluteFloor)
              : std::max({kSeedSds * spread, kSeedFloor * std::abs(r.y[i]), kAbsoluteFloor}));
    }
    r.recorded_points = r.x.size();
    out.push_back(std::move(r));
  }
  return out;
}

ReferenceSeries Subsample(const ReferenceSeries& full, int keep) {
  const int n = full.x.size();
  if (n <= keep) return full;
  ReferenceSeries r = full;
  r.x.clear();
  r.y.clear();
  r.tolerance.clear();
  for (int k = 0; k < keep; ++k) {
    const int i = static_cast<int>(std::lround(k * (n - 1.0) / (keep - 1)));
    r.x.push_back(full.x[i]);
    r.y.push_back(full.y[i]);
    r.tolerance.push_back(full.tolerance[i]);
  }
  return r;
}

std::string Timestamp(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return google::protobuf::util::TimeUtil::ToString(t);
}

// ------------------------------------------------------------------- JSON

std::string Number(double v) {
  if (std::isnan(v)) return "\"NaN\"";
  if (std::isinf(v)) return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  if (v == 0) return "0";  // no "-0"
  return absl::StrFormat("%.12g", v);
}

std::string String(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string ValueLine(const ReferenceValue& v, const char* key, const std::string& extra) {
  return absl::StrCat("    {", String(key), ": ", String(v.name), ", \"value\": ",
                      Number(v.value), ", \"tolerance\": ", Number(v.tolerance),
                      ", \"seeds\": ", v.seeds, extra, "}");
}

// Reading: a tiny typed view over protobuf's Struct.
absl::Status Missing(const std::string& path, const std::string& field) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": not a reference file: field '", field,
      "' is missing or has the wrong type (rewrite it with --update_reference)"));
}

bool GetNumber(const Value& v, double* out) {
  if (v.kind_case() == Value::kNumberValue) {
    *out = v.number_value();
    return true;
  }
  if (v.kind_case() != Value::kStringValue) return false;
  const std::string& s = v.string_value();
  if (s == "NaN") *out = std::numeric_limits<double>::quiet_NaN();
  else if (s == "Infinity") *out = std::numeric_limits<double>::infinity();
  else if (s == "-Infinity") *out = -std::numeric_limits<double>::infinity();
  else return false;
  return true;
}

struct Reader {
  const std::string& path;
  absl::Status status;

  const Value* Field(const Struct& s, const std::string& name) {
    auto it = s.fields().find(name);
    if (it == s.fields().end()) {
      if (status.ok()) status = Missing(path, name);
      return nullptr;
    }
    return &it->second;
  }
  std::string Str(const Struct& s, const std::string& name) {
    const Value* v = Field(s, name);
    if (v != nullptr && v->kind_case() == Value::kStringValue) return v->string_value();
    if (v != nullptr && status.ok()) status = Missing(path, name);
    return "";
  }
  double Num(const Struct& s, const std::string& name) {
    const Value* v = Field(s, name);
    double out = 0;
    if (v != nullptr && !GetNumber(*v, &out) && status.ok()) status = Missing(path, name);
    return out;
  }
  bool Bool(const Struct& s, const std::string& name) {
    const Value* v = Field(s, name);
    if (v != nullptr && v->kind_case() == Value::kBoolValue) return v->bool_value();
    if (v != nullptr && status.ok()) status = Missing(path, name);
    return false;
  }
  const Struct* Obj(const Struct& s, const std::string& name) {
    const Value* v = Field(s, name);
    if (v != nullptr && v->kind_case() == Value::kStructValue) return &v->struct_value();
    if (v != nullptr && status.ok()) status = Missing(path, name);
    return nullptr;
  }
  std::vector<const Value*> List(const Struct& s, const std::string& name) {
    std::vector<const Value*> out;
    const Value* v = Field(s, name);
    if (v == nullptr) return out;
    if (v->kind_case() != Value::kListValue) {
      if (status.ok()) status = Missing(path, name);
      return out;
    }
    for (const Value& e : v->list_value().values()) out.push_back(&e);
    return out;
  }
  ReferenceValue Quantity(const Value& v, const char* key) {
    ReferenceValue q;
    if (v.kind_case() != Value::kStructValue) {
      if (status.ok()) status = Missing(path, key);
      return q;
    }
    q.name = Str(v.struct_value(), key);
    q.value = Num(v.struct_value(), "value");
    q.tolerance = Num(v.struct_value(), "tolerance");
    q.seeds = static_cast<int>(Num(v.struct_value(), "seeds"));
    return q;
  }
};

}  // namespace

Reference MakeReference(const spec::Result& result, bool seeded_networks,
                        const std::map<std::string, ClaimOperands>& claims) {
  Reference r;
  r.experiment = result.experiment();
  r.tier = result.tier();
  r.seeded_networks = seeded_networks;
  r.rule = seeded_networks ? kSeededRule : kDeterministicRule;
  const spec::Provenance& p = result.provenance();
  r.provenance.git_commit = p.git_commit();
  r.provenance.spec_sha256 = p.spec_sha256();
  r.provenance.device = p.device();
  r.provenance.command_line = p.command_line();
  r.provenance.threads = p.threads();
  r.provenance.start_time = Timestamp(p.start_time());
  r.provenance.end_time = Timestamp(p.end_time());
  r.provenance.wall_seconds =
      std::max<double>(0, (p.end_time().seconds() - p.start_time().seconds()) +
                              1e-9 * (p.end_time().nanos() - p.start_time().nanos()));
  r.scalars = ScalarValues(result, seeded_networks);
  r.claims = ClaimValues(result, seeded_networks, r.scalars, claims);
  for (const spec::ClaimVerdict& v : result.claims()) r.claim_pass[v.id()] = v.pass();
  const std::vector<ReferenceSeries> series = FullSeries(result, seeded_networks);
  const int keep = std::clamp<int>(kReferencePoints / std::max<size_t>(1, series.size()),
                                   kMinSeriesPoints, kSeriesPoints);
  for (const ReferenceSeries& s : series) r.series.push_back(Subsample(s, keep));
  return r;
}

std::string ReferenceJson(const Reference& r) {
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"experiment\": ", String(r.experiment), ",\n");
  absl::StrAppend(&out, "  \"tier\": ", String(r.tier), ",\n");
  absl::StrAppend(&out, "  \"seeded_networks\": ", r.seeded_networks ? "true" : "false", ",\n");
  absl::StrAppend(&out, "  \"rule\": ", String(r.rule), ",\n");
  const ReferenceProvenance& p = r.provenance;
  absl::StrAppend(&out, "  \"provenance\": {\n",
                  "    \"git_commit\": ", String(p.git_commit), ",\n",
                  "    \"spec_sha256\": ", String(p.spec_sha256), ",\n",
                  "    \"device\": ", String(p.device), ",\n",
                  "    \"threads\": ", p.threads, ",\n",
                  "    \"command_line\": ", String(p.command_line), ",\n",
                  "    \"start_time\": ", String(p.start_time), ",\n",
                  "    \"end_time\": ", String(p.end_time), ",\n",
                  "    \"wall_seconds\": ", absl::StrFormat("%.1f", p.wall_seconds), "\n  },\n");
  out += "  \"claims\": [";
  for (size_t i = 0; i < r.claims.size(); ++i) {
    auto pass = r.claim_pass.find(r.claims[i].name);
    const bool passed = pass != r.claim_pass.end() && pass->second;
    absl::StrAppend(&out, i ? ",\n" : "\n",
                    ValueLine(r.claims[i], "id",
                              absl::StrCat(", \"pass\": ", passed ? "true" : "false")));
  }
  out += r.claims.empty() ? "],\n" : "\n  ],\n";
  out += "  \"scalars\": [";
  for (size_t i = 0; i < r.scalars.size(); ++i) {
    absl::StrAppend(&out, i ? ",\n" : "\n", ValueLine(r.scalars[i], "name", ""));
  }
  out += r.scalars.empty() ? "],\n" : "\n  ],\n";
  out += "  \"series\": [";
  for (size_t i = 0; i < r.series.size(); ++i) {
    const ReferenceSeries& s = r.series[i];
    absl::StrAppend(&out, i ? ",\n" : "\n", "    {\"run\": ", String(s.run),
                    ", \"metric\": ", String(s.metric), ", \"x_name\": ", String(s.x_name),
                    ", \"recorded_points\": ", s.recorded_points, ", \"seeds\": ", s.seeds,
                    ",\n     \"points\": [");
    for (size_t k = 0; k < s.x.size(); ++k) {
      absl::StrAppend(&out, k ? ",\n" : "\n", "      [", Number(s.x[k]), ", ", Number(s.y[k]));
      if (r.seeded_networks) absl::StrAppend(&out, ", ", Number(s.tolerance[k]));
      out += "]";
    }
    out += s.x.empty() ? "]}" : "\n     ]}";
  }
  out += r.series.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

absl::StatusOr<Reference> ParseReference(const std::string& json, const std::string& path) {
  Struct root;
  if (auto st = google::protobuf::util::JsonStringToMessage(json, &root); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not valid JSON: ", std::string(st.message())));
  }
  Reader in{path, absl::OkStatus()};
  Reference r;
  r.experiment = in.Str(root, "experiment");
  r.tier = in.Str(root, "tier");
  r.seeded_networks = in.Bool(root, "seeded_networks");
  r.rule = in.Str(root, "rule");
  if (const Struct* p = in.Obj(root, "provenance")) {
    r.provenance.git_commit = in.Str(*p, "git_commit");
    r.provenance.spec_sha256 = in.Str(*p, "spec_sha256");
    r.provenance.device = in.Str(*p, "device");
    r.provenance.threads = static_cast<int>(in.Num(*p, "threads"));
    r.provenance.command_line = in.Str(*p, "command_line");
    r.provenance.start_time = in.Str(*p, "start_time");
    r.provenance.end_time = in.Str(*p, "end_time");
    r.provenance.wall_seconds = in.Num(*p, "wall_seconds");
  }
  for (const Value* v : in.List(root, "claims")) {
    r.claims.push_back(in.Quantity(*v, "id"));
    if (v->kind_case() == Value::kStructValue) {
      r.claim_pass[r.claims.back().name] = in.Bool(v->struct_value(), "pass");
    }
  }
  for (const Value* v : in.List(root, "scalars")) r.scalars.push_back(in.Quantity(*v, "name"));
  for (const Value* v : in.List(root, "series")) {
    if (v->kind_case() != Value::kStructValue) return Missing(path, "series");
    const Struct& s = v->struct_value();
    ReferenceSeries series;
    series.run = in.Str(s, "run");
    series.metric = in.Str(s, "metric");
    series.x_name = in.Str(s, "x_name");
    series.recorded_points = static_cast<int64_t>(in.Num(s, "recorded_points"));
    series.seeds = static_cast<int>(in.Num(s, "seeds"));
    for (const Value* point : in.List(s, "points")) {
      const size_t want = r.seeded_networks ? 3 : 2;
      double x = 0, y = 0, tol = 0;
      if (point->kind_case() != Value::kListValue ||
          static_cast<size_t>(point->list_value().values_size()) != want ||
          !GetNumber(point->list_value().values(0), &x) ||
          !GetNumber(point->list_value().values(1), &y) ||
          (want == 3 && !GetNumber(point->list_value().values(2), &tol))) {
        return Missing(path, absl::StrCat("series ", series.run, "/", series.metric,
                                          " points (want [x, y", want == 3 ? ", tol]" : "]",
                                          ")"));
      }
      series.x.push_back(x);
      series.y.push_back(y);
      series.tolerance.push_back(want == 3 ? tol : DeterministicTolerance(y));
    }
    r.series.push_back(std::move(series));
  }
  if (!in.status.ok()) return in.status;
  return r;
}

namespace {

bool Within(double fresh, double stored, double tolerance) {
  if (!std::isfinite(stored) || !std::isfinite(fresh)) {
    return std::isnan(stored) ? std::isnan(fresh) : fresh == stored;
  }
  return std::abs(fresh - stored) <= tolerance;
}

void CompareValues(const char* kind, const std::vector<ReferenceValue>& stored,
                   const std::vector<ReferenceValue>& fresh,
                   std::vector<ReferenceCheck>* out) {
  std::map<std::string, double> by_name;
  for (const ReferenceValue& v : fresh) by_name[v.name] = v.value;
  for (const ReferenceValue& s : stored) {
    ReferenceCheck c{absl::StrCat(kind, " ", s.name), 0, s.value, s.tolerance, false, ""};
    auto it = by_name.find(s.name);
    if (it == by_name.end()) {
      c.value = std::numeric_limits<double>::quiet_NaN();
      c.note = "missing from the fresh run";
    } else {
      c.value = it->second;
      c.ok = Within(c.value, s.value, s.tolerance);
    }
    out->push_back(c);
  }
}

ReferenceCheck CompareSeries(const ReferenceSeries& stored, const ReferenceSeries* fresh,
                             bool seeded) {
  ReferenceCheck c{absl::StrCat("series ", stored.run, "/", stored.metric), 0, 0, 0, true, ""};
  if (fresh == nullptr) {
    c.ok = false;
    c.value = std::numeric_limits<double>::quiet_NaN();
    c.note = "missing from the fresh run";
    return c;
  }
  double worst = -1;
  int outside = 0;
  for (size_t k = 0; k < stored.x.size(); ++k) {
    const double x = stored.x[k];
    const double slack = 1e-9 * std::max(1.0, std::abs(x));
    auto it = std::lower_bound(fresh->x.begin(), fresh->x.end(), x - slack);
    if (it == fresh->x.end() || std::abs(*it - x) > slack) {
      c.ok = false;
      c.value = std::numeric_limits<double>::quiet_NaN();
      c.stored = stored.y[k];
      c.tolerance = stored.tolerance[k];
      c.note = absl::StrFormat("no point at %s %.12g (fresh run records %d points, to %s %.12g)",
                               stored.x_name, x, fresh->x.size(), stored.x_name,
                               fresh->x.empty() ? 0.0 : fresh->x.back());
      return c;
    }
    const double y = fresh->y[it - fresh->x.begin()];
    const double tol = stored.tolerance[k];
    const bool ok = Within(y, stored.y[k], tol);
    outside += ok ? 0 : 1;
    const double excess = ok ? std::abs(y - stored.y[k]) / std::max(tol, 1e-300) : 1e300;
    if (excess > worst) {
      worst = excess;
      c.value = y;
      c.stored = stored.y[k];
      c.tolerance = tol;
    }
  }
  const int allowed =
      seeded ? static_cast<int>(std::floor(kSeriesOutliers * stored.x.size())) : 0;
  c.ok = outside <= allowed;
  c.note = absl::StrFormat("worst of %d points", stored.x.size());
  if (outside > 0) {
    absl::StrAppendFormat(&c.note, "; %d outside, %d allowed", outside, allowed);
  }
  if (fresh->recorded_points != stored.recorded_points) {
    c.ok = false;
    absl::StrAppendFormat(&c.note, "; %d points recorded, stored %d", fresh->recorded_points,
                          stored.recorded_points);
  }
  return c;
}

}  // namespace

std::vector<ReferenceCheck> CompareWithReference(
    const spec::Result& fresh_result, const Reference& reference,
    const std::map<std::string, ClaimOperands>& claims) {
  const bool seeded = reference.seeded_networks;
  const std::vector<ReferenceValue> scalars = ScalarValues(fresh_result, seeded);
  const std::vector<ReferenceValue> claim_values =
      ClaimValues(fresh_result, seeded, scalars, claims);
  std::vector<ReferenceCheck> out;
  CompareValues("claim", reference.claims, claim_values, &out);
  CompareValues("scalar", reference.scalars, scalars, &out);
  const std::vector<ReferenceSeries> series = FullSeries(fresh_result, seeded);
  for (const ReferenceSeries& s : reference.series) {
    const ReferenceSeries* match = nullptr;
    for (const ReferenceSeries& f : series) {
      if (f.run == s.run && f.metric == s.metric && f.x_name == s.x_name) match = &f;
    }
    out.push_back(CompareSeries(s, match, seeded));
  }
  return out;
}

std::string ReferenceLine(const ReferenceCheck& c) {
  return absl::StrFormat("reference %s: %.6g vs %.6g (tolerance %.3g%s%s) %s", c.quantity,
                         c.value, c.stored, c.tolerance, c.note.empty() ? "" : ", ",
                         c.note, c.ok ? "OK" : "DRIFT");
}

}  // namespace warmup
