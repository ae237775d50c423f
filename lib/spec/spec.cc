#include "lib/spec/spec.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "lib/problems/make_objective.h"
#include "lib/schedule/schedule.h"

namespace warmup {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Keeps the first parse error with its position (protobuf counts from 0).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (!has_error_) {
      has_error_ = true;
      line_ = line + 1;
      column_ = column + 1;
      message_ = message;
    }
  }
  bool has_error_ = false;
  int line_ = 0, column_ = 0;
  std::string message_;
};

bool IsName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// Merges src into dst, except that a repeated field set in src replaces
// dst's list. Messages are merged recursively (setting a oneof member
// switches the oneof); scalars and lists come from one ordinary merge of src
// with its message fields cleared.
void MergeReplacingLists(const Message& src, Message* dst) {
  const Reflection* rs = src.GetReflection();
  const Reflection* rd = dst->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  rs->ListFields(src, &fields);
  std::unique_ptr<Message> flat(src.New());
  flat->CopyFrom(src);
  for (const FieldDescriptor* f : fields) {
    if (f->is_repeated()) {
      rd->ClearField(dst, f);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      MergeReplacingLists(rs->GetMessage(src, f), rd->MutableMessage(dst, f));
      flat->GetReflection()->ClearField(flat.get(), f);
    }
  }
  dst->MergeFrom(*flat);
}

}  // namespace

absl::StatusOr<spec::Experiment> ParseExperiment(const std::string& text,
                                                 const std::string& path) {
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  spec::Experiment experiment;
  if (!parser.ParseFromString(text, &experiment)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%d:%d: %s", path, errors.line_, errors.column_,
        errors.has_error_ ? errors.message_ : "cannot parse spec"));
  }
  return experiment;
}

absl::StatusOr<spec::Experiment> ApplyTier(const spec::Experiment& base,
                                           const std::string& tier) {
  const std::string name = tier.empty() ? base.default_tier() : tier;
  spec::Experiment out = base;
  out.clear_tiers();
  if (name.empty()) return out;
  std::vector<std::string> known;
  for (const spec::Tier& t : base.tiers()) {
    known.push_back(t.name());
    if (t.name() == name) {
      MergeReplacingLists(t.overrides(), &out);
      return out;
    }
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "unknown tier '%s': this spec defines %s", name,
      known.empty() ? "no tiers" : absl::StrJoin(known, ", ")));
}

absl::Status ValidateExperiment(const spec::Experiment& e) {
  auto bad = [](const std::string& what) {
    return absl::InvalidArgumentError(what);
  };
  if (!IsName(e.name())) {
    return bad(absl::StrFormat(
        "name: expected a non-empty [a-z0-9_]+ identifier, got '%s'", e.name()));
  }
  if (!e.include().empty()) {
    // A composite: its parts are validated when they are loaded.
    for (const spec::Claim& c : e.claims()) {
      if (c.op() == spec::Claim::OP_UNSPECIFIED || c.rationale().empty()) {
        return bad(absl::StrFormat("claims '%s': op and rationale must be set", c.id()));
      }
    }
    return absl::OkStatus();
  }
  if (e.iterations() <= 0 && e.sweep().horizons_size() == 0) {
    return bad(absl::StrFormat("iterations: must be > 0, got %d",
                               e.iterations()));
  }
  if (e.problem().kind_case() == spec::Problem::KIND_NOT_SET) {
    return bad(
        "problem: no kind set; expected one of river_valley, cosh_valley, "
        "speedup_instance, network");
  }
  if (e.problem().kind_case() != spec::Problem::kNetwork) {
    if (absl::Status st = ValidateSyntheticProblem(e.problem()); !st.ok()) {
      return st;
    }
  }
  if (e.schedules().empty() && e.sweep().horizons_size() == 0) {
    return bad("schedules: at least one schedule is required");
  }
  std::set<std::string> labels;
  for (const spec::Schedule& s : e.schedules()) {
    if (absl::Status st = ValidateSchedule(s); !st.ok()) return st;
    if (!IsName(s.label())) {
      return bad(absl::StrFormat(
          "schedules.label: expected [a-z0-9_]+, got '%s'", s.label()));
    }
    if (!labels.insert(s.label()).second) {
      return bad(absl::StrFormat("schedules.label: '%s' appears twice",
                                 s.label()));
    }
  }
  for (int64_t h : e.sweep().horizons()) {
    if (h <= 0) {
      return bad(absl::StrFormat("sweep.horizons: must be > 0, got %d", h));
    }
  }
  if (e.record().every() < 0) return bad("record.every: must be >= 0");
  if (e.optimizer().divergence_factor() < 0) {
    return bad("optimizer.divergence_factor: must be >= 0");
  }
  for (const spec::Panel& p : e.figure().panels()) {
    if (p.metric().empty()) return bad("figure.panels.metric: must be set");
    for (const std::string& run : p.runs()) {
      if (labels.count(run) == 0 && e.sweep().horizons_size() == 0) {
        return bad(absl::StrFormat(
            "figure.panels.runs: '%s' is not a schedule label", run));
      }
    }
  }
  std::set<std::string> ids;
  for (const spec::Claim& c : e.claims()) {
    if (!IsName(c.id())) {
      return bad(absl::StrFormat("claims.id: expected [a-z0-9_]+, got '%s'",
                                 c.id()));
    }
    if (!ids.insert(c.id()).second) {
      return bad(absl::StrFormat("claims.id: '%s' appears twice", c.id()));
    }
    if (c.metric().empty()) {
      return bad(absl::StrFormat("claims '%s': metric must be set", c.id()));
    }
    if (c.op() == spec::Claim::OP_UNSPECIFIED) {
      return bad(absl::StrFormat(
          "claims '%s': op must be one of LE, LT, GE, GT, EQ", c.id()));
    }
    if (c.rationale().empty()) {
      return bad(absl::StrFormat(
          "claims '%s': rationale must say where the threshold came from",
          c.id()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<spec::Experiment> BuildExperiment(const std::string& text,
                                                 const std::string& path,
                                                 const std::string& tier) {
  absl::StatusOr<spec::Experiment> parsed = ParseExperiment(text, path);
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<spec::Experiment> tiered = ApplyTier(*parsed, tier);
  if (!tiered.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", tiered.status().message()));
  }
  if (absl::Status st = ValidateExperiment(*tiered); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", st.message()));
  }
  return tiered;
}

absl::StatusOr<spec::Experiment> LoadExperiment(const std::string& path,
                                                const std::string& tier) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrFormat("cannot read spec file '%s'", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return BuildExperiment(text.str(), path, tier);
}

}  // namespace warmup
