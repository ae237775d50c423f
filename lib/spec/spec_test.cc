#include "lib/spec/spec.h"

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace warmup {
namespace {

constexpr char kMinimal[] = R"pb(
  name: "demo"
  engine { synthetic {} }
  problem { river_valley { mu: 0.1 lambda0: 1 lambda1: 1 } }
  iterations: 100
  seeds: [1, 2]
  schedules { label: "c" constant { lr: 0.01 } }
  tiers {
    name: "smoke"
    overrides { iterations: 10 seeds: [5] problem { river_valley { mu: 0.2 } } }
  }
)pb";

TEST(ParseTest, ErrorNamesFileLineColumnAndField) {
  const auto parsed = ParseExperiment("name: \"x\"\niteratons: 5\n", "spec.textproto");
  ASSERT_FALSE(parsed.ok());
  const std::string msg(parsed.status().message());
  EXPECT_NE(msg.find("spec.textproto:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("iteratons"), std::string::npos) << msg;
}

TEST(ParseTest, UnknownScheduleKindIsAParseError) {
  const auto parsed = ParseExperiment(
      "schedules {\n  label: \"a\"\n  warmup_cosine { }\n}\n", "s.textproto");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("s.textproto:3:"), std::string::npos)
      << parsed.status();
  EXPECT_NE(parsed.status().message().find("warmup_cosine"), std::string::npos);
}

TEST(TierTest, ScalarsMergeAndListsReplace) {
  auto base = ParseExperiment(kMinimal, "m");
  ASSERT_TRUE(base.ok()) << base.status();
  auto smoke = ApplyTier(*base, "smoke");
  ASSERT_TRUE(smoke.ok());
  EXPECT_EQ(smoke->iterations(), 10);
  ASSERT_EQ(smoke->seeds_size(), 1);
  EXPECT_EQ(smoke->seeds(0), 5);
  EXPECT_DOUBLE_EQ(smoke->problem().river_valley().mu(), 0.2);
  EXPECT_DOUBLE_EQ(smoke->problem().river_valley().lambda0(), 1.0);  // kept
  EXPECT_EQ(smoke->schedules_size(), 1);
  EXPECT_EQ(smoke->tiers_size(), 0);
  auto none = ApplyTier(*base, "");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->iterations(), 100);
  auto unknown = ApplyTier(*base, "gpu");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown tier 'gpu': this spec defines smoke"),
            std::string::npos);
}

// The engine is stated, matches the fields it reads, and no tier changes it.
TEST(ValidateTest, EngineIsStatedAndMatchesTheSpec) {
  auto base = ParseExperiment(kMinimal, "m");
  ASSERT_TRUE(base.ok()) << base.status();
  spec::Experiment e = *base;
  e.clear_engine();
  EXPECT_NE(ValidateExperiment(e).message().find("engine: not set; expected one of synthetic"),
            std::string::npos)
      << ValidateExperiment(e);
  e.mutable_engine()->mutable_network();  // a river valley is no network
  EXPECT_NE(ValidateExperiment(e).message().find("engine: network needs problem.network"),
            std::string::npos)
      << ValidateExperiment(e);
  e.mutable_engine()->mutable_speedup_sweep();
  EXPECT_NE(ValidateExperiment(e).message().find("speedup_sweep needs sweep.horizons"),
            std::string::npos);
  e.mutable_engine()->mutable_composite();
  EXPECT_NE(ValidateExperiment(e).message().find("composite needs include"), std::string::npos);
  e = *base;
  e.mutable_sweep()->add_horizons(10);  // a sweep's field under the synthetic engine
  EXPECT_NE(ValidateExperiment(e).message().find("engine: synthetic, but the spec sets"),
            std::string::npos);
  e = *base;
  e.mutable_tiers(0)->mutable_overrides()->mutable_engine()->mutable_network();
  EXPECT_NE(ValidateSpecAsWritten(e).message().find(
                "tiers 'smoke'.overrides.engine: a tier cannot change the engine"),
            std::string::npos)
      << ValidateSpecAsWritten(e);
}

