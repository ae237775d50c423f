#ifndef WARMUP_LIB_RUNNER_CLAIMS_H_
#define WARMUP_LIB_RUNNER_CLAIMS_H_

#include <string>

#include "absl/status/status.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// Evaluates every claim of `experiment` that applies to `tier` against the
// Result's scalars and appends a verdict for each. Validation has checked
// that every operand is declared (lib/runner/declared.h); a claim on one the
// run did not record fails, saying so.
absl::Status EvaluateClaims(const spec::Experiment& experiment,
                            const std::string& tier, spec::Result* result);

// InvalidArgument when no claim of `experiment` applies at `tier` and the
// tier states no no_claims_reason. Composites (include) are checked through
// their parts. Runs before any work, so a long run cannot end unchecked.
absl::Status CheckClaimsApply(const spec::Experiment& experiment,
                              const std::string& tier);

// "claim <id>: <value> <op> <threshold> PASS|FAIL [<kind>]", then the
// failure's reason in parentheses when there is one.
std::string ClaimLine(const spec::ClaimVerdict& verdict);

}  // namespace warmup

#endif  // WARMUP_LIB_RUNNER_CLAIMS_H_
