#ifndef WARMUP_LIB_TRAINER_TRAINER_H_
#define WARMUP_LIB_TRAINER_TRAINER_H_

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/curvature/spectral_density.h"
#include "lib/data/data_folder.h"
#include "proto/experiment.pb.h"

namespace warmup {

class Collective;  // lib/distributed/collective.h

// One training run of a network experiment.
struct TrainRequest {
  spec::Network network;
  spec::Optimizer optimizer;
  spec::Schedule schedule;
  spec::Profile profile;
  int64_t iterations = 0;
  int64_t record_every = 1;
  int64_t seed = 0;
  std::string device = "cpu";  // cpu | cuda | auto
  std::string data_dir;
  // Checkpoints: every `checkpoint_every` steps (0: never) into
  // `checkpoint_dir`; with `resume`, continue from the one found there.
  std::string checkpoint_dir;
  int64_t checkpoint_every = 0;
  bool resume = false;
  // Stop (as if interrupted) after this many steps; 0: run to the end. For
  // testing resumption.
  int64_t stop_after = 0;
  bool progress = false;  // progress bar on stderr
  std::string label;      // run name in the progress bar
  // Data parallel: the ranks that train this run together, each on its
  // equal share of every batch and of the measurement examples, averaging
  // loss, gradients and Hessian-vector products; rank 0 writes checkpoints
  // and every rank resumes from what rank 0 read. Null: this process alone.
  // Refused for BatchNorm networks (each rank would normalise over its own
  // share: another computation; no synchronised BatchNorm here).
  Collective* ranks = nullptr;
};

// What a run recorded. Loss is the training minibatch loss at each recorded
// step; the profile holds, per measurement, the step, the loss on the
// measurement examples (the gap, f* = 0) and the Hessian's spectral norm,
// and at the spectrum steps its trace and density.
struct TrainTrace {
  std::vector<double> step, loss, lr;
  std::vector<double> profile_step, profile_gap, profile_smoothness;
  std::vector<double> profile_lambda_max, profile_lambda_min;  // spectrum ends
  // At profile.spectrum_steps: the Hutch++ trace with its 95% interval, and
  // the density's stochastic Lanczos quadrature, one entry per run, each
  // tagged with its step.
  std::vector<double> trace_step, trace, trace_lo95, trace_hi95;
  std::vector<double> quadrature_step;
  std::vector<Quadrature> quadrature;
  int profile_unconverged = 0;  // Lanczos runs that hit the cap
  // The gradient norm of the first minibatch at the initial weights (NaN
  // until step 0 has run): with the first loss and the first curvature
  // measurement, what any machine reproduces to rounding.
  double initial_grad_norm = std::numeric_limits<double>::quiet_NaN();
  // |H v| / |v| at step 0 on the measurement examples for a fixed Gaussian
  // v: one Hessian-vector product, whose value does not depend on where an
  // iteration stops (NaN until measured; runs with a profile only).
  double initial_hvp_norm = std::numeric_limits<double>::quiet_NaN();
  // Measurements that produced no point (the Hessian operator could not be
  // built, the loss was not finite and positive, or Lanczos returned an
  // invalid estimate), and the reason for the last of them.
  int profile_invalid = 0;
  std::string profile_failure;
  bool diverged = false;
  int64_t steps_run = 0;
  int64_t resumed_from = 0;  // step of the checkpoint resumed from, or 0
  std::string device;        // where it ran: CPU model, or GPU model with CUDA and cuDNN
  std::string gpu;           // "cuda: <GPU model>" on CUDA, empty on the CPU
  std::map<std::string, std::string> versions;  // libtorch; cuda, cudnn on CUDA
  // Operations that ran without a deterministic implementation (CUDA only).
  std::vector<std::string> nondeterministic_operations;
  std::vector<DataFile> data_files;  // the data set's files read, with checksums
  int64_t parameters = 0;
};

// SHA-256 of everything that determines a run's trajectory: the network,
// optimizer, schedule, profile, length, recording and seed. Not the device,
// data folder or checkpoint settings. A checkpoint or a finished run's
// record names its run by it, so that --resume never takes another's.
std::string RunIdentity(const TrainRequest& request);

// The steps a run of `iterations` steps measures local smoothness at:
// multiples of `profile.every`, `profile.log_points` geometrically spaced
// steps, and the first and the last (none when neither is set).
std::set<int64_t> ProfileSteps(int64_t iterations, const spec::Profile& profile);

// Trains the network of `request` with GD or SGD (momentum and weight decay
// optional) under its schedule; the theory warmup (through TheoryWarmupLR)
// reads the minibatch loss of the current iterate.
// A non-finite loss ends the run with diverged = true. Errors: a missing data
// folder or file (NotFound), bad settings (InvalidArgument), a checkpoint
// that cannot be read or belongs to another run (InvalidArgument), and any
// exception LibTorch throws (Internal, with its message). With `resume` and
// no checkpoint, the run starts from step 0 and says so on stderr.
absl::StatusOr<TrainTrace> Train(const TrainRequest& request);

}  // namespace warmup

#endif  // WARMUP_LIB_TRAINER_TRAINER_H_
