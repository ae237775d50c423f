#include "lib/reference/reference.h"

#include <cmath>

#include "gtest/gtest.h"

namespace warmup {
namespace {

// A deterministic run: one series of 1,000 points, two scalars, one claim.
spec::Result Deterministic() {
  spec::Result r;
  r.set_experiment("toy");
  r.set_tier("smoke");
  auto* s = r.add_series();
  s->set_run("theory");
  s->set_metric("gap");
  s->set_x_name("step");
  for (int i = 0; i < 1000; ++i) {
    s->add_x(10 * i);
    s->add_y(std::exp(-0.01 * i));
  }
  auto* a = r.add_scalars();
  a->set_name("theory.steps_to_target");
  a->set_value(2503);
  auto* b = r.add_scalars();
  b->set_name("theory.final_gap");
  b->set_value(std::numeric_limits<double>::infinity());
  auto* c = r.add_claims();
  c->set_id("fast");
  c->set_value(0.0822976);
  c->set_pass(true);
  return r;
}

// A seeded network run: three seeds of one schedule, per-seed scalars.
spec::Result Seeded() {
  spec::Result r;
  r.set_experiment("net");
  r.set_tier("smoke");
  const double finals[] = {1.0, 1.2, 1.1};
  for (int seed = 0; seed < 3; ++seed) {
    auto* s = r.add_series();
    s->set_run("sgd/seed" + std::to_string(seed));
    s->set_metric("loss");
    s->set_x_name("step");
    for (int i = 0; i < 50; ++i) {
      s->add_x(2 * i);
      s->add_y(2.0 + 0.1 * seed - 0.01 * i);
    }
    auto* q = r.add_scalars();
    q->set_name("sgd/seed" + std::to_string(seed) + ".final_loss");
    q->set_value(finals[seed]);
  }
  auto* mean = r.add_scalars();
  mean->set_name("sgd.final_loss");
  mean->set_value(1.1);
  auto* sd = r.add_scalars();
  sd->set_name("sgd.final_loss_sd");
  sd->set_value(0.1);
  auto* pooled = r.add_scalars();
  pooled->set_name("sgd.pooled_fit_rho");
  pooled->set_value(2.0);
  auto* c = r.add_claims();
  c->set_id("loss_low");
  c->set_value(1.1);
  c->set_pass(true);
  return r;
}

bool AllOk(const std::vector<ReferenceCheck>& checks) {
  for (const ReferenceCheck& c : checks) {
    if (!c.ok) return false;
  }
  return !checks.empty();
}

const ReferenceCheck* Find(const std::vector<ReferenceCheck>& checks, const std::string& q) {
  for (const ReferenceCheck& c : checks) {
    if (c.quantity == q) return &c;
  }
  return nullptr;
}

TEST(ReferenceTest, SubsamplesAndRoundTripsThroughJson) {
  const Reference ref = MakeReference(Deterministic(), false, {});
  ASSERT_EQ(ref.series.size(), 1u);
  EXPECT_EQ(ref.series[0].x.size(), 100u);  // about 100 points kept
  EXPECT_EQ(ref.series[0].x.front(), 0);
  EXPECT_EQ(ref.series[0].x.back(), 9990);  // the last point is kept
  const std::string json = ReferenceJson(ref);
  absl::StatusOr<Reference> back = ParseReference(json, "toy.smoke.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ReferenceJson(*back), json);  // stable: same bytes after a round trip
  EXPECT_TRUE(std::isinf(back->scalars[1].value));
  EXPECT_TRUE(AllOk(CompareWithReference(Deterministic(), *back, {})));
}

TEST(ReferenceTest, DeterministicRunDriftsBeyondRounding) {
  const Reference ref = *ParseReference(ReferenceJson(MakeReference(Deterministic(), false, {})), "r");
  spec::Result fresh = Deterministic();
  // 1e-10 relative: inside the 1e-9 rule.
  fresh.mutable_scalars(0)->set_value(2503 * (1 + 1e-10));
  EXPECT_TRUE(AllOk(CompareWithReference(fresh, ref, {})));
  // 1e-8 relative: outside.
  fresh.mutable_scalars(0)->set_value(2503 * (1 + 1e-8));
  auto checks = CompareWithReference(fresh, ref, {});
  const ReferenceCheck* c = Find(checks, "scalar theory.steps_to_target");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->ok);
  EXPECT_NE(ReferenceLine(*c).find("DRIFT"), std::string::npos);
  // The curve moved by 0.1% from step 5000 on: the series drifts.
  fresh = Deterministic();
  for (int i = 500; i < 1000; ++i) {
    fresh.mutable_series(0)->set_y(i, fresh.series(0).y(i) * 1.001);
  }
  c = nullptr;
  checks = CompareWithReference(fresh, ref, {});
  c = Find(checks, "series theory/gap");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->ok) << ReferenceLine(*c);
}

TEST(ReferenceTest, ShorterRunIsMissingPoints) {
  const Reference ref = MakeReference(Deterministic(), false, {});
  spec::Result fresh = Deterministic();
  fresh.mutable_series(0)->mutable_x()->Truncate(400);
  fresh.mutable_series(0)->mutable_y()->Truncate(400);
  const auto checks = CompareWithReference(fresh, ref, {});
  const ReferenceCheck* c = Find(checks, "series theory/gap");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->ok);
  EXPECT_NE(c->note.find("no point at step"), std::string::npos) << c->note;
}

