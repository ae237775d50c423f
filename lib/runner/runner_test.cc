#include "lib/runner/runner.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <utility>
#include <vector>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "lib/engines/synthetic.h"
#include "lib/io/output_batch.h"
#include "lib/runner/claims.h"
#include "lib/spec/spec.h"

namespace warmup {
namespace {

std::string TempDir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  return (t != nullptr ? std::string(t) : std::filesystem::temp_directory_path().string()) +
         "/" + name;
}

int CountFiles(const std::string& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

TEST(RunSpecTest, Fig2SmokeWritesEveryOutputAndPassesItsClaims) {
  RunRequest request;
  request.spec_path = "experiments/fig2_river_valley.textproto";
  request.options.tier = "smoke";
  request.out_dir = TempDir("fig2");
  auto report = RunSpec(request, SyntheticEngines());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->claims_pass);
  EXPECT_EQ(report->result.claims_size(), 16);  // the smoke-tier claims
  EXPECT_EQ(report->result.provenance().spec_sha256().size(), 64u);
  for (const char* f : {"result.textproto", "result.json", "fig2_river_valley.png",
                        "fig2_river_valley.pdf", "theory_warmup__gap.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(request.out_dir + "/" + f)) << f;
  }
}

TEST(RunSpecTest, SameSpecSameResult) {
  auto e = LoadExperiment("experiments/fig2_river_valley.textproto", "smoke");
  ASSERT_TRUE(e.ok());
  RunContext context;
  context.tier = "smoke";
  auto a = RunExperiment(*e, context, SyntheticEngines());
  auto b = RunExperiment(*e, context, SyntheticEngines());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->series_size(), b->series_size());
  for (int i = 0; i < a->series_size(); ++i) {
    EXPECT_EQ(a->series(i).y().size(), b->series(i).y().size());
    EXPECT_TRUE(std::equal(a->series(i).y().begin(), a->series(i).y().end(),
                           b->series(i).y().begin()));
  }
}

TEST(RunSpecTest, BadInputsFailBeforeWritingAnything) {
  RunRequest missing;
  missing.spec_path = "experiments/no_such_spec.textproto";
  missing.out_dir = TempDir("missing");
  auto r = RunSpec(missing, SyntheticEngines());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CountFiles(missing.out_dir), 0);

  const std::string bad_spec = TempDir("bad.textproto");
  ASSERT_TRUE(WriteFileAtomically(bad_spec, "name: \"x\"\nengine { synthetic {} }\niterations: -5\nproblem { river_valley { mu: 1 lambda0: 1 lambda1: 1 } }\nschedules { label: \"c\" constant { lr: 0.1 } }\n").ok());
  RunRequest negative;
  negative.spec_path = bad_spec;
  negative.out_dir = TempDir("negative");
  r = RunSpec(negative, SyntheticEngines());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("iterations: expected a finite number in [0, 1e9], got -5"),
            std::string::npos) << r.status();
  EXPECT_EQ(CountFiles(negative.out_dir), 0);

  const std::string file = TempDir("a_file");
  ASSERT_TRUE(WriteFileAtomically(file, "x").ok());
  RunRequest unwritable;
  unwritable.spec_path = "experiments/fig2_river_valley.textproto";
  unwritable.options.tier = "smoke";
  unwritable.out_dir = file + "/out";
  r = RunSpec(unwritable, SyntheticEngines());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(ClaimsTest, FailingClaimAndUnrecordedMetric) {
  spec::Experiment e;
  auto* c = e.add_claims();
  c->set_id("gap_small");
  c->set_metric("run.final_gap");
  c->set_op(spec::Claim::LE);
  c->set_threshold(1e-3);
  spec::Result result;
  auto* s = result.add_scalars();
  s->set_name("run.final_gap");
  s->set_value(0.5);
  ASSERT_TRUE(EvaluateClaims(e, "smoke", &result).ok());
  ASSERT_EQ(result.claims_size(), 1);
  EXPECT_FALSE(result.claims(0).pass());
  EXPECT_EQ(ClaimLine(result.claims(0)), "claim gap_small: 0.5 <= 0.001 FAIL [scientific]");
  // The kind travels from the spec to the verdict and its line.
  c->set_kind(spec::Claim::SANITY);
  result.clear_claims();
  ASSERT_TRUE(EvaluateClaims(e, "smoke", &result).ok());
  EXPECT_EQ(result.claims(0).kind(), "sanity");
  EXPECT_EQ(ClaimLine(result.claims(0)), "claim gap_small: 0.5 <= 0.001 FAIL [sanity]");
  // A declared operand the run did not record (a failed fit records fewer
  // scalars) fails the claim with that reason; validation has already
  // refused names no engine declares.
  c->set_metric("run.nothing");
  result.clear_claims();
  ASSERT_TRUE(EvaluateClaims(e, "smoke", &result).ok());
  EXPECT_FALSE(result.claims(0).pass());
  EXPECT_EQ(result.claims(0).failure(), "operand 'run.nothing' was not recorded by this run");
}

