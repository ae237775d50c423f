// Times a network spec's training steps and one local-smoothness measurement
// at a tier on a device, and projects the whole figure's wall time from them:
//   runs x (iterations x step time + measurements per run x measurement time)
// with runs = schedules x seeds. Prints one line, and with --csv one row.
//
//   step_timer --spec=experiments/fig1a_resnet18_cifar10.textproto --tier=paper
//       --device=cuda --steps=200
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "lib/runtime/runtime.h"
#include "lib/spec/spec.h"
#include "lib/trainer/trainer.h"

ABSL_FLAG(std::string, spec, "", "network experiment spec (text proto)");
ABSL_FLAG(std::string, tier, "paper", "tier whose network, batch and schedule are timed");
ABSL_FLAG(std::string, device, "cuda", "cpu | cuda | auto");
ABSL_FLAG(int, steps, 200, "timed training steps");
ABSL_FLAG(int, warmup_steps, 5, "untimed steps first (allocator, cuDNN and cuBLAS set-up)");
ABSL_FLAG(bool, measure, true, "also time one measurement and project the figure's wall time");
ABSL_FLAG(int, threads, 2, "LibTorch threads");
ABSL_FLAG(std::string, data_dir, "", "data folder (default: $WARMUP_DATA_DIR)");

namespace warmup {
namespace {

// Wall seconds of one Train call; the error, if any, goes to `status`.
double TimeTrain(const TrainRequest& r, absl::Status* status) {
  const auto began = std::chrono::steady_clock::now();
  absl::StatusOr<TrainTrace> trace = Train(r);
  if (!trace.ok()) *status = trace.status();
  else if (trace->diverged) *status = absl::InternalError("the timed run diverged");
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
}

// The spec's first schedule and seed on the flags' device and data,
// recording almost nothing (the timing is of the steps).
TrainRequest TimedRequest(const spec::Experiment& e) {
  std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (data_dir.empty() && std::getenv("WARMUP_DATA_DIR") != nullptr) {
    data_dir = std::getenv("WARMUP_DATA_DIR");
  }
  TrainRequest r;
  r.network = e.problem().network();
  r.optimizer = e.optimizer();
  r.schedule = e.schedules(0);
  r.seed = e.seeds().empty() ? 0 : e.seeds(0);
  r.device = absl::GetFlag(FLAGS_device);
  r.data_dir = data_dir;
  r.record_every = 1000000;
  return r;
}

int Main() {
  ConfigureRuntime(absl::GetFlag(FLAGS_threads));
  absl::StatusOr<spec::Experiment> e =
      LoadExperiment(absl::GetFlag(FLAGS_spec), absl::GetFlag(FLAGS_tier));
  if (!e.ok()) {
    std::fprintf(stderr, "step_timer: %s\n", std::string(e.status().message()).c_str());
    return 2;
  }
  if (!e->engine().has_network() || e->schedules().empty() || absl::GetFlag(FLAGS_steps) < 1) {
    std::fprintf(stderr, "step_timer: %s: expected a network spec with a schedule and --steps >= 1\n",
                 absl::GetFlag(FLAGS_spec).c_str());
    return 2;
  }
  TrainRequest r = TimedRequest(*e);
  absl::Status status;
  r.iterations = std::max(1, absl::GetFlag(FLAGS_warmup_steps));
  TimeTrain(r, &status);
  r.iterations = absl::GetFlag(FLAGS_steps);
  const double steps_seconds = TimeTrain(r, &status);
  const double step = steps_seconds / r.iterations;
  if (!status.ok()) {
    std::fprintf(stderr, "step_timer: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  if (!absl::GetFlag(FLAGS_measure)) {
    std::printf("%s, %s tier on %s: %d steps %.4f s/step (no measurement timed, no projection)\n",
                e->name().c_str(), absl::GetFlag(FLAGS_tier).c_str(),
                absl::GetFlag(FLAGS_device).c_str(), absl::GetFlag(FLAGS_steps), step);
    return 0;
  }
  // One step with a measurement before and after it.
  r.iterations = 1;
  r.profile = e->profile();
  r.profile.set_every(1);
  r.profile.set_log_points(0);
  const double measurement = std::max(0.0, (TimeTrain(r, &status) - step) / 2);
  if (!status.ok()) {
    std::fprintf(stderr, "step_timer: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  const int64_t runs = static_cast<int64_t>(e->schedules_size()) * std::max(1, e->seeds_size());
  const int64_t measurements =
      static_cast<int64_t>(ProfileSteps(e->iterations(), e->profile()).size());
  const double projected = runs * (e->iterations() * step + measurements * measurement);
  std::printf(
      "%s, %s tier on %s: %d steps %.4f s/step, one measurement %.2f s; %ld runs x (%ld steps + "
      "%ld measurements): projected %.0f s (%.2f h)\n",
      e->name().c_str(), absl::GetFlag(FLAGS_tier).c_str(), absl::GetFlag(FLAGS_device).c_str(),
      absl::GetFlag(FLAGS_steps), step, measurement, static_cast<long>(runs),
      static_cast<long>(e->iterations()), static_cast<long>(measurements), projected,
      projected / 3600);
  return 0;
}

}  // namespace
}  // namespace warmup

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return warmup::Main();
}