// Cross-field checks a network run would otherwise meet only after it started:
// tuning seeds that overlap the claim seeds, and a training text too short for
// two windows.
TEST(ValidateTest, NetworkCrossFieldChecksRunBeforeTraining) {
  auto spec = ParseExperiment(R"pb(
    name: "net"
    engine { network {} }
    problem { network { model: "nanogpt" dataset: "tinyshakespeare" context: 64 train_examples: 1000 } }
    optimizer { kind: SGD batch_size: 4 }
    iterations: 10
    seeds: [1, 2]
    schedules { label: "theory" theory_warmup { c: 1 k0: 10 krho: 0.01 rho: 1 } }
    tuned {
      label: "constant"
      schedule { label: "constant" constant { lr: 0.1 } }
      rate_grid: [0.1]
      rule: ANY
      objective: "final_loss"
      tuning_seeds: [100]
    }
    claims { id: "ok" kind: SANITY metric: "constant.diverged" op: LE threshold: 0 rationale: "t" }
  )pb", "net");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(ValidateExperiment(*spec).ok()) << ValidateExperiment(*spec);
  spec::Experiment overlap = *spec;
  overlap.mutable_tuned(0)->set_tuning_seeds(0, 2);
  EXPECT_NE(ValidateExperiment(overlap).message().find(
                "tuned 'constant'.tuning_seeds: 2 is also in seeds"),
            std::string::npos)
      << ValidateExperiment(overlap);
  spec::Experiment first_seed = *spec;
  first_seed.mutable_tuned(0)->clear_tuning_seeds();
  EXPECT_NE(ValidateExperiment(first_seed).message().find("tuning_seeds: empty"), std::string::npos);
  first_seed.clear_seeds();
  first_seed.add_seeds(1);  // one seed: tuning on it is allowed
  EXPECT_TRUE(ValidateExperiment(first_seed).ok()) << ValidateExperiment(first_seed);
  spec::Experiment short_text = *spec;
  short_text.mutable_problem()->mutable_network()->set_train_examples(129);
  EXPECT_NE(ValidateExperiment(short_text).message().find(
                "problem.network.train_examples: 129 characters cannot hold two windows"),
            std::string::npos)
      << ValidateExperiment(short_text);
  short_text.mutable_problem()->mutable_network()->set_train_examples(130);
  EXPECT_TRUE(ValidateExperiment(short_text).ok()) << ValidateExperiment(short_text);
}

TEST(ValidateTest, RejectsBadSpecs) {
  auto base = ParseExperiment(kMinimal, "m");
  ASSERT_TRUE(base.ok());
  EXPECT_TRUE(ValidateExperiment(*base).ok());

  spec::Experiment e = *base;
  e.set_iterations(0);
  EXPECT_NE(ValidateExperiment(e).message().find("iterations: must be > 0, got 0"),
            std::string::npos);
  e = *base;
  e.set_iterations(-3);
  EXPECT_FALSE(ValidateExperiment(e).ok());
  e = *base;
  e.clear_problem();
  EXPECT_NE(ValidateExperiment(e).message().find("problem: no kind"), std::string::npos);
  e = *base;
  e.mutable_schedules(0)->clear_constant();
  EXPECT_NE(ValidateExperiment(e).message().find("no kind"), std::string::npos);
  e = *base;
  e.add_schedules()->CopyFrom(e.schedules(0));
  EXPECT_NE(ValidateExperiment(e).message().find("appears twice"), std::string::npos);
  e = *base;
  e.set_name("Bad Name");
  EXPECT_FALSE(ValidateExperiment(e).ok());
  e = *base;
  auto* claim = e.add_claims();
  claim->set_id("x");
  claim->set_metric("c.final_gap");
  claim->set_op(spec::Claim::LE);
  EXPECT_NE(ValidateExperiment(e).message().find("rationale"), std::string::npos);
  e = *base;                               // seeds [1, 2]
  e.mutable_sweep()->add_tuning_seeds(1);  // selects and scores: not disjoint
  EXPECT_NE(ValidateExperiment(e).message().find("sweep.tuning_seeds: 1 is also in seeds"),
            std::string::npos);
  e.mutable_sweep()->set_tuning_seeds(0, 7);
  EXPECT_TRUE(ValidateExperiment(e).ok());
  e = *base;
  e.mutable_profile()->set_transient_fraction(0.9);  // the default rule is COLLAPSE_END
  EXPECT_NE(ValidateExperiment(e).message().find(
                "profile.transient_fraction: 0.9 is set, but it applies only with "
                "transient_rule: LOSS_FRACTION (got TRANSIENT_RULE_UNSPECIFIED)"),
            std::string::npos);
  e.mutable_profile()->set_transient_rule(spec::Profile::LOSS_FRACTION);
  EXPECT_TRUE(ValidateExperiment(e).ok());
}

