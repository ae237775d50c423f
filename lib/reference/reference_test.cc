#include "lib/reference/reference.h"

#include <cmath>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

void AddScalar(const std::string& name, double value, spec::Result* r) {
  auto* s = r->add_scalars();
  s->set_name(name);
  s->set_value(value);
}

// A seeded network run as the network engine records it: schedules "sgd"
// and a tuned "constant", per-seed scalars (the final loss drawn around
// `final_mean` with seed-to-seed sd 0.1), a loss curve per seed, seed means
// and spreads, pooled fit scalars and the tuned baseline's winner.
spec::Result Seeded(const std::vector<int64_t>& seeds, double final_mean, uint64_t draw) {
  spec::Result r;
  r.set_experiment("net");
  r.set_tier("smoke");
  std::mt19937_64 rng(draw);
  std::normal_distribution<double> noise(0.0, 0.1);
  for (const char* label : {"sgd", "constant"}) {
    for (int64_t seed : seeds) {
      const std::string run = absl::StrCat(label, "/seed", seed);
      AddScalar(run + ".final_loss", final_mean + noise(rng), &r);
      AddScalar(run + ".steps", 100, &r);
      AddScalar(run + ".initial_loss", 2.3 + 0.01 * seed, &r);
      auto* s = r.add_series();
      s->set_run(run);
      s->set_metric("loss");
      s->set_x_name("step");
      for (int i = 0; i < 50; ++i) {
        s->add_x(2 * i);
        s->add_y(2.0 * std::exp(-0.02 * i) * (1 + 0.05 * noise(rng)));
      }
    }
    AddScalar(absl::StrCat(label, ".final_loss"), final_mean, &r);
    AddScalar(absl::StrCat(label, ".final_loss_sd"), 0.1, &r);
  }
  AddScalar("sgd.fit_k0", 3.0, &r);
  AddScalar("sgd.profile_argmin_rho", 0.35, &r);
  AddScalar("constant.tuned_rate", 0.0125, &r);
  AddScalar("constant.tuned_warmup_steps", 0, &r);
  AddScalar("constant.paired_sgd_mean", 0.0, &r);
  auto* c = r.add_claims();
  c->set_id("loss_low");
  c->set_value(final_mean);
  c->set_pass(true);
  return r;
}

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t s = from; s < to; ++s) out.push_back(s);
  return out;
}

// The reference of Seeded() over spec seeds 0-2 and reference seeds 3-23.
Reference SeededReference(double final_mean = 1.0) {
  const spec::Result own = Seeded(Range(0, 3), final_mean, 1);
  const spec::Result extra = Seeded(Range(3, 24), final_mean, 2);
  ReferenceInputs in;
  in.result = &own;
  in.seeded_networks = true;
  in.spec_seeds = Range(0, 3);
  in.reference_seeds_result = &extra;
  in.reference_seeds = Range(3, 24);
  absl::StatusOr<Reference> ref = MakeReference(in);
  EXPECT_TRUE(ref.ok()) << ref.status();
  return *ref;
}

