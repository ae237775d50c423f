#ifndef WARMUP_LIB_SPEC_SPEC_H_
#define WARMUP_LIB_SPEC_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/experiment.pb.h"

namespace warmup {

// Parses a text-format Experiment. A syntax error or unknown field comes back
// as InvalidArgument "<path>:<line>:<column>: <what>"; `path` only labels it.
absl::StatusOr<spec::Experiment> ParseExperiment(const std::string& text,
                                                 const std::string& path);

// Parses `text` (labelled `path` in errors), applies the tier's overrides and
// validates the result: what LoadExperiment does once the file is read.
absl::StatusOr<spec::Experiment> BuildExperiment(const std::string& text,
                                                 const std::string& path,
                                                 const std::string& tier);

// Reads, parses and validates a spec file, then applies the tier's overrides
// (`tier` empty: the spec's default_tier, if any). NotFound when the file
// cannot be read.
absl::StatusOr<spec::Experiment> LoadExperiment(const std::string& path,
                                                const std::string& tier);

// Merges `tier`'s overrides into the base: scalars and messages field by
// field; a repeated field present in the override replaces the base list.
absl::StatusOr<spec::Experiment> ApplyTier(const spec::Experiment& base,
                                           const std::string& tier);

// Checks one tuned baseline (proto TunedBaseline): label, family, ascending
// grids, rule and objective. `network` forbids MONOTONE and steps_to_target;
// steps_to_target also needs `has_target` (stop.target_gap > 0).
absl::Status ValidateTunedBaseline(const spec::TunedBaseline& baseline,
                                   bool network, bool has_target);

// One SGD mode of a speed-up sweep: its name and its noise.
struct SweepNoiseMode {
  std::string name;
  spec::Noise noise;
};

// The SGD modes of a speed-up sweep (proto Sweep): "sgd" under the problem's
// noise and "sgd_abc" under sweep.abc_noise, each when that noise is on,
// once per law of sweep.noise_kinds (empty: the noise's own law). A
// Gaussian mode keeps the name; another law appends its lower-case name
// ("sgd_uniform_ball"). The sweep runs GD ("gd") as well.
std::vector<SweepNoiseMode> SweepNoiseModes(const spec::Experiment& experiment);

// Checks a spec after tier overrides: every numeric field finite and in its
// documented range (proto/range.proto), then the rules between fields (the
// engine against the fields it reads, runs, labels, the form of claims).
// The error names the field at fault. The names claims and panels use are
// checked against the engine's declared outputs by the runner
// (lib/runner/declared.h), which knows the engines.
absl::Status ValidateExperiment(const spec::Experiment& experiment);

// Checks a spec as written, before a tier is applied: the values each tier
// sets are finite and in range, tier names are distinct, and default_tier
// and every claim's tiers name a tier of the spec.
absl::Status ValidateSpecAsWritten(const spec::Experiment& experiment);

}  // namespace warmup

#endif  // WARMUP_LIB_SPEC_SPEC_H_