// A tuned baseline whose winner sits on its grid's edge fails every claim
// that names it, end to end through the synthetic engine.
TEST(TunedBaselineTest, WinnerAtGridEdgeFailsItsClaims) {
  const std::string path = TempDir("edge.textproto");
  const std::string spec = R"(
name: "edge"
engine { synthetic {} }
problem { river_valley { mu: 0.05 lambda0: 1 lambda1: 1 } init: [80, 0.5] }
iterations: 40000
stop { target_gap: 1e-6 }
schedules { label: "theory" theory_warmup { c: 1 k0: 1 krho: 1.4472135955 rho: 1 } }
tuned {
  label: "best_constant"
  schedule { constant { times_inverse_init_curvature: 1 } }
  rate_grid: [0.5, 1.0]
  rule: MONOTONE
  objective: "steps_to_target"
}
claims {
  id: "theory_faster" metric: "theory.steps_to_target"
  divided_by: "best_constant.steps_to_target" op: LE threshold: 1 rationale: "x"
}
)";
  ASSERT_TRUE(WriteFileAtomically(path, spec).ok());
  auto e = LoadExperiment(path, "");
  ASSERT_TRUE(e.ok()) << e.status();
  auto r = RunExperiment(*e, RunContext(), SyntheticEngines());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->claims_size(), 1);
  EXPECT_FALSE(r->claims(0).pass());  // 2503 / 30414 would pass on its own
  EXPECT_LT(r->claims(0).value(), 1.0);
  EXPECT_NE(r->claims(0).failure().find("edge of its grid"), std::string::npos);

  // Widened so that the winner (2 / ||H||) is interior: the claim passes.
  spec::Experiment wide = *e;
  wide.mutable_tuned(0)->clear_rate_grid();
  for (double m : {0.5, 1.0, 2.0, 4.0}) wide.mutable_tuned(0)->add_rate_grid(m);
  r = RunExperiment(wide, RunContext(), SyntheticEngines());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->claims(0).pass()) << ClaimLine(r->claims(0));
  EXPECT_TRUE(r->claims(0).failure().empty());
  int tuning_rows = 0;
  for (const spec::Table& t : r->tables()) {
    if (t.name() == "tuning") tuning_rows = t.rows_size();
  }
  EXPECT_EQ(tuning_rows, 4);  // every grid point's outcome is kept
}

double ScalarOf(const spec::Result& r, const std::string& name) {
  for (const spec::Scalar& s : r.scalars()) {
    if (s.name() == name) return s.value();
  }
  ADD_FAILURE() << "no scalar " << name;
  return 0.0;
}

// A horizon whose ratio is missing makes the slope NaN even when the other
// horizons could be fitted, the count says so, and every claim on it fails.
// Here the theory warmup (capped at 0.01, with a Krho far too small) is
// stable at T = 5 and 10, where eta_bar(y_0) > 0.01, and diverges at
// T = 1000. A schedule error is returned, not scored.
TEST(SpeedupSweepTest, MissingHorizonsAndScheduleErrorsAreNotSwallowed) {
  const std::string path = TempDir("sweep.textproto");
  const std::string spec = R"(
name: "sweep"
engine { speedup_sweep {} }
problem { speedup_instance { k0: 1 k1: 1 dim: 10 q0: 0.25 beta: 0.25 min_eig_ratio: 1e-3 } }
schedules { label: "theory_warmup" theory_warmup { c: 1 k0: 1 krho: 0.001 rho: 1 } }
sweep { horizons: [5, 10, 1000] constant_grid: [0.1, 0.5, 1.0] cap_grid: [0.01] }
claims { id: "slope" metric: "gd.gap_slope" op: GT threshold: 0 rationale: "x" }
)";
  ASSERT_TRUE(WriteFileAtomically(path, spec).ok());
  auto e = LoadExperiment(path, "");
  ASSERT_TRUE(e.ok()) << e.status();
  auto r = RunExperiment(*e, RunContext(), SyntheticEngines());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(std::isnan(ScalarOf(*r, "gd.gap_slope")));
  EXPECT_EQ(ScalarOf(*r, "gd.gap_slope_missing_horizons"), 1);
  EXPECT_EQ(ScalarOf(*r, "gd.gap_slope_horizons"), 2);
  EXPECT_FALSE(r->claims(0).pass());
  EXPECT_NE(r->claims(0).failure().find("not a finite number"), std::string::npos);

  spec::Experiment broken = *e;  // k0 = 0 without a cap: MakeSchedule rejects it
  broken.mutable_schedules(0)->mutable_theory_warmup()->set_k0(0.0);
  broken.mutable_sweep()->clear_cap_grid();
  r = RunExperiment(broken, RunContext(), SyntheticEngines());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
}

