#ifndef WARMUP_LIB_ENGINES_SPEEDUP_SWEEP_H_
#define WARMUP_LIB_ENGINES_SPEEDUP_SWEEP_H_

#include "lib/engines/engine.h"

namespace warmup {

// The speed-up sweep (spec engine `speedup_sweep`; docs/theory.md R-Theorems
// 3 and 4): for each horizon T, GD and SGD on f_T with the constant step
// tuned for the final gap against the theory warmup (tuned over caps). For
// every horizon it records three ratios, constant over theory: the final
// gap, the step sum (inverted: theory over constant, Theorem 1's guarantee)
// and min_t ||grad f||^2, and for each a fitted log-log slope with the number
// of horizons it rests on. A slope with a missing horizon is recorded as NaN,
// so a claim on it fails. Schedule errors are returned, never scored.
class SpeedupSweepEngine final : public Engine {
 public:
  DeclaredOutputs Declare(const spec::Experiment& experiment) const override;
  absl::Status Run(const spec::Experiment& experiment, const RunContext& context,
                   spec::Result* result) const override;
};

}  // namespace warmup

#endif  // WARMUP_LIB_ENGINES_SPEEDUP_SWEEP_H_