Reference DeterministicReference(const spec::Result& r) {
  ReferenceInputs in;
  in.result = &r;
  return *MakeReference(in);
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

const CompareOptions kFresh{{0, 1, 2}, 1e-4};

// ------------------------------------------------------------ deterministic

TEST(DeterministicReferenceTest, SubsamplesAndRoundTripsThroughJson) {
  const Reference ref = DeterministicReference(Deterministic());
  ASSERT_EQ(ref.series.size(), 1u);
  EXPECT_EQ(ref.series[0].x.size(), 100u);  // about 100 points kept
  EXPECT_EQ(ref.series[0].x.back(), 9990);  // the last point is kept
  const std::string json = ReferenceJson(ref);
  absl::StatusOr<Reference> back = ParseReference(json, "toy.smoke.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ReferenceJson(*back), json);  // stable: same bytes after a round trip
  EXPECT_TRUE(std::isinf(back->scalars[1].value));
  EXPECT_TRUE(AllOk(CompareWithReference(Deterministic(), *back, {})));
}

TEST(DeterministicReferenceTest, DriftsBeyondRounding) {
  const Reference ref = *ParseReference(ReferenceJson(DeterministicReference(Deterministic())), "r");
  spec::Result fresh = Deterministic();
  fresh.mutable_scalars(0)->set_value(2503 * (1 + 1e-10));  // inside the 1e-9 rule
  EXPECT_TRUE(AllOk(CompareWithReference(fresh, ref, {})));
  fresh.mutable_scalars(0)->set_value(2503 * (1 + 1e-8));  // outside
  const auto checks = CompareWithReference(fresh, ref, {});
  const ReferenceCheck* c = Find(checks, "scalar theory.steps_to_target");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->ok);
  EXPECT_NE(ReferenceLine(*c).find("DRIFT"), std::string::npos);
  fresh = Deterministic();
  for (int i = 500; i < 1000; ++i) fresh.mutable_series(0)->set_y(i, fresh.series(0).y(i) * 1.001);
  EXPECT_FALSE(Find(CompareWithReference(fresh, ref, {}), "series theory/gap")->ok);
}

TEST(DeterministicReferenceTest, ShorterRunIsMissingPoints) {
  const Reference ref = DeterministicReference(Deterministic());
  spec::Result fresh = Deterministic();
  fresh.mutable_series(0)->mutable_x()->Truncate(400);
  fresh.mutable_series(0)->mutable_y()->Truncate(400);
  const auto checks = CompareWithReference(fresh, ref, {});
  const ReferenceCheck* c = Find(checks, "series theory/gap");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->ok);
  EXPECT_NE(c->note.find("no point at step"), std::string::npos) << c->note;
}

// ------------------------------------------------------------------ seeded

