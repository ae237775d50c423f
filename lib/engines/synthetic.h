#ifndef WARMUP_LIB_ENGINES_SYNTHETIC_H_
#define WARMUP_LIB_ENGINES_SYNTHETIC_H_

#include "lib/engines/engine.h"

namespace warmup {

// GD or SGD on a closed-form problem (spec engine `synthetic`): tunes the
// spec's baselines, runs every schedule and seed with the Eigen loop and
// records series, scalars and outcomes. Runs are "<label>" for one seed and
// "<label>/seed<k>" for several; scalars "<run>.<quantity>", "<label>.<quantity>"
// (the mean over seeds) and "problem.<constant>"; docs/specs.md lists them.
class SyntheticEngine final : public Engine {
 public:
  DeclaredOutputs Declare(const spec::Experiment& experiment) const override;
  absl::Status Run(const spec::Experiment& experiment, const RunContext& context,
                   spec::Result* result) const override;
};

// The engines that need no LibTorch: synthetic and speedup_sweep (network
// null). Tests of the runner use these; binaries use AllEngines().
const EngineSet& SyntheticEngines();

}  // namespace warmup

#endif  // WARMUP_LIB_ENGINES_SYNTHETIC_H_