// The trace and density are measured at steps inside a network run, and
// only when one of them is asked for.
TEST(ValidateTest, SpectrumProfileNeedsStepsInsideTheRunAndSomethingToMeasure) {
  auto parsed = ParseExperiment(R"pb(
    name: "net"
    engine { network {} }
    problem { network { model: "nanogpt" dataset: "tinyshakespeare" } }
    iterations: 100
    schedules { label: "c" constant { lr: 0.01 } }
    profile { every: 10 spectrum_steps: [0, 50, 100] trace_hvps: 30 density_runs: 1 }
  )pb", "net");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(ValidateExperiment(*parsed).ok()) << ValidateExperiment(*parsed);
  spec::Experiment e = *parsed;
  e.mutable_profile()->set_spectrum_steps(2, 101);
  EXPECT_NE(ValidateExperiment(e).message().find(
                "profile.spectrum_steps[2]: 101 is beyond the run's 100 iterations"),
            std::string::npos);
  e = *parsed;
  e.mutable_profile()->set_trace_hvps(3);
  EXPECT_NE(ValidateExperiment(e).message().find("profile.trace_hvps: expected 0 or at least 4"),
            std::string::npos);
  e = *parsed;
  e.mutable_profile()->set_trace_hvps(0);
  e.mutable_profile()->set_density_runs(0);
  EXPECT_NE(ValidateExperiment(e).message().find("trace_hvps and density_runs are both 0"),
            std::string::npos);
  e = *parsed;
  e.mutable_profile()->clear_spectrum_steps();
  EXPECT_NE(ValidateExperiment(e).message().find("spectrum_steps is empty"), std::string::npos);
  e = *parsed;
  e.mutable_profile()->set_density_runs(-1);
  EXPECT_NE(ValidateExperiment(e).message().find("profile.density_runs: expected a finite number in [0, 1000], got -1"),
            std::string::npos);
}

TEST(LoadTest, MissingFileIsNotFound) {
  const auto loaded = LoadExperiment("no/such/spec.textproto", "");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(loaded.status().message().find("no/such/spec.textproto"), std::string::npos);
}

// Every spec of the project loads and validates at every tier it defines.
TEST(LoadTest, ProjectSpecsValidateAtEveryTier) {
  for (const char* path : {"experiments/fig1a_resnet18_cifar10.textproto",
                           "experiments/fig1b_nanogpt_shakespeare.textproto",
                           "experiments/fig2_river_valley.textproto",
                           "experiments/fig3_warmup_schedules.textproto",
                           "experiments/table_fitted_constants.textproto",
                           "experiments/table_speedup.textproto"}) {
    const auto base = LoadExperiment(path, "");
    ASSERT_TRUE(base.ok()) << base.status();
    for (const char* tier : {"smoke", "cpu", "paper"}) {
      const auto tiered = LoadExperiment(path, tier);
      EXPECT_TRUE(tiered.ok()) << path << " " << tier << ": " << tiered.status();
    }
  }
}

// A sweep's SGD modes: one per noise that is on and per law, Gaussian keeping
// the mode's name; a claim on a mode that does not run says which noise
// field turns it on.
TEST(SweepNoiseModesTest, OneModePerNoiseAndLaw) {
  spec::Experiment e;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(problem { noise { sigma: 0.1 } }
           sweep { abc_noise { sigma: 0.1 a: 10 } noise_kinds: [GAUSSIAN, UNIFORM_BALL] })pb",
      &e));
  auto names = [&] {
    std::vector<std::string> out;
    for (const SweepNoiseMode& m : SweepNoiseModes(e)) out.push_back(m.name);
    return out;
  };
  EXPECT_EQ(names(), (std::vector<std::string>{"sgd", "sgd_uniform_ball", "sgd_abc",
                                               "sgd_abc_uniform_ball"}));
  EXPECT_EQ(SweepNoiseModes(e)[1].noise.kind(), spec::Noise::UNIFORM_BALL);
  EXPECT_EQ(SweepNoiseModes(e)[3].noise.a(), 10.0);
  e.mutable_sweep()->clear_noise_kinds();  // each noise's own law
  e.mutable_problem()->mutable_noise()->set_kind(spec::Noise::UNIFORM_BALL);
  EXPECT_EQ(names(), (std::vector<std::string>{"sgd_uniform_ball", "sgd_abc"}));
  e.mutable_problem()->clear_noise();
  EXPECT_EQ(names(), (std::vector<std::string>{"sgd_abc"}));
}

// Only the polynomial family has a power grid, ascending and positive.
TEST(ValidateTunedBaselineTest, PowerGrid) {
  spec::TunedBaseline b;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(label: "poly"
           schedule { polynomial_warmup { peak_lr: 1 warmup_steps: 10 } }
           rate_grid: [0.5, 1]
           warmup_steps_grid: [10, 100]
           power_grid: [1, 2, 4]
           rule: MONOTONE
           objective: "steps_to_target")pb",
      &b));
  EXPECT_TRUE(ValidateTunedBaseline(b, false, true).ok());
  b.set_power_grid(1, 0.5);
  EXPECT_NE(ValidateTunedBaseline(b, false, true).message().find("power_grid"),
            std::string::npos);
  b.clear_power_grid();  // the family's own power is 0: invalid
  EXPECT_NE(ValidateTunedBaseline(b, false, true).message().find("polynomial_warmup.power"),
            std::string::npos);
  b.add_power_grid(2);
  b.mutable_schedule()->mutable_cosine_warmup();
  EXPECT_NE(ValidateTunedBaseline(b, false, true).message().find("only the polynomial_warmup"),
            std::string::npos);
}

}  // namespace
}  // namespace warmup
