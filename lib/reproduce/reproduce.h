#ifndef WARMUP_LIB_REPRODUCE_REPRODUCE_H_
#define WARMUP_LIB_REPRODUCE_REPRODUCE_H_

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/engines/engine.h"
#include "lib/reference/reference.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// What `//:reproduce` does: every spec under experiments/ at one tier, each
// through the runner, compared with its stored reference, then one report.
struct ReproduceOptions {
  // Passed to every run; run.tier is the tier of all of them (smoke, cpu or
  // paper).
  RunOptions run = [] {
    RunOptions defaults;
    defaults.tier = "smoke";
    defaults.threads = 2;
    return defaults;
  }();
  std::vector<std::string> only;  // spec names; empty: every spec
  std::string experiments_dir;    // the specs (*.textproto)
  std::string reference_dir;      // <name>.<tier>.json
  std::string out_root;           // runs go to <out_root>/<tier>/<name>/
  std::string report_dir;         // empty: no report
  bool update_reference = false;  // rewrite the references from these runs
  bool rerun = false;             // ignore finished outputs
  // The workers of this job (torchrun, Slurm), or null for one process.
  // Every worker runs every spec with the others (a network spec's runs
  // spread over them); worker 0 decides which finished outputs are reused,
  // hands those Results to the others, and alone compares, writes
  // references and the report. --update_reference runs on one worker.
  WorkerGroup* workers = nullptr;
};

// One experiment's outcome, for the summary and the report.
struct ExperimentOutcome {
  std::string name;
  std::string spec_path;
  spec::Experiment experiment;  // with the tier's overrides
  std::string out_dir;
  bool skipped = false;  // a finished output matched; not rerun
  absl::Status error;    // the run failed: no Result
  spec::Result result;
  double wall_seconds = 0;    // of the run that made `result`
  bool has_reference = false;
  std::string reference_path;
  std::vector<ReferenceCheck> checks;
  bool reference_written = false;

  int ClaimsFailed() const;
  int Drifted() const;
};

struct ReproduceSummary {
  std::vector<ExperimentOutcome> outcomes;
  double wall_seconds = 0;
  std::string git_commit;
  int claims_failed = 0;
  int drifted = 0;
  // Two-sample tests in this tier's stored references (all of them, not
  // only those run) and the level each is held to: 1% / reference_tests.
  int reference_tests = 0;
  double alpha_per_test = kFamilyFalseAlarm;
  int errors = 0;
  bool bad_input = false;  // an error was the user's (missing data, bad spec)
};

// Runs the selected specs in order of their stored timings (fastest first;
// a spec that includes others after them, reusing their Results), skipping
// one whose finished output matches its specs, the commit, tier and device,
// printing one progress line per experiment with an ETA to `log`, and writes
// the report. InvalidArgument (before anything runs) for an unknown --only
// name, an unknown tier or a spec that does not validate.
absl::StatusOr<ReproduceSummary> Reproduce(const ReproduceOptions& options, std::FILE* log);

// Exit status for a summary: 0 all claims pass and nothing drifted, 1 a claim
// failed or a reference drifted, 2 a run failed on bad input, 3 a run failed.
int ExitStatus(const ReproduceSummary& summary);

// Builds references from Result files written elsewhere (result.json or
// result.textproto), without rerunning: the spec is found by the Result's
// experiment name under `experiments_dir`; the reference is written to
// <reference_dir>/<name>.<tier>.json. Returns the paths written.
absl::StatusOr<std::vector<std::string>> ReferencesFromResults(
    const std::vector<std::string>& result_paths, const std::string& experiments_dir,
    const std::string& reference_dir);

// Reads a Result from result.json or result.textproto.
absl::StatusOr<spec::Result> ReadResult(const std::string& path);

// The number of two-sample tests in the stored references of `tier` under
// `reference_dir` (<name>.<tier>.json): the Bonferroni count that holds the
// tier's chance of any false DRIFT to kFamilyFalseAlarm. A file that does not
// parse counts 0 (its comparison reports it).
int TierTestCount(const std::string& reference_dir, const std::string& tier);

// The sentence the summary and the report state the false-alarm bound in.
std::string FalseAlarmStatement(const ReproduceSummary& summary);

// Whether a spec (or one it includes) trains networks: its reference then
// uses the seed-spread tolerance. An include that cannot be loaded is an
// error, never "no networks" (that would give a network composite the
// deterministic 1e-9 tolerance).
absl::StatusOr<bool> HasNetworks(const spec::Experiment& experiment,
                                 const std::string& spec_path, const std::string& tier);

}  // namespace warmup

#endif  // WARMUP_LIB_REPRODUCE_REPRODUCE_H_