spec::Result WithScalars(const std::vector<std::pair<std::string, double>>& s) {
  spec::Result result;
  for (const auto& [name, value] : s) {
    auto* x = result.add_scalars();
    x->set_name(name);
    x->set_value(value);
  }
  return result;
}

// inf / inf, x / inf and an infinite operand never pass, whatever the op.
TEST(ClaimsTest, NonFiniteOperandsFailWithAReason) {
  const double inf = std::numeric_limits<double>::infinity();
  spec::Experiment e;
  auto* c = e.add_claims();
  c->set_id("ratio");
  c->set_metric("a.steps_to_target");
  c->set_divided_by("b.steps_to_target");
  c->set_op(spec::Claim::LE);
  c->set_threshold(0.1);
  for (auto [a, b] : {std::pair<double, double>{100, inf}, {inf, inf}, {inf, 5},
                      {1, 0}}) {
    spec::Result result = WithScalars({{"a.steps_to_target", a}, {"b.steps_to_target", b}});
    ASSERT_TRUE(EvaluateClaims(e, "smoke", &result).ok());
    EXPECT_FALSE(result.claims(0).pass()) << a << " / " << b;
    EXPECT_NE(result.claims(0).failure().find("not a finite number"), std::string::npos)
        << result.claims(0).failure();
  }
  spec::Result finite = WithScalars({{"a.steps_to_target", 1}, {"b.steps_to_target", 20}});
  ASSERT_TRUE(EvaluateClaims(e, "smoke", &finite).ok());
  EXPECT_TRUE(finite.claims(0).pass());
}

// A claim on a baseline whose winner is at its grid's edge fails.
TEST(ClaimsTest, ClaimOnABaselineAtItsGridEdgeFails) {
  spec::Experiment e;
  google::protobuf::TextFormat::ParseFromString(
      R"pb(claims { id: "faster" metric: "theory.steps" divided_by: "linear.steps"
                    op: LE threshold: 1 rationale: "test" })pb",
      &e);
  for (double edge : {0.0, 1.0}) {
    spec::Result r;
    for (auto [name, value] : {std::pair<const char*, double>{"theory.steps", 10},
                               {"linear.steps", 20}, {"linear.at_grid_edge", edge}}) {
      auto* s = r.add_scalars();
      s->set_name(name);
      s->set_value(value);
    }
    ASSERT_TRUE(EvaluateClaims(e, "cpu", &r).ok());
    ASSERT_EQ(r.claims_size(), 1);
    EXPECT_EQ(r.claims(0).pass(), edge == 0.0) << ClaimLine(r.claims(0));
    EXPECT_EQ(r.claims(0).failure().empty(), edge == 0.0);
  }
}

// A tier where no claim applies is an error unless the spec says why.
TEST(ClaimsTest, TierWithoutClaimsNeedsAReason) {
  spec::Experiment e;
  e.set_name("x");
  auto* c = e.add_claims();
  c->set_id("only_smoke");
  c->add_tiers("smoke");
  EXPECT_TRUE(CheckClaimsApply(e, "smoke").ok());
  const absl::Status st = CheckClaimsApply(e, "paper");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("no claim applies at tier 'paper'"), std::string::npos);
  e.set_no_claims_reason("stated");
  EXPECT_TRUE(CheckClaimsApply(e, "paper").ok());
}

// Every shipped spec, at every tier it defines, checks a claim or says why.
TEST(ClaimsTest, EveryShippedSpecTierHasClaimsOrAReason) {
  for (const auto& entry : std::filesystem::directory_iterator("experiments")) {
    if (entry.path().extension() != ".textproto") continue;
    auto base = LoadExperiment(entry.path().string(), "");
    ASSERT_TRUE(base.ok()) << base.status();
    for (const char* tier : {"smoke", "cpu", "paper"}) {
      auto e = LoadExperiment(entry.path().string(), tier);
      ASSERT_TRUE(e.ok()) << e.status();
      EXPECT_TRUE(CheckClaimsApply(*e, tier).ok()) << entry.path() << " " << tier;
    }
  }
}

}  // namespace
}  // namespace warmup
