// Regenerates every figure and table at one tier, compares each with its
// stored reference and writes one report.
//
//   bazel run //:reproduce -- --tier=smoke|cpu|paper [--device=cpu|cuda|auto]
//       [--only=NAME,...] [--threads=N] [--update_reference] [--rerun] [--resume]
//   bazel run //:reproduce -- --reference_from=out/NAME/result.json[,...]
//
// Runs go to out/reproduce/<tier>/<name>/ and the report to out/report/
// (index.html, report.md). A run whose finished output matches its spec,
// the git commit and the tier is reused, so an interrupted reproduction
// continues where it stopped (--rerun redoes everything).
//
// Exit status: 0 every claim passes and no reference drifted; 1 a claim
// failed or a reference drifted (each is named); 2 bad input (flags, specs,
// missing data); 3 a run failed.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/distributed/worker_flags.h"
#include "lib/io/provenance.h"
#include "lib/reproduce/reproduce.h"
#include "lib/runtime/runtime.h"

ABSL_FLAG(std::string, tier, "smoke", "smoke | cpu | paper");
ABSL_FLAG(std::string, device, "cpu", "cpu | cuda | auto (network experiments)");
ABSL_FLAG(std::vector<std::string>, only, {}, "comma-separated spec names; default: all");
ABSL_FLAG(int, threads, 0,
          "LibTorch threads for network experiments; default 1 at the smoke tier "
          "(its networks are tiny, and OpenMP's spinning threads stall on shared "
          "cores), 2 otherwise");
ABSL_FLAG(std::string, data_dir, "",
          "data folder with cifar10/ and tinyshakespeare/; default $WARMUP_DATA_DIR");
ABSL_FLAG(bool, update_reference, false,
          "rewrite experiments/reference/<name>.<tier>.json from these runs");
ABSL_FLAG(std::vector<std::string>, reference_from, {},
          "build references from these Result files (result.json or result.textproto) "
          "instead of running");
ABSL_FLAG(bool, rerun, false, "rerun experiments whose finished output matches");
ABSL_FLAG(bool, plot, true, "render figures with gnuplot");
ABSL_FLAG(bool, resume, false,
          "network runs continue from their last checkpoint (after an interruption)");
ABSL_FLAG(bool, progress, false, "per-run progress bars on a terminal");
ABSL_FLAG(std::string, out, "", "output root; default: out/ in the workspace");
ABSL_FLAG(std::string, report_dir, "", "report folder; default: <out>/report");
ABSL_FLAG(std::string, experiments_dir, "",
          "folder of specs; default: experiments/ in the workspace");
ABSL_FLAG(std::string, reference_dir, "", "default: <experiments_dir>/reference");

namespace {

// Under `bazel run` relative paths are the user's, in the workspace.
std::string Resolve(const std::string& path, const std::string& workspace) {
  if (path.empty() || path[0] == '/' || workspace.empty()) return path;
  return workspace + "/" + path;
}

}  // namespace

namespace {

// The options the flags give, paths resolved against the workspace.
warmup::ReproduceOptions OptionsFromFlags(const std::string& workspace, int argc, char** argv) {
  warmup::ReproduceOptions o;
  o.run.tier = absl::GetFlag(FLAGS_tier);
  o.run.device = absl::GetFlag(FLAGS_device);
  o.only = absl::GetFlag(FLAGS_only);
  o.run.threads = absl::GetFlag(FLAGS_threads);
  if (o.run.threads == 0) o.run.threads = o.run.tier == "smoke" ? 1 : 2;
  o.run.data_dir = Resolve(absl::GetFlag(FLAGS_data_dir), workspace);
  o.update_reference = absl::GetFlag(FLAGS_update_reference);
  o.rerun = absl::GetFlag(FLAGS_rerun);
  o.run.plot = absl::GetFlag(FLAGS_plot);
  o.run.progress = absl::GetFlag(FLAGS_progress);
  o.run.resume = absl::GetFlag(FLAGS_resume);
  o.run.workspace_dir = workspace;
  const std::string root = workspace.empty() ? "." : workspace;
  o.experiments_dir = absl::GetFlag(FLAGS_experiments_dir).empty()
                          ? root + "/experiments"
                          : Resolve(absl::GetFlag(FLAGS_experiments_dir), workspace);
  o.reference_dir = absl::GetFlag(FLAGS_reference_dir).empty()
                        ? o.experiments_dir + "/reference"
                        : Resolve(absl::GetFlag(FLAGS_reference_dir), workspace);
  const std::string out = absl::GetFlag(FLAGS_out).empty()
                              ? root + "/out"
                              : Resolve(absl::GetFlag(FLAGS_out), workspace);
  o.out_root = out + "/reproduce";
  o.report_dir = absl::GetFlag(FLAGS_report_dir).empty()
                     ? out + "/report"
                     : Resolve(absl::GetFlag(FLAGS_report_dir), workspace);
  // The command as the user types it, without this machine's paths: the
  // references keep it.
  o.run.command_line = warmup::PortableCommandLine("bazel run //:reproduce --",
                                               std::vector<std::string>(argv + 1, argv + argc));
  return o;
}

// --reference_from: references built from existing Result files, no run.
int ReferencesFrom(const std::vector<std::string>& from, const std::string& workspace,
                   const warmup::ReproduceOptions& o) {
  std::vector<std::string> paths;
  for (const std::string& p : from) paths.push_back(Resolve(p, workspace));
  auto written = warmup::ReferencesFromResults(paths, o.experiments_dir, o.reference_dir);
  if (!written.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(written.status().message()).c_str());
    return 2;
  }
  for (const std::string& w : *written) std::printf("reference written: %s\n", w.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  warmup::KeepFreedMemoryMapped();
  absl::SetProgramUsageMessage(
      "Regenerates every figure and table at a tier, checks claims and stored "
      "references, writes out/report/.\nUsage: reproduce --tier=smoke|cpu|paper "
      "[--only=NAME,...] [--update_reference] | --reference_from=RESULT,...");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "error: unexpected argument '%s' (flags are --name=value)\n", rest[1]);
    return 2;
  }
  const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::string workspace = ws != nullptr ? ws : "";
  warmup::ReproduceOptions o = OptionsFromFlags(workspace, argc, argv);
  if (o.run.threads < 1) {
    std::fprintf(stderr, "error: --threads must be >= 1, got %d\n", o.run.threads);
    return 2;
  }
  const std::vector<std::string> from = absl::GetFlag(FLAGS_reference_from);
  if (!from.empty()) return ReferencesFrom(from, workspace, o);
  absl::StatusOr<warmup::WorkerPlace> place = warmup::WorkerPlaceFromEnvironment("");
  if (o.update_reference && place.ok() && place->world > 1) {
    std::fprintf(stderr, "error: --update_reference runs on one worker (its reference seeds and "
                         "references are written by one process); run it without torchrun or "
                         "Slurm\n");
    return 2;
  }
  absl::StatusOr<std::unique_ptr<warmup::WorkerGroup>> workers =
      warmup::JoinWorkersFromFlags(o.run.device);
  if (!workers.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(workers.status().message()).c_str());
    return workers.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 3;
  }
  o.workers = workers->get();
  absl::StatusOr<warmup::ReproduceSummary> summary = warmup::Reproduce(o, stdout);
  if (!summary.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(summary.status().message()).c_str());
    return 2;
  }
  return warmup::ExitStatus(*summary);
}
