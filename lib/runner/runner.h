#ifndef WARMUP_LIB_RUNNER_RUNNER_H_
#define WARMUP_LIB_RUNNER_RUNNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// Runs a validated, tiered experiment and evaluates its claims.
absl::StatusOr<spec::Result> RunExperiment(const spec::Experiment& experiment,
                                           const std::string& tier);

// One invocation of the runner: the whole path from spec file to output
// folder (Result as textproto and JSON, CSVs, tables, figure).
struct RunRequest {
  std::string spec_path;
  std::string tier;           // empty: the spec's default tier
  std::string out_dir;        // empty: <workspace or cwd>/out/<name>
  std::string workspace_dir;  // for provenance and relative paths; may be ""
  int threads = 1;
  bool plot = true;
  std::string command_line;
};

struct RunReport {
  spec::Result result;
  std::string out_dir;
  bool claims_pass = true;
};

// Errors: InvalidArgument / NotFound for a bad spec or path,
// PermissionDenied for an unwritable output folder, FailedPrecondition when
// a tool (gnuplot) is missing. Nothing is written unless everything was
// produced.
absl::StatusOr<RunReport> RunSpec(const RunRequest& request);

}  // namespace warmup

#endif  // WARMUP_LIB_RUNNER_RUNNER_H_
