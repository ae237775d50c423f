// Validation of experiment specs: the engine against the fields it reads,
// runs, labels, tuned baselines, profiles, claims' form and tier names
// (spec.h). Kept apart from parsing and tiering (spec.cc).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/problems/make_objective.h"
#include "lib/schedule/schedule.h"
#include "lib/spec/field_range.h"
#include "lib/spec/spec.h"

namespace warmup {
namespace {

bool IsName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// Ascending and > 0, the order the edge flag and the tuning table assume.
template <typename T>
absl::Status CheckGrid(const google::protobuf::RepeatedField<T>& grid,
                       const std::string& where) {
  for (int i = 0; i < grid.size(); ++i) {
    if (!(grid[i] > 0) || (i > 0 && !(grid[i] > grid[i - 1]))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: expected values > 0 in ascending order, got %s at index %d",
          where, absl::StrCat(grid[i]), i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTunedBaseline(const spec::TunedBaseline& b, bool network,
                                   bool has_target) {
  const std::string where = absl::StrCat("tuned '", b.label(), "'");
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
  };
  if (!IsName(b.label())) return bad("label: expected a [a-z0-9_]+ identifier");
  const bool warmup_family = IsWarmupFamily(b.schedule());
  if (!b.schedule().has_constant() && !warmup_family) {
    return bad(
        "schedule: expected a constant, linear_warmup, exponential_warmup, cosine_warmup or "
        "polynomial_warmup family");
  }
  if (b.rate_grid().empty()) return bad("rate_grid: must list at least one rate");
  if (absl::Status st = CheckGrid(b.rate_grid(), where + ".rate_grid"); !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckGrid(b.warmup_steps_grid(), where + ".warmup_steps_grid");
      !st.ok()) {
    return st;
  }
  if (!b.warmup_steps_grid().empty() && !warmup_family) {
    return bad("warmup_steps_grid: only a warmup family has a length");
  }
  if (absl::Status st = CheckGrid(b.power_grid(), where + ".power_grid"); !st.ok()) {
    return st;
  }
  if (!b.power_grid().empty() && !b.schedule().has_polynomial_warmup()) {
    return bad("power_grid: only the polynomial_warmup family has a power");
  }
  if (b.rule() == spec::TunedBaseline::RULE_UNSPECIFIED) {
    return bad("rule: expected MONOTONE or ANY");
  }
  if (network && b.rule() == spec::TunedBaseline::MONOTONE) {
    return bad("rule: MONOTONE needs the exact loss; network runs use ANY");
  }
  if (b.objective() == "steps_to_target") {
    if (network || !has_target) {
      return bad("objective: steps_to_target needs a synthetic problem with stop.target_gap");
    }
  } else if (b.objective() != "final_loss") {
    return bad(absl::StrFormat(
        "objective: expected steps_to_target or final_loss, got '%s'", b.objective()));
  }
  for (int64_t seed : b.tuning_seeds()) {
    if (seed < 0) return bad("tuning_seeds: must be >= 0");
  }
  // The family is checked with the grid's first values filled in.
  spec::Schedule probe = b.schedule();
  probe.set_label(b.label());
  SetFamilyParameters({b.rate_grid(0),
                       b.warmup_steps_grid().empty() ? 0 : b.warmup_steps_grid(0),
                       b.power_grid().empty() ? 0.0 : b.power_grid(0)},
                      &probe);
  return ValidateSchedule(probe);
}

namespace {

absl::Status Bad(const std::string& what) { return absl::InvalidArgumentError(what); }

// A composite names other specs; its parts are validated when loaded.
absl::Status ValidateComposite(const spec::Experiment& e) {
  for (const spec::Claim& c : e.claims()) {
    if (c.op() == spec::Claim::OP_UNSPECIFIED || c.rationale().empty()) {
      return Bad(absl::StrFormat("claims '%s': op and rationale must be set", c.id()));
    }
  }
  return absl::OkStatus();
}

// The speed-up sweep runs the instance family f_T over its horizons, its
// constant over a grid, against a theory warmup.
absl::Status ValidateSweep(const spec::Experiment& e) {
  if (e.sweep().horizons().empty() || !e.include().empty()) {
    return Bad("engine: speedup_sweep needs sweep.horizons, and no include");
  }
  if (e.problem().kind_case() != spec::Problem::kSpeedupInstance) {
    return Bad("problem: the speedup_sweep engine needs problem.speedup_instance (the "
               "instance family f_T)");
  }
  if (e.sweep().constant_grid().empty()) return Bad("sweep.constant_grid: must not be empty");
  for (const spec::Schedule& s : e.schedules()) {
    if (s.has_theory_warmup()) return absl::OkStatus();
  }
  return Bad("schedules: the speedup_sweep engine needs a theory_warmup schedule");
}

// The engine is stated (Engine in proto/experiment.proto) and the fields it
// reads are the ones set: a spec runs on the engine it names or not at all.
absl::Status ValidateEngine(const spec::Experiment& e) {
  const bool network = e.problem().has_network();
  const bool sweep = e.sweep().horizons_size() > 0;
  const bool composite = !e.include().empty();
  switch (e.engine().kind_case()) {
    case spec::Engine::kSynthetic:
      if (network || sweep || composite) {
        return Bad("engine: synthetic, but the spec sets problem.network, sweep.horizons or "
                   "include; expected a closed-form problem (river_valley, cosh_valley or "
                   "speedup_instance) and schedules");
      }
      return absl::OkStatus();
    case spec::Engine::kSpeedupSweep:
      return ValidateSweep(e);
    case spec::Engine::kNetwork:
      if (!network || sweep || composite) {
        return Bad("engine: network needs problem.network, and neither sweep.horizons nor "
                   "include");
      }
      return absl::OkStatus();
    case spec::Engine::kComposite:
      if (!composite) return Bad("engine: composite needs include (the specs it runs)");
      return absl::OkStatus();
    default:
      return Bad("engine: not set; expected one of synthetic, speedup_sweep, network or "
                 "composite, for example 'engine { network {} }'");
  }
}

// Reference seeds widen a network spec's stored distribution: they must be
// new seeds, and the runs they extend need names that carry their seed.
absl::Status ValidateReferenceSeeds(const spec::Experiment& e) {
  if (e.reference_seeds().empty()) return absl::OkStatus();
  if (!e.problem().has_network()) {
    return Bad("reference_seeds: only network specs have reference seeds (synthetic runs are "
               "compared to rounding)");
  }
  if (e.seeds_size() < 2) {
    return Bad(absl::StrFormat("reference_seeds: the spec needs at least 2 seeds to be "
                               "compared with a distribution, has %d", e.seeds_size()));
  }
  std::set<int64_t> taken(e.seeds().begin(), e.seeds().end());
  for (const spec::TunedBaseline& b : e.tuned()) {
    taken.insert(b.tuning_seeds().begin(), b.tuning_seeds().end());
  }
  std::set<int64_t> seen;
  for (int64_t seed : e.reference_seeds()) {
    if (taken.count(seed) > 0 || !seen.insert(seed).second) {
      return Bad(absl::StrFormat(
          "reference_seeds: %d is repeated, or also a seed or tuning seed; reference seeds "
          "must be new draws", seed));
    }
  }
  return absl::OkStatus();
}

// The trace and density of a network's profile: measured at steps inside
// the run, and only when something is asked for at them.
absl::Status ValidateSpectrumProfile(const spec::Experiment& e) {
  const spec::Profile& p = e.profile();
  const bool asked = p.trace_hvps() > 0 || p.density_runs() > 0;
  if (p.spectrum_steps().empty()) {
    return asked ? Bad("profile: trace_hvps or density_runs is set but spectrum_steps is "
                       "empty; list the steps to measure them at")
                 : absl::OkStatus();
  }
  if (!e.problem().has_network()) {
    return Bad("profile.spectrum_steps: only network experiments are profiled");
  }
  if (!asked) {
    return Bad("profile.spectrum_steps: set, but trace_hvps and density_runs are both 0; "
               "set at least one");
  }
  if (p.trace_hvps() > 0 && p.trace_hvps() < 4) {
    return Bad(absl::StrFormat(
        "profile.trace_hvps: expected 0 or at least 4 (a Hutch++ sketch, its trace and two "
        "probes), got %d", p.trace_hvps()));
  }
  for (int i = 0; i < p.spectrum_steps_size(); ++i) {
    if (p.spectrum_steps(i) > e.iterations()) {
      return Bad(absl::StrFormat("profile.spectrum_steps[%d]: %d is beyond the run's %d "
                                 "iterations", i, p.spectrum_steps(i), e.iterations()));
    }
  }
  return absl::OkStatus();
}

// What every run needs: a length, a problem and something to run on it.
absl::Status ValidateRunShape(const spec::Experiment& e) {
  const bool sweep = e.engine().has_speedup_sweep();
  if (e.iterations() <= 0 && !sweep) {
    return Bad(absl::StrFormat("iterations: must be > 0, got %d", e.iterations()));
  }
  if (e.problem().kind_case() == spec::Problem::KIND_NOT_SET) {
    return Bad(
        "problem: no kind set; expected one of river_valley, cosh_valley, "
        "speedup_instance, network");
  }
  if (e.problem().has_network()) {
    const spec::Network& n = e.problem().network();
    if (!((n.model() == "resnet18" && n.dataset() == "cifar10") ||
          (n.model() == "nanogpt" && n.dataset() == "tinyshakespeare"))) {
      return Bad(absl::StrFormat(
          "problem.network: model '%s' on dataset '%s'; expected resnet18 on cifar10 "
          "or nanogpt on tinyshakespeare",
          n.model(), n.dataset()));
    }
    // The trainer's defaults: 128 wide, 4 heads.
    const int64_t embedding = n.embedding() > 0 ? n.embedding() : 128;
    const int64_t heads = n.heads() > 0 ? n.heads() : 4;
    if (n.model() == "nanogpt" && embedding % heads != 0) {
      return Bad(absl::StrFormat(
          "problem.network.embedding: %d is not a multiple of network.heads (%d)",
          embedding, heads));
    }
  } else if (absl::Status st = ValidateSyntheticProblem(e.problem()); !st.ok()) {
    return st;
  }
  if (e.schedules().empty() && !sweep) {
    return Bad("schedules: at least one schedule is required");
  }
  if (e.profile().transient_fraction() > 0 &&
      e.profile().transient_rule() != spec::Profile::LOSS_FRACTION) {
    return Bad(absl::StrFormat(
        "profile.transient_fraction: %g is set, but it applies only with transient_rule: "
        "LOSS_FRACTION (got %s)",
        e.profile().transient_fraction(),
        spec::Profile::TransientRule_Name(e.profile().transient_rule())));
  }
  if (absl::Status st = ValidateSpectrumProfile(e); !st.ok()) return st;
  for (int64_t seed : e.sweep().tuning_seeds()) {
    if (std::find(e.seeds().begin(), e.seeds().end(), seed) != e.seeds().end()) {
      return Bad(absl::StrFormat(
          "sweep.tuning_seeds: %d is also in seeds; the seeds that select must be disjoint "
          "from those that score",
          seed));
    }
  }
  return ValidateReferenceSeeds(e);
}

// Schedules and tuned baselines: each valid, each label distinct. Fills
// `labels` with every run label.
// A network baseline is tuned on seeds disjoint from the claim seeds (an
// empty list means the first claim seed, allowed only for a single seed), so
// that the seeds a claim is tested on do not select its baseline.
absl::Status ValidateTuningSeeds(const spec::Experiment& e, const spec::TunedBaseline& b) {
  if (!e.problem().has_network() || e.seeds_size() < 2) return absl::OkStatus();
  if (b.tuning_seeds().empty()) {
    return Bad(absl::StrFormat(
        "tuned '%s'.tuning_seeds: empty (tune on the first seed) with %d claim seeds; list "
        "tuning seeds disjoint from seeds",
        b.label(), e.seeds_size()));
  }
  for (int64_t seed : b.tuning_seeds()) {
    if (std::find(e.seeds().begin(), e.seeds().end(), seed) != e.seeds().end()) {
      return Bad(absl::StrFormat(
          "tuned '%s'.tuning_seeds: %d is also in seeds; list tuning seeds disjoint from the "
          "claim seeds so that the claim seeds do not select the baseline",
          b.label(), seed));
    }
  }
  return absl::OkStatus();
}

// A character-level network's training prefix holds two windows of
// context + 1 (the trainer's batches and its measurement windows need them).
absl::Status ValidateTrainingText(const spec::Experiment& e) {
  const spec::Network& n = e.problem().network();
  if (!e.problem().has_network() || n.dataset() != "tinyshakespeare" || n.train_examples() <= 0) {
    return absl::OkStatus();
  }
  const int64_t context = n.context() > 0 ? n.context() : 64;  // the trainer's default
  if (n.train_examples() < 2 * (context + 1)) {
    return Bad(absl::StrFormat(
        "problem.network.train_examples: %d characters cannot hold two windows of context + 1 "
        "(%d); expected at least %d",
        n.train_examples(), context + 1, 2 * (context + 1)));
  }
  return absl::OkStatus();
}

absl::Status ValidateRuns(const spec::Experiment& e, std::set<std::string>* labels) {
  for (const spec::Schedule& s : e.schedules()) {
    if (absl::Status st = ValidateSchedule(s); !st.ok()) return st;
    if (!IsName(s.label())) {
      return Bad(absl::StrFormat("schedules.label: expected [a-z0-9_]+, got '%s'", s.label()));
    }
    if (!labels->insert(s.label()).second) {
      return Bad(absl::StrFormat("schedules.label: '%s' appears twice", s.label()));
    }
  }
  for (const spec::TunedBaseline& b : e.tuned()) {
    if (absl::Status st = ValidateTuningSeeds(e, b); !st.ok()) return st;
    if (absl::Status st = ValidateTunedBaseline(b, e.problem().has_network(),
                                                e.stop().target_gap() > 0);
        !st.ok()) {
      return st;
    }
    if (!labels->insert(b.label()).second) {
      return Bad(absl::StrFormat("tuned.label: '%s' is already a schedule label", b.label()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<SweepNoiseMode> SweepNoiseModes(const spec::Experiment& e) {
  std::vector<SweepNoiseMode> modes;
  for (const auto& [name, noise] : {std::pair{"sgd", e.problem().noise()},
                                    std::pair{"sgd_abc", e.sweep().abc_noise()}}) {
    if (!(noise.sigma() > 0 || noise.a() > 0)) continue;
    std::vector<int> kinds(e.sweep().noise_kinds().begin(), e.sweep().noise_kinds().end());
    if (kinds.empty()) kinds.push_back(noise.kind());
    for (int kind : kinds) {
      SweepNoiseMode mode{name, noise};
      mode.noise.set_kind(static_cast<spec::Noise::Kind>(kind));
      if (mode.noise.kind() != spec::Noise::GAUSSIAN) {
        absl::StrAppend(&mode.name, "_",
                        absl::AsciiStrToLower(spec::Noise::Kind_Name(mode.noise.kind())));
      }
      modes.push_back(std::move(mode));
    }
  }
  return modes;
}

namespace {

// Claims: distinct ids, an operator and a rationale. Their operands are
// checked against what the spec's engine declares (lib/runner/declared.h).
absl::Status ValidateClaims(const spec::Experiment& e) {
  std::set<std::string> ids;
  for (const spec::Claim& c : e.claims()) {
    if (!IsName(c.id())) {
      return Bad(absl::StrFormat("claims.id: expected [a-z0-9_]+, got '%s'", c.id()));
    }
    if (!ids.insert(c.id()).second) {
      return Bad(absl::StrFormat("claims.id: '%s' appears twice", c.id()));
    }
    if (c.metric().empty()) {
      return Bad(absl::StrFormat("claims '%s': metric must be set", c.id()));
    }
    if (c.op() == spec::Claim::OP_UNSPECIFIED) {
      return Bad(absl::StrFormat("claims '%s': op must be one of LE, LT, GE, GT, EQ", c.id()));
    }
    if (c.rationale().empty()) {
      return Bad(absl::StrFormat(
          "claims '%s': rationale must say where the threshold came from", c.id()));
    }
  }
  return absl::OkStatus();
}

// Tier names are identifiers and distinct; default_tier and every claim's
// tiers name one of them. Checked on the spec as written, before a tier is
// applied.
absl::Status ValidateTierNames(const spec::Experiment& e) {
  std::set<std::string> names;
  for (int i = 0; i < e.tiers_size(); ++i) {
    const std::string& name = e.tiers(i).name();
    if (!IsName(name)) {
      return Bad(absl::StrFormat("tiers[%d].name: expected [a-z0-9_]+, got '%s'", i, name));
    }
    if (!names.insert(name).second) {
      return Bad(absl::StrFormat("tiers[%d].name: '%s' appears twice", i, name));
    }
  }
  const std::string defined =
      names.empty() ? std::string("no tiers") : absl::StrJoin(names, ", ");
  if (!e.default_tier().empty() && names.count(e.default_tier()) == 0) {
    return Bad(absl::StrFormat("default_tier: '%s' is not a tier of this spec (it defines %s)",
                               e.default_tier(), defined));
  }
  auto check_claims = [&](const spec::Experiment& part) -> absl::Status {
    for (const spec::Claim& c : part.claims()) {
      for (const std::string& t : c.tiers()) {
        if (names.count(t) == 0) {
          return Bad(absl::StrFormat(
              "claims '%s'.tiers: '%s' is not a tier of this spec (it defines %s)", c.id(), t,
              defined));
        }
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status st = check_claims(e); !st.ok()) return st;
  for (const spec::Tier& t : e.tiers()) {
    if (absl::Status st = check_claims(t.overrides()); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateExperiment(const spec::Experiment& e) {
  // Tier overrides are checked as written (ValidateSpecAsWritten): their
  // unset fields are not zeros.
  spec::Experiment untiered = e;
  untiered.clear_tiers();
  if (absl::Status st = CheckFieldRanges(untiered, /*set_only=*/false); !st.ok()) return st;
  if (!IsName(e.name())) {
    return Bad(absl::StrFormat("name: expected a non-empty [a-z0-9_]+ identifier, got '%s'",
                               e.name()));
  }
  if (absl::Status st = ValidateEngine(e); !st.ok()) return st;
  if (e.engine().has_composite()) return ValidateComposite(e);
  std::set<std::string> labels;
  if (absl::Status st = ValidateRunShape(e); !st.ok()) return st;
  if (absl::Status st = ValidateTrainingText(e); !st.ok()) return st;
  if (absl::Status st = ValidateRuns(e, &labels); !st.ok()) return st;
  return ValidateClaims(e);
}

absl::Status ValidateSpecAsWritten(const spec::Experiment& e) {
  // Tier overrides hold only what they change: their unset fields mean
  // "keep the base", so only set fields are range-checked here; the merged
  // spec is checked in full by ValidateExperiment.
  if (absl::Status st = CheckFieldRanges(e, /*set_only=*/true); !st.ok()) return st;
  for (const spec::Tier& t : e.tiers()) {
    if (t.overrides().has_engine()) {
      return Bad(absl::StrFormat("tiers '%s'.overrides.engine: a tier cannot change the engine",
                                 t.name()));
    }
  }
  return ValidateTierNames(e);
}

}  // namespace warmup
