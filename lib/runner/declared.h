#ifndef WARMUP_LIB_RUNNER_DECLARED_H_
#define WARMUP_LIB_RUNNER_DECLARED_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/engines/engine.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// What a spec (its tier applied) will record: its engine's declaration, or
// for a composite its parts' declarations at the same tier, scalars
// prefixed "<part>." and series runs "<part>/". Unimplemented when the
// engine is not in `engines`.
absl::StatusOr<DeclaredOutputs> DeclaredOutputsOf(const spec::Experiment& experiment,
                                                  const std::string& spec_path,
                                                  const std::string& tier,
                                                  const EngineSet& engines);

// Checks every name the spec uses against what it will record: the
// operands of each claim that applies at `tier` and each panel's metrics, x
// and runs. InvalidArgument naming the field and the nearest recorded name.
absl::Status CheckNamesDeclared(const spec::Experiment& experiment, const std::string& tier,
                                const DeclaredOutputs& declared);

// Both of the above at every tier of the spec file (the base alone when it
// has no tiers): what a run checks before anything runs, so that a mistyped
// name in any tier fails in well under a second.
absl::Status CheckSpecNames(const std::string& spec_path, const EngineSet& engines);

// Internal when `result` holds a scalar or series `declared` does not list:
// an engine recorded something it did not declare (so validation could not
// have checked a claim or panel on it).
absl::Status CheckRecordedAsDeclared(const DeclaredOutputs& declared,
                                     const spec::Result& result);

}  // namespace warmup

#endif  // WARMUP_LIB_RUNNER_DECLARED_H_
