#include "lib/runner/runner.h"

#include <filesystem>

#include "gtest/gtest.h"
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
  request.tier = "smoke";
  request.out_dir = TempDir("fig2");
  auto report = RunSpec(request);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->claims_pass);
  EXPECT_EQ(report->result.claims_size(), 5);
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
  auto a = RunExperiment(*e, context);
  auto b = RunExperiment(*e, context);
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
  auto r = RunSpec(missing);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CountFiles(missing.out_dir), 0);

  const std::string bad_spec = TempDir("bad.textproto");
  ASSERT_TRUE(WriteFileAtomically(bad_spec, "name: \"x\"\niterations: -5\nproblem { river_valley { mu: 1 lambda0: 1 lambda1: 1 } }\nschedules { label: \"c\" constant { lr: 0.1 } }\n").ok());
  RunRequest negative;
  negative.spec_path = bad_spec;
  negative.out_dir = TempDir("negative");
  r = RunSpec(negative);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("iterations: expected a finite number in [0, 1e9], got -5"),
            std::string::npos) << r.status();
  EXPECT_EQ(CountFiles(negative.out_dir), 0);

  const std::string file = TempDir("a_file");
  ASSERT_TRUE(WriteFileAtomically(file, "x").ok());
  RunRequest unwritable;
  unwritable.spec_path = "experiments/fig2_river_valley.textproto";
  unwritable.tier = "smoke";
  unwritable.out_dir = file + "/out";
  r = RunSpec(unwritable);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(ClaimsTest, FailingClaimAndUnknownMetric) {
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
  EXPECT_EQ(ClaimLine(result.claims(0)), "claim gap_small: 0.5 <= 0.001 FAIL");
  c->set_metric("run.nothing");
  const absl::Status st = EvaluateClaims(e, "smoke", &result);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("known: run.final_gap"), std::string::npos);
}

}  // namespace
}  // namespace warmup
