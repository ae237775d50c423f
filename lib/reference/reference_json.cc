// Reading and writing references as JSON (lib/reference/reference.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "lib/reference/reference.h"

namespace warmup {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// The file layout's version: a file of another version is rewritten with
// --update_reference, never read half-way.
constexpr int kFormat = 2;

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

template <typename T, typename Format>
std::string List(const std::vector<T>& items, const Format& format) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) absl::StrAppend(&out, i ? ", " : "", format(items[i]));
  return out + "]";
}

// `key`: [ one line per entry ],
template <typename T, typename Format>
void Block(const char* key, const std::vector<T>& entries, const Format& line, bool last,
           std::string* out) {
  absl::StrAppend(out, "  ", String(key), ": [");
  for (size_t i = 0; i < entries.size(); ++i) {
    absl::StrAppend(out, i ? ",\n    " : "\n    ", line(entries[i]));
  }
  absl::StrAppend(out, entries.empty() ? "]" : "\n  ]", last ? "\n" : ",\n");
}

std::string ProvenanceJson(const ReferenceProvenance& p) {
  return absl::StrCat("  \"provenance\": {\n", "    \"git_commit\": ", String(p.git_commit),
                      ",\n    \"spec_sha256\": ", String(p.spec_sha256),
                      ",\n    \"device\": ", String(p.device),
                      ",\n    \"kernels\": ", String(p.kernels),
                      ",\n    \"threads\": ", p.threads,
                      ",\n    \"command_line\": ", String(p.command_line),
                      ",\n    \"start_time\": ", String(p.start_time),
                      ",\n    \"end_time\": ", String(p.end_time),
                      ",\n    \"wall_seconds\": ", absl::StrFormat("%.1f", p.wall_seconds),
                      "\n  },\n");
}

// The excluded quantities grouped by reason, in order of first appearance.
std::vector<std::pair<std::string, std::vector<std::string>>> ByReason(
    const std::vector<ExcludedQuantity>& excluded) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const ExcludedQuantity& e : excluded) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == e.reason; });
    if (it == groups.end()) it = groups.insert(groups.end(), {e.reason, {}});
    it->second.push_back(e.name);
  }
  return groups;
}

}  // namespace

std::string ReferenceJson(const Reference& r) {
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"format\": ", kFormat, ",\n");
  absl::StrAppend(&out, "  \"experiment\": ", String(r.experiment), ",\n");
  absl::StrAppend(&out, "  \"tier\": ", String(r.tier), ",\n");
  absl::StrAppend(&out, "  \"seeded_networks\": ", r.seeded_networks ? "true" : "false", ",\n");
  absl::StrAppend(&out, "  \"rule\": ", String(r.rule), ",\n");
  out += ProvenanceJson(r.provenance);
  Block("claims", r.claims, [&](const ReferenceValue& c) {
    auto pass = r.claim_pass.find(c.name);
    return absl::StrCat("{\"id\": ", String(c.name), ", \"value\": ", Number(c.value),
                        ", \"pass\": ", pass != r.claim_pass.end() && pass->second ? "true" : "false",
                        "}");
  }, false, &out);
  if (!r.seeded_networks) {
    Block("scalars", r.scalars, [](const ReferenceValue& s) {
      return absl::StrCat("{\"name\": ", String(s.name), ", \"value\": ", Number(s.value), "}");
    }, false, &out);
    Block("series", r.series, [](const ReferenceSeries& s) {
      std::vector<std::pair<double, double>> points;
      for (size_t k = 0; k < s.x.size(); ++k) points.push_back({s.x[k], s.y[k]});
      return absl::StrCat("{\"run\": ", String(s.run), ", \"metric\": ", String(s.metric),
                          ", \"x_name\": ", String(s.x_name), ", \"recorded_points\": ",
                          s.recorded_points, ",\n     \"points\": ",
                          List(points, [](const std::pair<double, double>& p) {
                            return absl::StrCat("[", Number(p.first), ", ", Number(p.second), "]");
                          }),
                          "}");
    }, true, &out);
    return out + "}\n";
  }
  auto seed_list = [](const std::vector<int64_t>& seeds) {
    return List(seeds, [](int64_t s) { return absl::StrCat(s); });
  };
  absl::StrAppend(&out, "  \"spec_seeds\": ", seed_list(r.spec_seeds), ",\n");
  absl::StrAppend(&out, "  \"seeds\": ", seed_list(r.seeds), ",\n");
  std::vector<std::pair<std::string, std::string>> winners(r.winners.begin(), r.winners.end());
  Block("winners", winners, [](const std::pair<std::string, std::string>& w) {
    return absl::StrCat("{\"label\": ", String(w.first), ", \"winner\": ", String(w.second), "}");
  }, false, &out);
  Block("samples", r.samples, [](const SampleQuantity& q) {
    return absl::StrCat("{\"name\": ", String(q.name), ", \"scale\": ",
                        q.log_scale ? "\"log\"" : "\"linear\"", ", \"values\": ",
                        List(q.values, [](double v) { return Number(v); }), "}");
  }, false, &out);
  Block("first", r.tight, [](const TightQuantity& q) {
    return absl::StrCat("{\"name\": ", String(q.name), ", \"relative_tolerance\": ",
                        Number(q.relative_tolerance), ", \"values\": ",
                        List(q.values, [](double v) { return Number(v); }), "}");
  }, false, &out);
  Block("excluded", ByReason(r.excluded),
        [](const std::pair<std::string, std::vector<std::string>>& g) {
          return absl::StrCat("{\"reason\": ", String(g.first), ",\n     \"names\": ",
                              List(g.second, [](const std::string& n) { return String(n); }),
                              "}");
        },
        true, &out);
  return out + "}\n";
}