TEST(ReferenceTest, SeededToleranceIsFourSeedSdsWithFloors) {
  std::map<std::string, ClaimOperands> ops = {{"loss_low", {"sgd.final_loss", "", ""}}};
  const Reference ref = MakeReference(Seeded(), true, ops);
  // Seed means only: per-seed values and the "_sd" companion are not kept.
  ASSERT_EQ(ref.scalars.size(), 2u);
  EXPECT_EQ(ref.scalars[0].name, "sgd.final_loss");
  EXPECT_NEAR(ref.scalars[0].tolerance, 4 * 0.1, 1e-12);  // sd of 1.0, 1.2, 1.1
  EXPECT_EQ(ref.scalars[0].seeds, 3);
  EXPECT_NEAR(ref.scalars[1].tolerance, 0.25 * 2.0, 1e-12);  // no per-seed values
  EXPECT_NEAR(ref.claims[0].tolerance, 0.4, 1e-12);           // inherits its metric's
  ASSERT_EQ(ref.series.size(), 1u);
  EXPECT_EQ(ref.series[0].run, "sgd");
  EXPECT_EQ(ref.series[0].seeds, 3);
  EXPECT_NEAR(ref.series[0].y[0], 2.1, 1e-12);  // seed mean
  // Seed sd 0.1 at every step; the pooled relative sd over the series,
  // sqrt(mean (0.1 / mean_i)^2), times |mean| is larger at the first step.
  double sum_sq = 0;
  for (int i = 0; i < 50; ++i) sum_sq += std::pow(0.1 / (2.1 - 0.01 * i), 2);
  const double relative_sd = std::sqrt(sum_sq / 50);
  EXPECT_NEAR(ref.series[0].tolerance[0], 4 * std::max(0.1, relative_sd * 2.1), 1e-9);
  EXPECT_NEAR(ref.series[0].tolerance[49], 4 * std::max(0.1, relative_sd * 1.61), 1e-9);

  spec::Result fresh = Seeded();
  fresh.mutable_scalars(3)->set_value(1.1 + 0.39);  // the mean, within 4 sd
  const Reference back = *ParseReference(ReferenceJson(ref), "net.smoke.json");
  EXPECT_TRUE(AllOk(CompareWithReference(fresh, back, ops)));
  fresh.mutable_scalars(3)->set_value(1.1 + 0.41);
  EXPECT_FALSE(Find(CompareWithReference(fresh, back, ops), "scalar sgd.final_loss")->ok);
}

TEST(ReferenceTest, SeededSeriesToleratesAFifthOfPointsOutside) {
  const Reference ref = MakeReference(Seeded(), true, {});
  // A spike in one seed at 10 of 50 steps (20%): still OK.
  spec::Result fresh = Seeded();
  for (int i = 0; i < 10; ++i) fresh.mutable_series(0)->set_y(i, 20.0);
  EXPECT_TRUE(Find(CompareWithReference(fresh, ref, {}), "series sgd/loss")->ok);
  // At 11 steps: drift.
  fresh.mutable_series(0)->set_y(10, 20.0);
  const ReferenceCheck* c = Find(CompareWithReference(fresh, ref, {}), "series sgd/loss");
  EXPECT_FALSE(c->ok);
  EXPECT_NE(c->note.find("11 outside, 10 allowed"), std::string::npos) << c->note;
}

TEST(ReferenceTest, PooledFitTakesThePerSeedSpread) {
  spec::Result r;
  const double per_seed[] = {0.4, 0.6, 0.5};
  for (int seed = 0; seed < 3; ++seed) {
    auto* q = r.add_scalars();
    q->set_name("sgd/seed" + std::to_string(seed) + ".spearman");
    q->set_value(per_seed[seed]);
  }
  auto* mean = r.add_scalars();
  mean->set_name("sgd.spearman");
  mean->set_value(0.5);
  auto* pooled = r.add_scalars();
  pooled->set_name("sgd.pooled_spearman");
  pooled->set_value(0.55);
  const Reference ref = MakeReference(r, true, {});
  ASSERT_EQ(ref.scalars.size(), 2u);
  EXPECT_EQ(ref.scalars[1].name, "sgd.pooled_spearman");
  EXPECT_NEAR(ref.scalars[1].tolerance, 4 * 0.1, 1e-12);  // sd of the per-seed values
  EXPECT_EQ(ref.scalars[1].seeds, 3);
}

TEST(ReferenceTest, MalformedFilesNameTheField) {
  absl::StatusOr<Reference> r = ParseReference("{\"experiment\": \"x\"}", "bad.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.json"), std::string::npos);
  EXPECT_NE(r.status().message().find("'tier'"), std::string::npos);
  EXPECT_FALSE(ParseReference("not json", "bad.json").ok());
}

}  // namespace
}  // namespace warmup
