// Training a list of network runs, spread over the workers of a job and
// kept for --resume (sharded_training.h).
#include "lib/engines/sharded_training.h"

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/distributed/worker_group.h"
#include "lib/io/output_batch.h"
#include "lib/trainer/trace_record.h"
#include "proto/trace.pb.h"

namespace warmup {
namespace {

// Where a finished run leaves its trace: beside its checkpoints, so that
// the output folder's commit keeps it and --resume finds it.
std::string FinishedPath(const TrainRequest& r) { return r.checkpoint_dir + "/finished.pb"; }

// A run's trace: with --resume, the one a finished run left (when it was made
// by the same request), else trained now and, when `keep`, left for a later
// --resume.
absl::StatusOr<TrainTrace> FinishedOrTrain(const TrainRequest& r, bool keep) {
  const std::string identity = RunIdentity(r);
  std::string bytes;
  spec::TrainTraceRecord record;
  if (r.resume && ReadFile(FinishedPath(r), &bytes).ok() && record.ParseFromString(bytes) &&
      record.run_identity() == identity) {
    return TraceFromRecord(record);
  }
  absl::StatusOr<TrainTrace> trace = Train(r);
  if (!trace.ok() || !keep) return trace;
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
  const size_t world = workers == nullptr ? 1 : static_cast<size_t>(workers->world());
  const size_t rank = workers == nullptr ? 0 : static_cast<size_t>(workers->rank());
  auto key_of = [&](size_t k) { return absl::StrCat(phase, "/", requests[k].label); };
  std::map<std::string, TrainTrace> traces;
  for (size_t k = rank; k < requests.size(); k += world) {
    const std::string key = key_of(k);
    if (workers != nullptr) workers->SetActivity("training " + key);
    absl::StatusOr<TrainTrace> trace = FinishedOrTrain(requests[k], !ctx.out_dir.empty());
    if (!trace.ok()) {
      if (workers != nullptr) workers->PublishError(key, std::string(trace.status().message()));
      return trace.status();
    }
    if (workers != nullptr) {
      spec::TrainTraceRecord record = TraceRecord(*trace);
      if (absl::Status st = workers->Publish(key, record.SerializeAsString()); !st.ok()) return st;
    }
    traces[requests[k].label] = *std::move(trace);
  }
  for (size_t k = 0; workers != nullptr && k < requests.size(); ++k) {
    if (k % world == rank) continue;
    const std::string key = key_of(k);
    workers->SetActivity("waiting for " + key);
    absl::StatusOr<std::string> bytes = workers->Fetch(key, static_cast<int>(k % world));
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
