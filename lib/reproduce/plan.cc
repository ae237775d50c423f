// Planning a //:reproduce run: every selected spec loaded, checked and
// ordered before anything runs, and the stamp that says whether a finished
// output can be reused.
#include "lib/reproduce/plan.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/engines/network.h"
#include "lib/io/output_batch.h"
#include "lib/io/provenance.h"
#include "lib/io/sha256.h"
#include "lib/runner/declared.h"
#include "lib/spec/spec.h"

namespace warmup {

namespace fs = std::filesystem;

namespace {

// One spec at the tier: loaded, named after its file, every name its claims
// and panels use checked against what its engine declares (at every tier),
// with its includes, the hash of all their text and its stored timing.
absl::StatusOr<Planned> PlanSpec(const std::string& path, const std::string& name,
                                 const ReproduceOptions& o) {
  std::string text;
  if (absl::Status st = ReadFile(path, &text); !st.ok()) return st;
  absl::StatusOr<spec::Experiment> e = BuildExperiment(text, path, o.run.tier);
  if (!e.ok()) return e.status();
  if (e->name() != name) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: name '%s' differs from the file name; expected name: \"%s\"", path, e->name(),
        name));
  }
  if (absl::Status st = CheckSpecNames(path, AllEngines()); !st.ok()) return st;
  Planned p{name, path, *e, {}, "", -1};
  absl::StatusOr<std::vector<spec::Experiment>> includes =
      LoadIncludes(*e, path, o.run.tier, &text);
  if (!includes.ok()) return includes.status();
  p.includes = *std::move(includes);
  p.inputs_sha256 = Sha256Hex(text);
  std::string json;
  if (ReadFile(ReferencePath(o.reference_dir, name, o.run.tier), &json).ok()) {
    absl::StatusOr<Reference> ref = ParseReference(json, name);
    if (ref.ok()) p.stored_seconds = ref->provenance.wall_seconds;
  }
  return p;
}

}  // namespace

bool TrainsNetworks(const spec::Experiment& e, const std::vector<spec::Experiment>& includes) {
  if (e.engine().has_network()) return true;
  return std::any_of(includes.begin(), includes.end(), [](const spec::Experiment& part) {
    return part.engine().has_network();
  });
}

std::string ReferencePath(const std::string& dir, const std::string& name,
                          const std::string& tier) {
  return absl::StrCat(dir, "/", name, ".", tier, ".json");
}

absl::StatusOr<std::vector<spec::Experiment>> LoadIncludes(const spec::Experiment& e,
                                                           const std::string& spec_path,
                                                           const std::string& tier,
                                                           std::string* texts) {
  std::vector<spec::Experiment> out;
  for (const std::string& include : e.include()) {
    const std::string path = (fs::path(spec_path).parent_path() / include).string();
    std::string text;
    if (absl::Status st = ReadFile(path, &text); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          spec_path, ": included spec '", include, "' cannot be read at ", path));
    }
    absl::StatusOr<spec::Experiment> part = BuildExperiment(text, path, tier);
    if (!part.ok()) return part.status();
    if (texts != nullptr) absl::StrAppend(texts, "\n--- ", include, "\n", text);
    out.push_back(*std::move(part));
  }
  return out;
}

absl::StatusOr<std::vector<Planned>> Plan(const ReproduceOptions& o) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(o.experiments_dir, ec)) {
    if (entry.path().extension() == ".textproto") paths.push_back(entry.path().string());
  }
  if (ec || paths.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no experiment specs (*.textproto) in '", o.experiments_dir, "'"));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> names;
  for (const std::string& p : paths) names.push_back(fs::path(p).stem().string());
  for (const std::string& want : o.only) {
    if (std::find(names.begin(), names.end(), want) == names.end()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--only: no spec named '%s' in %s; known: %s", want, o.experiments_dir,
          absl::StrJoin(names, ", ")));
    }
  }
  std::vector<Planned> plan;
  for (const std::string& path : paths) {
    const std::string name = fs::path(path).stem().string();
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), name) == o.only.end()) {
      continue;
    }
    absl::StatusOr<Planned> p = PlanSpec(path, name, o);
    if (!p.ok()) return p.status();
    plan.push_back(*std::move(p));
  }
  // Fastest first, so cheap results arrive early; without a stored timing,
  // synthetic specs (seconds) before network ones (minutes).
  auto cost = [&](const Planned& p) {
    if (p.stored_seconds >= 0) return p.stored_seconds;
    return TrainsNetworks(p.experiment, p.includes) ? 2e300 : 1e300;
  };
  std::stable_sort(plan.begin(), plan.end(),
                   [&](const Planned& a, const Planned& b) { return cost(a) < cost(b); });
  // A spec that includes others runs after them, and reuses their Results.
  std::stable_partition(plan.begin(), plan.end(),
                        [](const Planned& p) { return !p.experiment.engine().has_composite(); });
  return plan;
}

std::string Stamp(const ReproduceOptions& o, const std::string& commit,
                  const std::string& inputs_sha256) {
  std::string sums;
  const std::string data = ReadFile(o.run.data_dir + "/SHA256SUMS", &sums).ok()
                               ? absl::StrCat("SHA256SUMS ", Sha256Hex(sums))
                               : absl::StrCat("folder '", o.run.data_dir, "'");
  return absl::StrCat("tier ", o.run.tier, "\ndevice ", o.run.device, "\nthreads ", o.run.threads,
                      "\ngit_commit ", commit, "\nspecs_sha256 ", inputs_sha256, "\ndata ", data,
                      "\nplot ", o.run.plot ? "yes" : "no", "\n");
}

std::string CodeVersion(const std::string& workspace_dir, int threads) {
  spec::Provenance here;
  FillProvenance("", "", workspace_dir, threads, &here);
  std::string commit = here.git_commit();
  if (!absl::EndsWith(commit, "-dirty") || workspace_dir.empty()) return commit;
  const std::string command = absl::StrCat(
      "git -C '", workspace_dir,
      "' status --porcelain -- . ':(exclude)experiments/reference' 2>/dev/null");
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return commit;
  char buffer[256];
  const bool other_changes = std::fgets(buffer, sizeof buffer, pipe) != nullptr;
  pclose(pipe);
  return other_changes ? commit : commit.substr(0, commit.size() - 6);
}

}  // namespace warmup
