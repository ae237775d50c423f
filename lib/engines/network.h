#ifndef WARMUP_LIB_ENGINES_NETWORK_H_
#define WARMUP_LIB_ENGINES_NETWORK_H_

#include "lib/engines/engine.h"
#include "lib/engines/synthetic.h"

namespace warmup {

// Trains the paper's networks (spec engine `network`) with the LibTorch
// trainer: tunes the spec's baselines on their tuning seeds, trains every
// schedule and seed, and records loss, rate and smoothness series, per-seed
// and mean scalars, seed-paired differences of final losses, the fitted
// smoothness envelope and the fitted-constants table. Runs are "<label>"
// for one seed and "<label>/seed<k>" for several; docs/specs.md lists the
// scalars.
class NetworkEngine final : public Engine {
 public:
  DeclaredOutputs Declare(const spec::Experiment& experiment) const override;
  absl::Status Run(const spec::Experiment& experiment, const RunContext& context,
                   spec::Result* result) const override;
};

// Every engine: synthetic, speedup_sweep and network.
const EngineSet& AllEngines();

}  // namespace warmup

#endif  // WARMUP_LIB_ENGINES_NETWORK_H_