namespace {

absl::Status Missing(const std::string& path, const std::string& field) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": not a reference file of format ", kFormat, ": field '", field,
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

// A typed view over protobuf's Struct that records the first missing field.
struct Reader {
  const std::string& path;
  absl::Status status;

  const Value* Field(const Struct& s, const std::string& name) {
    auto it = s.fields().find(name);
    if (it != s.fields().end()) return &it->second;
    if (status.ok()) status = Missing(path, name);
    return nullptr;
  }
  template <typename Check>
  const Value* Typed(const Struct& s, const std::string& name, Check ok) {
    const Value* v = Field(s, name);
    if (v != nullptr && !ok(*v)) {
      if (status.ok()) status = Missing(path, name);
      return nullptr;
    }
    return v;
  }
  std::string Str(const Struct& s, const std::string& name) {
    const Value* v = Typed(s, name, [](const Value& x) { return x.has_string_value(); });
    return v == nullptr ? "" : v->string_value();
  }
  double Num(const Struct& s, const std::string& name) {
    double out = 0;
    const Value* v = Field(s, name);
    if (v != nullptr && !GetNumber(*v, &out) && status.ok()) status = Missing(path, name);
    return out;
  }
  bool Bool(const Struct& s, const std::string& name) {
    const Value* v = Typed(s, name, [](const Value& x) { return x.has_bool_value(); });
    return v != nullptr && v->bool_value();
  }
  const Struct* Obj(const Struct& s, const std::string& name) {
    const Value* v = Typed(s, name, [](const Value& x) { return x.has_struct_value(); });
    return v == nullptr ? nullptr : &v->struct_value();
  }
  // Each element of the list `name` that is an object.
  std::vector<const Struct*> Objects(const Struct& s, const std::string& name) {
    std::vector<const Struct*> out;
    const Value* v = Typed(s, name, [](const Value& x) { return x.has_list_value(); });
    if (v == nullptr) return out;
    for (const Value& e : v->list_value().values()) {
      if (!e.has_struct_value()) {
        if (status.ok()) status = Missing(path, name);
        return {};
      }
      out.push_back(&e.struct_value());
    }
    return out;
  }
  std::vector<double> Numbers(const Struct& s, const std::string& name) {
    std::vector<double> out;
    const Value* v = Typed(s, name, [](const Value& x) { return x.has_list_value(); });
    if (v == nullptr) return out;
    for (const Value& e : v->list_value().values()) {
      double x = 0;
      if (!GetNumber(e, &x) && status.ok()) status = Missing(path, name);
      out.push_back(x);
    }
    return out;
  }
};

void ReadProvenance(Reader& in, const Struct& root, ReferenceProvenance* p) {
  const Struct* s = in.Obj(root, "provenance");
  if (s == nullptr) return;
  p->git_commit = in.Str(*s, "git_commit");
  p->spec_sha256 = in.Str(*s, "spec_sha256");
  p->device = in.Str(*s, "device");
  p->kernels = in.Str(*s, "kernels");
  p->threads = static_cast<int>(in.Num(*s, "threads"));
  p->command_line = in.Str(*s, "command_line");
  p->start_time = in.Str(*s, "start_time");
  p->end_time = in.Str(*s, "end_time");
  p->wall_seconds = in.Num(*s, "wall_seconds");
}

void ReadDeterministic(Reader& in, const Struct& root, Reference* r) {
  for (const Struct* s : in.Objects(root, "scalars")) {
    const double v = in.Num(*s, "value");
    r->scalars.push_back({in.Str(*s, "name"), v, DeterministicTolerance(v)});
  }
  for (const Struct* s : in.Objects(root, "series")) {
    ReferenceSeries series{in.Str(*s, "run"), in.Str(*s, "metric"), in.Str(*s, "x_name"),
                           static_cast<int64_t>(in.Num(*s, "recorded_points")), {}, {}};
    const Value* points = in.Typed(*s, "points", [](const Value& x) { return x.has_list_value(); });
    for (int k = 0; points != nullptr && k < points->list_value().values_size(); ++k) {
      const Value& p = points->list_value().values(k);
      double x = 0, y = 0;
      if (!p.has_list_value() || p.list_value().values_size() != 2 ||
          !GetNumber(p.list_value().values(0), &x) || !GetNumber(p.list_value().values(1), &y)) {
        if (in.status.ok()) in.status = Missing(in.path, "series points ([x, y])");
        return;
      }
      series.x.push_back(x);
      series.y.push_back(y);
    }
    r->series.push_back(std::move(series));
  }
}

void ReadSeeded(Reader& in, const Struct& root, Reference* r) {
  for (double s : in.Numbers(root, "spec_seeds")) r->spec_seeds.push_back(static_cast<int64_t>(s));
  for (double s : in.Numbers(root, "seeds")) r->seeds.push_back(static_cast<int64_t>(s));
  for (const Struct* w : in.Objects(root, "winners")) {
    r->winners[in.Str(*w, "label")] = in.Str(*w, "winner");
  }
  for (const Struct* q : in.Objects(root, "samples")) {
    const std::string scale = in.Str(*q, "scale");
    if (scale != "log" && scale != "linear" && in.status.ok()) in.status = Missing(in.path, "scale");
    r->samples.push_back({in.Str(*q, "name"), scale == "log", in.Numbers(*q, "values")});
    if (r->samples.back().values.size() != r->seeds.size() && in.status.ok()) {
      in.status = Missing(in.path, absl::StrCat("values of ", r->samples.back().name,
                                                " (one per seed)"));
    }
  }
  for (const Struct* q : in.Objects(root, "first")) {
    r->tight.push_back(
        {in.Str(*q, "name"), in.Num(*q, "relative_tolerance"), in.Numbers(*q, "values")});
  }
  for (const Struct* g : in.Objects(root, "excluded")) {
    const std::string reason = in.Str(*g, "reason");
    const Value* names = in.Typed(*g, "names", [](const Value& x) { return x.has_list_value(); });
    for (int k = 0; names != nullptr && k < names->list_value().values_size(); ++k) {
      r->excluded.push_back({names->list_value().values(k).string_value(), reason});
    }
  }
}

}  // namespace

absl::StatusOr<Reference> ParseReference(const std::string& json, const std::string& path) {
  Struct root;
  if (auto st = google::protobuf::util::JsonStringToMessage(json, &root); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not valid JSON: ", std::string(st.message())));
  }
  Reader in{path, absl::OkStatus()};
  if (in.Num(root, "format") != kFormat) return Missing(path, "format");
  Reference r;
  r.experiment = in.Str(root, "experiment");
  r.tier = in.Str(root, "tier");
  r.seeded_networks = in.Bool(root, "seeded_networks");
  r.rule = in.Str(root, "rule");
  ReadProvenance(in, root, &r.provenance);
  for (const Struct* c : in.Objects(root, "claims")) {
    const double v = in.Num(*c, "value");
    r.claims.push_back({in.Str(*c, "id"), v, DeterministicTolerance(v)});
    r.claim_pass[r.claims.back().name] = in.Bool(*c, "pass");
  }
  if (r.seeded_networks) {
    ReadSeeded(in, root, &r);
  } else {
    ReadDeterministic(in, root, &r);
  }
  if (!in.status.ok()) return in.status;
  return r;
}

}  // namespace warmup
