#include "lib/runner/declared.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/io/output_batch.h"
#include "lib/spec/spec.h"

namespace warmup {
namespace {

absl::Status Bad(const std::string& what) { return absl::InvalidArgumentError(what); }

// The name in `names` closest to `name` by edit distance (Levenshtein), for
// "nearest" hints; empty when `names` is.
template <typename Names>
std::string Nearest(const std::string& name, const Names& names) {
  std::string best;
  size_t best_distance = std::string::npos;
  for (const std::string& candidate : names) {
    std::vector<size_t> row(candidate.size() + 1);
    for (size_t j = 0; j <= candidate.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= name.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= candidate.size(); ++j) {
        const size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                           diagonal + (name[i - 1] == candidate[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    if (row.back() < best_distance) {
      best_distance = row.back();
      best = candidate;
    }
  }
  return best;
}

std::string NearestHint(const std::string& name, const std::set<std::string>& names) {
  return names.empty() ? " (it records none)"
                       : absl::StrCat(" (nearest: '", Nearest(name, names), "')");
}

bool Applies(const spec::Claim& c, const std::string& tier) {
  return c.tiers().empty() ||
         std::find(c.tiers().begin(), c.tiers().end(), tier) != c.tiers().end();
}

// A panel's `runs` entry selects a run and the runs below it ("label"
// selects "label/seed3"), as the plot does.
bool Selects(const std::string& entry, const std::string& run) {
  return run == entry || run.rfind(entry + "/", 0) == 0;
}

bool InPanelRuns(const spec::Panel& panel, const std::string& run) {
  if (panel.runs().empty()) return true;
  return std::any_of(panel.runs().begin(), panel.runs().end(),
                     [&](const std::string& entry) { return Selects(entry, run); });
}

absl::Status CheckClaims(const spec::Experiment& e, const std::string& tier,
                         const DeclaredOutputs& declared) {
  for (const spec::Claim& c : e.claims()) {
    if (!Applies(c, tier)) continue;
    for (const auto& [field, name] : {std::pair{"metric", c.metric()},
                                      {"divided_by", c.divided_by()},
                                      {"minus", c.minus()}}) {
      if (name.empty() || declared.scalars.count(name) > 0) continue;
      return Bad(absl::StrFormat("claims '%s'.%s: '%s' is not a scalar this spec records%s",
                                 c.id(), field, name, NearestHint(name, declared.scalars)));
    }
  }
  return absl::OkStatus();
}

// One panel: each entry of `runs` names a recorded run, and each metric
// (metric, then also) is recorded against the panel's x for a run it draws.
absl::Status CheckPanel(const spec::Panel& p, const std::string& where,
                        const DeclaredOutputs& declared) {
  // Runs, and the labels above them ("label" of "label/seed3"), which a
  // panel may name.
  std::set<std::string> runs, metrics, xs_of_metric;
  for (const SeriesKey& k : declared.series) {
    for (size_t slash = k.run.find('/'); slash != std::string::npos;
         slash = k.run.find('/', slash + 1)) {
      runs.insert(k.run.substr(0, slash));
    }
    runs.insert(k.run);
  }
  for (const std::string& entry : p.runs()) {
    if (std::none_of(runs.begin(), runs.end(),
                     [&](const std::string& run) { return Selects(entry, run); })) {
      return Bad(absl::StrFormat("%s.runs: '%s' is not a recorded run%s", where, entry,
                                 NearestHint(entry, runs)));
    }
  }
  const std::string x = p.x().empty() ? "step" : p.x();
  std::vector<std::pair<std::string, std::string>> fields = {{"metric", p.metric()}};
  for (int i = 0; i < p.also_size(); ++i) fields.emplace_back(absl::StrCat("also[", i, "]"), p.also(i));
  for (const auto& [field, metric] : fields) {
    bool drawn = false;
    metrics.clear();
    xs_of_metric.clear();
    for (const SeriesKey& k : declared.series) {
      if (!InPanelRuns(p, k.run)) continue;
      metrics.insert(k.metric);
      if (k.metric == metric) xs_of_metric.insert(k.x);
      drawn = drawn || (k.metric == metric && k.x == x);
    }
    if (drawn) continue;
    if (xs_of_metric.empty()) {
      return Bad(absl::StrFormat("%s.%s: '%s' is not a series the panel's runs record%s", where,
                                 field, metric, NearestHint(metric, metrics)));
    }
    return Bad(absl::StrFormat("%s.x: '%s' is recorded against %s, not '%s'%s", where, metric,
                               absl::StrJoin(xs_of_metric, ", "), x, NearestHint(x, xs_of_metric)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DeclaredOutputs> DeclaredOutputsOf(const spec::Experiment& e,
                                                  const std::string& spec_path,
                                                  const std::string& tier,
                                                  const EngineSet& engines) {
  if (e.engine().kind_case() == spec::Engine::KIND_NOT_SET) {
    return Bad(absl::StrFormat("%s: engine is not set", spec_path));
  }
  if (const Engine* engine = EngineFor(e, engines); engine != nullptr) return engine->Declare(e);
  if (!e.engine().has_composite()) {
    return absl::UnimplementedError(absl::StrFormat(
        "%s: engine %s is not part of this build", spec_path,
        spec::Engine::descriptor()->FindFieldByNumber(e.engine().kind_case())->name()));
  }
  DeclaredOutputs out;
  const std::filesystem::path dir = std::filesystem::path(spec_path).parent_path();
  for (const std::string& include : e.include()) {
    const std::string path = (dir / include).string();
    absl::StatusOr<spec::Experiment> part = LoadExperiment(path, tier);
    if (!part.ok()) return part.status();
    absl::StatusOr<DeclaredOutputs> inner = DeclaredOutputsOf(*part, path, tier, engines);
    if (!inner.ok()) return inner.status();
    for (const std::string& s : inner->scalars) out.scalars.insert(part->name() + "." + s);
    for (SeriesKey k : inner->series) {
      k.run = part->name() + "/" + k.run;
      out.series.insert(std::move(k));
    }
  }
  return out;
}

absl::Status CheckNamesDeclared(const spec::Experiment& e, const std::string& tier,
                                const DeclaredOutputs& declared) {
  if (absl::Status st = CheckClaims(e, tier, declared); !st.ok()) return st;
  for (int i = 0; i < e.figure().panels_size(); ++i) {
    if (absl::Status st =
            CheckPanel(e.figure().panels(i), absl::StrCat("figure.panels[", i, "]"), declared);
        !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSpecNames(const std::string& spec_path, const EngineSet& engines) {
  std::string text;
  if (!ReadFile(spec_path, &text).ok()) {
    return absl::NotFoundError(absl::StrFormat("cannot read spec file '%s'", spec_path));
  }
  absl::StatusOr<spec::Experiment> parsed = ParseExperiment(text, spec_path);
  if (!parsed.ok()) return parsed.status();
  std::vector<std::string> tiers;
  for (const spec::Tier& t : parsed->tiers()) tiers.push_back(t.name());
  if (tiers.empty()) tiers.push_back("");
  for (const std::string& tier : tiers) {
    absl::StatusOr<spec::Experiment> e = BuildExperiment(text, spec_path, tier);
    if (!e.ok()) return e.status();
    absl::StatusOr<DeclaredOutputs> declared = DeclaredOutputsOf(*e, spec_path, tier, engines);
    if (!declared.ok()) return declared.status();
    if (absl::Status st = CheckNamesDeclared(*e, tier, *declared); !st.ok()) {
      return Bad(absl::StrCat(spec_path, tier.empty() ? "" : absl::StrCat(" (tier ", tier, ")"),
                              ": ", st.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRecordedAsDeclared(const DeclaredOutputs& declared,
                                     const spec::Result& result) {
  for (const spec::Scalar& s : result.scalars()) {
    if (declared.scalars.count(s.name()) == 0) {
      return absl::InternalError(absl::StrFormat(
          "the engine recorded scalar '%s', which it did not declare", s.name()));
    }
  }
  for (const spec::Series& s : result.series()) {
    if (declared.series.count({s.run(), s.metric(), s.x_name()}) == 0) {
      return absl::InternalError(absl::StrFormat(
          "the engine recorded series %s of run '%s' against %s, which it did not declare",
          s.metric(), s.run(), s.x_name()));
    }
  }
  return absl::OkStatus();
}

}  // namespace warmup
