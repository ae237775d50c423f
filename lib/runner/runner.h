#ifndef WARMUP_LIB_RUNNER_RUNNER_H_
#define WARMUP_LIB_RUNNER_RUNNER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/engines/engine.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// Runs a validated, tiered experiment (and the specs it includes) on the
// engine it names, checks that the engine recorded only what it declared,
// and evaluates its claims.
absl::StatusOr<spec::Result> RunExperiment(const spec::Experiment& experiment,
                                           const RunContext& context,
                                           const EngineSet& engines);

// One invocation of the runner: the whole path from spec file to output
// folder (Result as textproto and JSON, CSVs, tables, figure).
struct RunRequest {
  std::string spec_path;
  RunOptions options;
  std::string out_dir;  // empty: <workspace or cwd>/out/<name>
  const std::map<std::string, spec::Result>* finished = nullptr;  // see RunContext
  // See RunContext. With several workers every one runs the spec and only
  // rank 0 writes the output folder.
  WorkerGroup* workers = nullptr;
  // Replaces the spec's seeds after its tier is applied: //:reproduce runs a
  // network spec's reference_seeds this way to write its reference. Empty:
  // the spec's own.
  std::vector<int64_t> seeds_override;
};

struct RunReport {
  spec::Result result;
  std::string out_dir;
  bool claims_pass = true;
};

// Errors: InvalidArgument / NotFound for a bad spec or path (every tier's
// claim and panel names are checked against what the engine declares
// before anything runs), PermissionDenied for an unwritable output folder,
// FailedPrecondition when a tool (gnuplot) is missing, Unimplemented when
// `engines` lacks the spec's engine. Nothing is written unless everything
// was produced.
absl::StatusOr<RunReport> RunSpec(const RunRequest& request, const EngineSet& engines);

}  // namespace warmup

#endif  // WARMUP_LIB_RUNNER_RUNNER_H_
