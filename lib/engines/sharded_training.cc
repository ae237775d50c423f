// Training a list of network runs, spread over the workers of a job and
// kept for --resume (sharded_training.h).
#include "lib/engines/sharded_training.h"

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/distributed/collective.h"
#include "lib/distributed/worker_group.h"
#include "lib/io/output_batch.h"
#include "lib/trainer/trace_record.h"
#include "proto/trace.pb.h"

namespace warmup {
namespace {

// Where a finished run leaves its trace: beside its checkpoints, so that
// the output folder's commit keeps it and --resume finds it.
std::string FinishedPath(const TrainRequest& r) { return r.checkpoint_dir + "/finished.pb"; }

// With --resume, the record a finished run left, read by the run's rank 0
// and handed to its other ranks (they need no shared folder); "" if none.
absl::StatusOr<std::string> FinishedRecord(const TrainRequest& r) {
  std::string bytes;
  const bool lead = r.ranks == nullptr || r.ranks->rank() == 0;
  if (r.resume && lead && !ReadFile(FinishedPath(r), &bytes).ok()) bytes.clear();
  if (r.ranks == nullptr) return bytes;
  try {
    r.ranks->Broadcast(&bytes);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return absl::UnavailableError(absl::StrCat("run ", r.label, ": its ranks lost each other: ",
                                               what.substr(0, what.find('\n'))));
  }
  return bytes;
}

// A run's trace: with --resume, the one a finished run left (when it was made
// by the same request), else trained now and, when `keep`, left for a later
// --resume (by the run's rank 0).
absl::StatusOr<TrainTrace> FinishedOrTrain(const TrainRequest& r, bool keep) {
  const std::string identity = RunIdentity(r);
  absl::StatusOr<std::string> bytes = FinishedRecord(r);
  if (!bytes.ok()) return bytes.status();
  spec::TrainTraceRecord record;
  if (!bytes->empty() && record.ParseFromString(*bytes) && record.run_identity() == identity) {
    return TraceFromRecord(record);
  }
  absl::StatusOr<TrainTrace> trace = Train(r);
  if (!trace.ok() || !keep || (r.ranks != nullptr && r.ranks->rank() != 0)) return trace;
  record = TraceRecord(*trace);
  record.set_run_identity(identity);
  std::error_code ec;
  std::filesystem::create_directories(r.checkpoint_dir, ec);
  if (absl::Status st = WriteFileAtomically(FinishedPath(r), record.SerializeAsString());
      !st.ok()) {
    return st;
  }
  return trace;
}

}  // namespace

absl::StatusOr<std::map<std::string, TrainTrace>> TrainAll(
    const std::vector<TrainRequest>& requests, const std::string& phase,
    const RunContext& ctx) {
  WorkerGroup* workers = ctx.workers;
  Collective* ranks = workers == nullptr ? nullptr : workers->ranks();
  // Runs go to teams of `per_run` consecutive workers; team t trains runs
  // t, t + teams, ... and its first worker hands each trace to the others.
  const size_t per_run = ranks == nullptr ? 1 : static_cast<size_t>(ranks->size());
  const size_t teams = workers == nullptr ? 1 : workers->world() / per_run;
  const size_t rank = workers == nullptr ? 0 : static_cast<size_t>(workers->rank());
  const size_t team = rank / per_run;
  const bool lead = rank % per_run == 0;
  auto key_of = [&](size_t k) { return absl::StrCat(phase, "/", requests[k].label); };
  std::map<std::string, TrainTrace> traces;
  for (size_t k = team; k < requests.size(); k += teams) {
    const std::string key = key_of(k);
    if (workers != nullptr) workers->SetActivity("training " + key);
    TrainRequest request = requests[k];
    request.ranks = ranks;
    request.progress = request.progress && lead;
    absl::StatusOr<TrainTrace> trace = FinishedOrTrain(request, !ctx.out_dir.empty());
    if (!trace.ok()) {
      if (workers != nullptr) workers->PublishError(key, std::string(trace.status().message()));
      return trace.status();
    }
    if (workers != nullptr && lead) {
      spec::TrainTraceRecord record = TraceRecord(*trace);
      if (absl::Status st = workers->Publish(key, record.SerializeAsString()); !st.ok()) return st;
    }
    traces[requests[k].label] = *std::move(trace);
  }
  for (size_t k = 0; workers != nullptr && k < requests.size(); ++k) {
    if (k % teams == team) continue;
    const std::string key = key_of(k);
    workers->SetActivity("waiting for " + key);
    const int owner = static_cast<int>((k % teams) * per_run);  // the team's first worker
    absl::StatusOr<std::string> bytes = workers->Fetch(key, owner);
    if (!bytes.ok()) return bytes.status();
    spec::TrainTraceRecord record;
    if (!record.ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat("the trace of ", key, " arrived damaged"));
    }
    traces[requests[k].label] = TraceFromRecord(record);
  }
  return traces;
}

}  // namespace warmup
