// The runner: regenerates one figure or table from its spec.
//
//   bazel run //experiments:run -- --spec=experiments/fig2_river_valley.textproto
//       [--tier=smoke|cpu|paper] [--out=DIR] [--threads=N] [--plot=false]
//
// Network experiments also take --data_dir (default $WARMUP_DATA_DIR),
// --device=cpu|cuda|auto, --threads=N and --resume.
//
// Exit status: 0 all claims pass, 1 a claim fails, 2 bad input (spec, flags,
// paths, missing data), 3 the run itself failed (a missing tool, an internal
// error).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/distributed/worker_flags.h"
#include "lib/engines/network.h"
#include "lib/io/provenance.h"
#include "lib/runner/claims.h"
#include "lib/runner/runner.h"
#include "lib/runtime/runtime.h"

ABSL_FLAG(std::string, spec, "", "experiment spec (text proto)");
ABSL_FLAG(std::string, tier, "", "smoke | cpu | paper; default: the spec's");
ABSL_FLAG(std::string, out, "",
          "output folder; default: out/<name> in the workspace");
ABSL_FLAG(int, threads, 2, "LibTorch threads for network experiments");
ABSL_FLAG(bool, plot, true, "render the figure with gnuplot");
ABSL_FLAG(std::string, data_dir, "",
          "data folder with cifar10/ and tinyshakespeare/; default $WARMUP_DATA_DIR");
ABSL_FLAG(std::string, device, "cpu", "cpu | cuda | auto (network experiments)");
ABSL_FLAG(bool, resume, false,
          "network runs: take finished runs as they are and continue the others from their "
          "last checkpoint");
ABSL_FLAG(bool, progress, true, "progress bar on a terminal");

namespace {

// Under `bazel run` the working directory is the runfiles tree; paths the
// user typed are relative to the workspace (BUILD_WORKSPACE_DIRECTORY).
std::string Resolve(const std::string& path, const std::string& workspace,
                    bool must_exist) {
  if (path.empty() || path[0] == '/' || workspace.empty()) return path;
  if (must_exist && std::filesystem::exists(path)) return path;
  return workspace + "/" + path;
}

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnimplemented:
      return 2;
    default:
      return 3;
  }
}

// RunSpec with a last guard: an exception no engine turned into a Status
// (std::bad_alloc for a problem too large for memory, say) becomes one
// error line and exit status 3, never an abort.
absl::StatusOr<warmup::RunReport> RunGuarded(const warmup::RunRequest& request) {
  try {
    return warmup::RunSpec(request, warmup::AllEngines());
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return absl::InternalError("the run failed: " + what.substr(0, what.find('\n')));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Page faults cost ~12 us per 4 KiB here.
  warmup::KeepFreedMemoryMapped();
  absl::SetProgramUsageMessage(
      "Runs an experiment spec and writes its Result, figure and claim "
      "verdicts.\nUsage: run --spec=FILE [--tier=smoke|cpu|paper] [--out=DIR]");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "error: unexpected argument '%s' (flags are --name=value)\n",
                 rest[1]);
    return 2;
  }
  const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::string workspace = ws != nullptr ? ws : "";
  warmup::RunRequest request;
  request.spec_path = Resolve(absl::GetFlag(FLAGS_spec), workspace, true);
  request.out_dir = Resolve(absl::GetFlag(FLAGS_out), workspace, false);
  warmup::RunOptions& options = request.options;
  options.tier = absl::GetFlag(FLAGS_tier);
  options.workspace_dir = workspace;
  options.threads = absl::GetFlag(FLAGS_threads);
  options.plot = absl::GetFlag(FLAGS_plot);
  options.data_dir = Resolve(absl::GetFlag(FLAGS_data_dir), workspace, true);
  options.device = absl::GetFlag(FLAGS_device);
  options.resume = absl::GetFlag(FLAGS_resume);
  options.progress = absl::GetFlag(FLAGS_progress);
  options.command_line = warmup::PortableCommandLine(
      "bazel run //experiments:run --", std::vector<std::string>(argv + 1, argv + argc));
  if (request.spec_path.empty()) {
    std::fprintf(stderr, "error: --spec is required (a text proto under experiments/)\n");
    return 2;
  }
  if (options.threads < 1) {
    std::fprintf(stderr, "error: --threads must be >= 1, got %d\n", options.threads);
    return 2;
  }
  absl::StatusOr<std::unique_ptr<warmup::WorkerGroup>> workers =
      warmup::JoinWorkersFromFlags(options.device);
  if (!workers.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(workers.status().message()).c_str());
    return ExitCodeFor(workers.status());
  }
  request.workers = workers->get();
  absl::StatusOr<warmup::RunReport> report = RunGuarded(request);
  if (!report.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(report.status().message()).c_str());
    return ExitCodeFor(report.status());
  }
  if (request.workers != nullptr && request.workers->rank() != 0) {
    std::printf("worker %d of %d: done; worker 0 writes %s\n", request.workers->rank(),
                request.workers->world(), report->out_dir.c_str());
    return 0;
  }
  for (const auto& run : report->result.runs()) {
    if (run.outcome() == warmup::spec::RunOutcome::DIVERGED) {
      std::printf("run %s: diverged after %ld steps\n", run.run().c_str(),
                  static_cast<long>(run.steps()));
    }
  }
  for (const auto& verdict : report->result.claims()) {
    std::printf("%s\n", warmup::ClaimLine(verdict).c_str());
  }
  std::printf("wrote %s\n", report->out_dir.c_str());
  return report->claims_pass ? 0 : 1;
}
