#ifndef WARMUP_LIB_RUNNER_RUNNER_H_
#define WARMUP_LIB_RUNNER_RUNNER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// What an engine may need beyond the spec.
struct RunContext {
  std::string tier;
  std::string spec_path;  // included specs are found relative to it
  std::string out_dir;    // checkpoints go to <out_dir>/checkpoints/
  std::string data_dir;   // empty: WARMUP_DATA_DIR
  std::string device = "cpu";
  int threads = 1;
  bool resume = false;
  bool progress = false;
  // Results already computed at this tier, by experiment name: an included
  // spec found here is taken as is instead of being run again (//:reproduce
  // runs Figure 1 before the table that includes it). May be null.
  const std::map<std::string, spec::Result>* finished = nullptr;
};

// An engine for network problems (LibTorch). The trainer library registers
// one; a runner linked without it reports network specs as unsupported.
using NetworkEngine = std::function<absl::Status(
    const spec::Experiment&, const RunContext&, spec::Result*)>;
void RegisterNetworkEngine(NetworkEngine engine);

// Runs a validated, tiered experiment (and the specs it includes) and
// evaluates its claims.
absl::StatusOr<spec::Result> RunExperiment(const spec::Experiment& experiment,
                                           const RunContext& context);

// One invocation of the runner: the whole path from spec file to output
// folder (Result as textproto and JSON, CSVs, tables, figure).
struct RunRequest {
  std::string spec_path;
  std::string tier;           // empty: the spec's default tier
  std::string out_dir;        // empty: <workspace or cwd>/out/<name>
  std::string workspace_dir;  // for provenance and relative paths; may be ""
  std::string data_dir;       // empty: WARMUP_DATA_DIR
  std::string device = "cpu";
  int threads = 1;
  bool plot = true;
  bool resume = false;
  bool progress = false;
  std::string command_line;
  const std::map<std::string, spec::Result>* finished = nullptr;  // see RunContext
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

// Errors: InvalidArgument / NotFound for a bad spec or path,
// PermissionDenied for an unwritable output folder, FailedPrecondition when
// a tool (gnuplot) is missing. Nothing is written unless everything was
// produced.
absl::StatusOr<RunReport> RunSpec(const RunRequest& request);

}  // namespace warmup

#endif  // WARMUP_LIB_RUNNER_RUNNER_H_
