#ifndef WARMUP_LIB_ENGINES_NETWORK_ENVELOPE_H_
#define WARMUP_LIB_ENGINES_NETWORK_ENVELOPE_H_

#include <string>
#include <vector>

#include "lib/curvature/envelope_fit.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// The names of the per-label scalars RecordEnvelope writes from a fit
// (rho_identified, fit_rho, ..., env_rho1_k0, ...), without the label.
std::vector<std::string> FitScalarNames();

// The Result's "fitted_constants" table, added empty.
spec::Table* FittedConstantsTable(spec::Result* result);

// Fits the smoothness envelope to every seed's profile of schedule `label`,
// pooled (lib/curvature/envelope_fit.h), and records its scalars
// "<label>.<name>", the fit's profile over rho, each run's scatter of
// smoothness against the gap (fitted points and the early transient apart)
// and a row of `table`. Every seed must contribute at least 3 points: a
// missing one leaves the fit's scalars NaN (and records why in
// "measurement_failures") so that claims on them fail.
void RecordEnvelope(const spec::Experiment& experiment, const std::string& label,
                    const std::vector<int64_t>& seeds, const std::vector<ProfileRun>& profiles,
                    spec::Table* table, spec::Result* result);

}  // namespace warmup

#endif  // WARMUP_LIB_ENGINES_NETWORK_ENVELOPE_H_
