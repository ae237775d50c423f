// Stored Results and references: reading a Result file, counting a tier's
// reference tests, and writing references from Results made elsewhere.
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "lib/engines/result_util.h"
#include "lib/io/output_batch.h"
#include "lib/io/sha256.h"
#include "lib/reproduce/plan.h"
#include "lib/reproduce/reproduce.h"
#include "lib/spec/spec.h"

namespace warmup {

namespace fs = std::filesystem;

absl::StatusOr<spec::Result> ReadResult(const std::string& path) {
  std::string text;
  if (absl::Status st = ReadFile(path, &text); !st.ok()) {
    return absl::NotFoundError(absl::StrCat("cannot read Result file '", path, "'"));
  }
  spec::Result result;
  if (absl::EndsWith(path, ".json")) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    if (auto st = google::protobuf::util::JsonStringToMessage(text, &result, options);
        !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": not a Result in JSON: ", std::string(st.message())));
    }
  } else if (!google::protobuf::TextFormat::ParseFromString(text, &result)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a Result in text format (expected result.textproto or result.json)"));
  }
  if (result.experiment().empty() || result.tier().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the Result names no experiment or tier"));
  }
  return result;
}

int TierTestCount(const std::string& reference_dir, const std::string& tier) {
  int tests = 0;
  std::error_code ec;
  const std::string suffix = absl::StrCat(".", tier, ".json");
  for (const auto& entry : fs::directory_iterator(reference_dir, ec)) {
    const std::string path = entry.path().string();
    std::string json;
    if (!absl::EndsWith(path, suffix) || !ReadFile(path, &json).ok()) continue;
    absl::StatusOr<Reference> ref = ParseReference(json, path);
    if (ref.ok()) tests += TestCount(*ref);
  }
  return tests;
}

absl::StatusOr<std::vector<std::string>> ReferencesFromResults(
    const std::vector<std::string>& result_paths, const std::string& experiments_dir,
    const std::string& reference_dir) {
  std::vector<std::string> written;
  for (const std::string& path : result_paths) {
    absl::StatusOr<spec::Result> result = ReadResult(path);
    if (!result.ok()) return result.status();
    const std::string spec_path =
        absl::StrCat(experiments_dir, "/", result->experiment(), ".textproto");
    absl::StatusOr<spec::Experiment> e = LoadExperiment(spec_path, result->tier());
    if (!e.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": its experiment '", result->experiment(), "' at tier '", result->tier(),
          "' has no valid spec: ", e.status().message()));
    }
    std::string spec_text;
    if (ReadFile(spec_path, &spec_text).ok() &&
        Sha256Hex(spec_text) != result->provenance().spec_sha256()) {
      std::fprintf(stderr,
                   "warning: %s was made from a different version of %s (spec SHA-256 %s, "
                   "now %s); its claims may differ from the spec's\n",
                   path.c_str(), spec_path.c_str(),
                   result->provenance().spec_sha256().c_str(), Sha256Hex(spec_text).c_str());
    }
    ReferenceInputs in;
    in.result = &*result;
    absl::StatusOr<bool> networks = HasNetworks(*e, spec_path, result->tier());
    if (!networks.ok()) return networks.status();
    in.seeded_networks = *networks;
    in.spec_seeds = SeedsOf(*e);
    for (const std::string& include : e->include()) {
      in.included.push_back(fs::path(include).stem().string());
    }
    absl::StatusOr<Reference> ref = MakeReference(in);
    if (!ref.ok()) return ref.status();
    std::error_code ec;
    fs::create_directories(reference_dir, ec);
    const std::string out = ReferencePath(reference_dir, result->experiment(), result->tier());
    if (absl::Status st = WriteFileAtomically(out, ReferenceJson(*ref)); !st.ok()) return st;
    written.push_back(out);
  }
  return written;
}

}  // namespace warmup
