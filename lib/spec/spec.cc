// Parsing and tiering experiment specs, and building them (parse, tier,
// validate; validation is in validate.cc).
#include "lib/spec/spec.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

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

absl::StatusOr<spec::Experiment> BuildExperiment(const std::string& text,
                                                 const std::string& path,
                                                 const std::string& tier) {
  absl::StatusOr<spec::Experiment> parsed = ParseExperiment(text, path);
  if (!parsed.ok()) return parsed.status();
  if (absl::Status st = ValidateSpecAsWritten(*parsed); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", st.message()));
  }
  // Every tier is validated, not only the one asked for: a mistake in a
  // cpu-tier claim is found by a smoke run too, before anything trains.
  for (const spec::Tier& t : parsed->tiers()) {
    if (t.name() == tier) continue;
    absl::StatusOr<spec::Experiment> other = ApplyTier(*parsed, t.name());
    absl::Status st = other.ok() ? ValidateExperiment(*other) : other.status();
    if (!st.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " (tier ", t.name(), "): ", st.message()));
    }
  }
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
