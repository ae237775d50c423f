#include "lib/runner/declared.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "lib/engines/network.h"
#include "lib/engines/synthetic.h"
#include "lib/io/output_batch.h"
#include "lib/spec/spec.h"

namespace warmup {
namespace {

namespace fs = std::filesystem;

// The shipped specs and the toy one a newcomer's spec is modelled on.
std::vector<std::string> ShippedSpecs() {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator("experiments")) {
    if (entry.path().extension() == ".textproto") paths.push_back(entry.path().string());
  }
  paths.push_back("tests/toy_experiment/toy_river.textproto");
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST(DeclaredTest, EveryShippedSpecNamesOnlyWhatItsEngineDeclares) {
  for (const std::string& path : ShippedSpecs()) {
    EXPECT_TRUE(CheckSpecNames(path, AllEngines()).ok())
        << CheckSpecNames(path, AllEngines());
  }
}

// One name a spec uses: where it is (for the expected error) and how to
// reach it in a copy of the spec.
struct Site {
  std::string field;  // the error's field, e.g. "claims 'x'.metric" or "figure.panels[0].x"
  std::function<std::string*(spec::Experiment*)> name;
};

// Every claim operand and panel name of the spec: in the base and in each
// tier's overrides.
std::vector<Site> Sites(const spec::Experiment& spec) {
  std::vector<Site> sites;
  auto part_of = [](int tier) {
    return [tier](spec::Experiment* e) {
      return tier < 0 ? e : e->mutable_tiers(tier)->mutable_overrides();
    };
  };
  for (int tier = -1; tier < spec.tiers_size(); ++tier) {
    const spec::Experiment& part = tier < 0 ? spec : spec.tiers(tier).overrides();
    const auto at = part_of(tier);
    for (int c = 0; c < part.claims_size(); ++c) {
      const spec::Claim& claim = part.claims(c);
      const std::string id = absl::StrCat("claims '", claim.id(), "'.");
      sites.push_back({id + "metric", [=](auto* e) { return at(e)->mutable_claims(c)->mutable_metric(); }});
      if (!claim.divided_by().empty()) {
        sites.push_back({id + "divided_by", [=](auto* e) { return at(e)->mutable_claims(c)->mutable_divided_by(); }});
      }
      if (!claim.minus().empty()) {
        sites.push_back({id + "minus", [=](auto* e) { return at(e)->mutable_claims(c)->mutable_minus(); }});
      }
    }
    for (int p = 0; p < part.figure().panels_size(); ++p) {
      const spec::Panel& panel = part.figure().panels(p);
      const std::string where = absl::StrCat("figure.panels[", p, "].");
      auto panel_of = [=](spec::Experiment* e) { return at(e)->mutable_figure()->mutable_panels(p); };
      sites.push_back({where + "metric", [=](auto* e) { return panel_of(e)->mutable_metric(); }});
      if (!panel.x().empty()) {
        sites.push_back({where + "x", [=](auto* e) { return panel_of(e)->mutable_x(); }});
      }
      for (int r = 0; r < panel.runs_size(); ++r) {
        sites.push_back({where + "runs", [=](auto* e) { return panel_of(e)->mutable_runs(r); }});
      }
      for (int a = 0; a < panel.also_size(); ++a) {
        sites.push_back({absl::StrCat(where, "also[", a, "]"),
                         [=](auto* e) { return panel_of(e)->mutable_also(a); }});
      }
    }
  }
  return sites;
}

// A typo one edit away from the name that no declared name is closer to:
// a capital Q (names are lower case) in the middle.
std::string Typo(const std::string& name) {
  std::string typo = name;
  typo.insert(name.size() / 2, "Q");
  return typo;
}

// Each name of each shipped spec, mistyped in a copy of the spec, is refused
// before anything runs, naming the field and the name it was meant to be.
// The copies live beside copies of the specs they include.
TEST(DeclaredTest, AMistypedNameAnywhereIsRefusedWithTheNearestName) {
  const fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / "specs";
  fs::create_directories(dir);
  for (const std::string& path : ShippedSpecs()) fs::copy_file(path, dir / fs::path(path).filename(), fs::copy_options::overwrite_existing);
  int edits = 0;
  double slowest = 0;
  for (const std::string& path : ShippedSpecs()) {
    std::string text;
    ASSERT_TRUE(ReadFile(path, &text).ok());
    absl::StatusOr<spec::Experiment> spec = ParseExperiment(text, path);
    ASSERT_TRUE(spec.ok()) << spec.status();
    const std::string copy = (dir / ("edited_" + fs::path(path).filename().string())).string();
    for (const Site& site : Sites(*spec)) {
      spec::Experiment edited = *spec;
      std::string* name = site.name(&edited);
      const std::string original = *name;
      *name = Typo(original);
      std::string edited_text;
      ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(edited, &edited_text));
      ASSERT_TRUE(WriteFileAtomically(copy, edited_text).ok());
      const auto start = std::chrono::steady_clock::now();
      const absl::Status st = CheckSpecNames(copy, AllEngines());
      slowest = std::max(slowest, std::chrono::duration<double>(
                                      std::chrono::steady_clock::now() - start).count());
      ++edits;
      const std::string where = absl::StrCat(path, " ", site.field, " '", original, "'");
      ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << where << ": " << st;
      const std::string message(st.message());
      EXPECT_NE(message.find(site.field + ": '"), std::string::npos) << where << ": " << message;
      // A panel's x error names the metric it was checked for; the others
      // name the typo itself.
      const bool x = site.field.size() > 2 && site.field.substr(site.field.size() - 2) == ".x";
      if (!x) {
        EXPECT_NE(message.find("'" + *name + "'"), std::string::npos) << where << ": " << message;
      }
      EXPECT_NE(message.find("(nearest: '" + original + "')"), std::string::npos)
          << where << ": " << message;
    }
  }
  std::printf("%d mistyped names refused; the slowest check took %.3f s\n", edits, slowest);
  EXPECT_GT(edits, 100);  // every shipped spec's claims and panels were edited
}

// Declared names are checked where they are used: a composite's claims use
// its parts' scalars under "<part>.", and a spec whose engine is not in the
// build is refused with that reason.
TEST(DeclaredTest, CompositesPrefixTheirPartsAndMissingEnginesAreNamed) {
  absl::StatusOr<spec::Experiment> table =
      LoadExperiment("experiments/table_fitted_constants.textproto", "smoke");
  ASSERT_TRUE(table.ok()) << table.status();
  absl::StatusOr<DeclaredOutputs> declared = DeclaredOutputsOf(
      *table, "experiments/table_fitted_constants.textproto", "smoke", AllEngines());
  ASSERT_TRUE(declared.ok()) << declared.status();
  EXPECT_EQ(declared->scalars.count("fig1a_resnet18_cifar10.sgd.rho_identified"), 1u);
  const absl::Status missing =
      CheckSpecNames("experiments/fig1a_resnet18_cifar10.textproto", SyntheticEngines());
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(missing.message().find("engine network is not part of this build"), std::string::npos)
      << missing;
}

}  // namespace
}  // namespace warmup