TEST(SeededReferenceTest, HoldsPerSeedValuesOverAllSeeds) {
  const Reference ref = SeededReference();
  EXPECT_EQ(ref.seeds.size(), 24u);
  EXPECT_EQ(ref.spec_seeds, Range(0, 3));
  std::set<std::string> names;
  for (const SampleQuantity& q : ref.samples) {
    names.insert(q.name);
    EXPECT_EQ(q.values.size(), 24u) << q.name;
  }
  EXPECT_TRUE(names.count("sgd.final_loss"));
  EXPECT_TRUE(names.count("paired sgd - constant.final_loss"));
  // Six checkpoints of each curve of 50 points: indices 8, 16, 25, 33, 41, 49.
  int checkpoints = 0;
  for (const std::string& n : names) checkpoints += absl::StartsWith(n, "sgd/loss@step=");
  EXPECT_EQ(checkpoints, 6);
  EXPECT_TRUE(names.count("sgd/loss@step=98"));  // the last step
  EXPECT_FALSE(names.count("sgd/loss@step=0"));  // the first is a rounding-level quantity
  // Seed means, spreads, pooled fits and the profile's argmin are listed
  // with why they are not compared.
  std::map<std::string, std::string> excluded;
  for (const ExcludedQuantity& e : ref.excluded) excluded[e.name] = e.reason;
  EXPECT_NE(excluded["sgd.final_loss"].find("seed mean"), std::string::npos);
  EXPECT_NE(excluded["sgd.final_loss_sd"].find("seed spread"), std::string::npos);
  EXPECT_NE(excluded["sgd.fit_k0"].find("all seeds at once"), std::string::npos);
  EXPECT_NE(excluded["sgd.profile_argmin_rho"].find("jumps"), std::string::npos);
  EXPECT_NE(excluded["constant.paired_sgd_mean"].find("seed by seed"), std::string::npos);
  ASSERT_EQ(ref.tight.size(), 2u);  // constant.initial_loss, sgd.initial_loss
  ASSERT_EQ(ref.tight[1].values.size(), 3u);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(ref.tight[1].values[k], 2.3 + 0.01 * k, 1e-12);
  EXPECT_EQ(ref.winners.at("constant"), "rate 0.0125, warmup_steps 0");
  const std::string json = ReferenceJson(ref);
  absl::StatusOr<Reference> back = ParseReference(json, "net.smoke.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ReferenceJson(*back), json);
}

TEST(SeededReferenceTest, SpecRunAgreesWithItsReference) {
  const Reference ref = SeededReference();
  const auto checks = CompareWithReference(Seeded(Range(0, 3), 1.0, 1), ref, kFresh);
  for (const ReferenceCheck& c : checks) EXPECT_TRUE(c.ok) << ReferenceLine(c);
}

// Fresh seeds drawn from the reference's distribution: at a per-test level
// of 5% about 5% of tests drift (the pooled t test is exact for normal
// data); shifted by 5 sd at the level 1e-4 nearly all drift (power: the
// noncentrality 5 / sqrt(1/3 + 1/24) = 8.2 against t(1 - 5e-5, 25) = 4.8).
TEST(SeededReferenceTest, FalseAlarmAndPowerOfTheTwoSampleTest) {
  const Reference ref = SeededReference(1.0);
  int false_alarms = 0, detected = 0;
  const int repeats = 2000;
  for (int k = 0; k < repeats; ++k) {
    spec::Result fresh = Seeded(Range(0, 3), 1.0, 100 + k);
    false_alarms += !Find(CompareWithReference(fresh, ref, {{0, 1, 2}, 0.05}),
                          "sample sgd.final_loss")->ok;
    spec::Result shifted = Seeded(Range(0, 3), 1.5, 100 + k);
    detected += !Find(CompareWithReference(shifted, ref, kFresh), "sample sgd.final_loss")->ok;
  }
  // The reference's own 24 draws fix its mean and sd, so the rate over
  // fresh draws scatters around 5% by more than binomial noise: [2%, 10%].
  EXPECT_GT(false_alarms, 0.02 * repeats);
  EXPECT_LT(false_alarms, 0.10 * repeats);
  EXPECT_GT(detected, 0.9 * repeats);
}

// A quantity every reference seed gives alike (the steps run) passes on
// rounding-level differences and drifts when the fresh seeds all change; a
// change in one fresh seed of three (p = 0.003 here) is within what the
// per-test level 1e-4 attributes to chance.
TEST(SeededReferenceTest, ExactQuantitiesAgreeToRoundingOnly) {
  const Reference ref = SeededReference();
  auto with_steps = [&](double seed1, double others) {
    spec::Result fresh = Seeded(Range(0, 3), 1.0, 1);
    for (auto& s : *fresh.mutable_scalars()) {
      if (absl::StartsWith(s.name(), "sgd/seed") && absl::EndsWith(s.name(), ".steps")) {
        s.set_value(s.name() == "sgd/seed1.steps" ? seed1 : others);
      }
    }
    return Find(CompareWithReference(fresh, ref, kFresh), "sample sgd.steps")->ok;
  };
  EXPECT_TRUE(with_steps(100 * (1 + 1e-13), 100));
  EXPECT_TRUE(with_steps(99, 100));
  EXPECT_FALSE(with_steps(99, 99));
}

TEST(SeededReferenceTest, FirstValuesAreComparedSeedBySeed) {
  const Reference ref = SeededReference();
  spec::Result fresh = Seeded(Range(0, 3), 1.0, 1);
  for (auto& s : *fresh.mutable_scalars()) {
    if (s.name() == "sgd/seed2.initial_loss") s.set_value(2.32 * (1 + 1e-6));
  }
  EXPECT_TRUE(Find(CompareWithReference(fresh, ref, kFresh), "first sgd.initial_loss")->ok);
  for (auto& s : *fresh.mutable_scalars()) {
    if (s.name() == "sgd/seed2.initial_loss") s.set_value(2.32 * 1.01);  // another init
  }
  const auto checks = CompareWithReference(fresh, ref, kFresh);
  const ReferenceCheck* c = Find(checks, "first sgd.initial_loss");
  EXPECT_FALSE(c->ok);
  EXPECT_NE(c->note.find("seed 2"), std::string::npos) << c->note;
}

TEST(SeededReferenceTest, LogScaleRejectsNonPositiveValues) {
  const Reference ref = SeededReference();
  for (const SampleQuantity& q : ref.samples) {
    if (q.name == "sgd.final_loss") {
      EXPECT_TRUE(q.log_scale);
    }
  }
  spec::Result fresh = Seeded(Range(0, 3), 1.0, 1);
  for (auto& s : *fresh.mutable_scalars()) {
    if (s.name() == "sgd/seed0.final_loss") s.set_value(-0.5);
  }
  EXPECT_FALSE(Find(CompareWithReference(fresh, ref, kFresh), "sample sgd.final_loss")->ok);
}

TEST(SeededReferenceTest, MovedWinnerIsReportedAndItsRunsAreNotCompared) {
  const Reference ref = SeededReference();
  spec::Result fresh = Seeded(Range(0, 3), 1.0, 1);
  for (auto& s : *fresh.mutable_scalars()) {
    if (s.name() == "constant.tuned_rate") s.set_value(0.025);
    if (absl::StartsWith(s.name(), "constant/") && absl::EndsWith(s.name(), ".final_loss")) {
      s.set_value(5.0);  // the other winner ends elsewhere
    }
  }
  const auto checks = CompareWithReference(fresh, ref, kFresh);
  const ReferenceCheck* winner = Find(checks, "winner constant");
  ASSERT_NE(winner, nullptr);
  EXPECT_TRUE(winner->ok);
  EXPECT_NE(winner->note.find("moved"), std::string::npos);
  EXPECT_EQ(Find(checks, "sample constant.final_loss"), nullptr);
  EXPECT_EQ(Find(checks, "sample paired sgd - constant.final_loss"), nullptr);
  EXPECT_TRUE(AllOk(checks));
}

TEST(SeededReferenceTest, MissingQuantityOrSeedDrifts) {
  const Reference ref = SeededReference();
  spec::Result fresh = Seeded(Range(0, 3), 1.0, 1);
  auto* scalars = fresh.mutable_scalars();
  for (int i = scalars->size() - 1; i >= 0; --i) {
    if (scalars->Get(i).name() == "sgd/seed1.final_loss") scalars->DeleteSubrange(i, 1);
  }
  EXPECT_FALSE(Find(CompareWithReference(fresh, ref, kFresh), "sample sgd.final_loss")->ok);
}

TEST(SeededReferenceTest, CompositeLeavesItsPartsToTheirReferences) {
  spec::Result part = Seeded(Range(0, 3), 1.0, 1);
  spec::Result composite;
  composite.set_experiment("table");
  composite.set_tier("smoke");
  for (const spec::Scalar& s : part.scalars()) AddScalar("fig." + s.name(), s.value(), &composite);
  ReferenceInputs in;
  in.result = &composite;
  in.seeded_networks = true;
  in.spec_seeds = Range(0, 3);
  in.included = {"fig"};
  const Reference ref = *MakeReference(in);
  for (const SampleQuantity& q : ref.samples) {
    EXPECT_FALSE(absl::StartsWith(q.name, "fig.")) << q.name;
  }
  bool listed = false;
  for (const ExcludedQuantity& e : ref.excluded) {
    listed = listed || (e.name == "fig.sgd/seed0.final_loss" &&
                        absl::StrContains(e.reason, "own reference"));
  }
  EXPECT_TRUE(listed);
}

TEST(ReferenceFileTest, MalformedFilesNameTheField) {
  absl::StatusOr<Reference> r = ParseReference("{\"format\": 2, \"experiment\": \"x\"}", "bad.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.json"), std::string::npos);
  EXPECT_NE(r.status().message().find("'tier'"), std::string::npos);
  // A file of the previous layout: its format is named, and how to rewrite it.
  r = ParseReference("{\"experiment\": \"x\", \"tier\": \"smoke\"}", "old.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'format'"), std::string::npos);
  EXPECT_NE(r.status().message().find("--update_reference"), std::string::npos);
  EXPECT_FALSE(ParseReference("not json", "bad.json").ok());
}

}  // namespace
}  // namespace warmup
