#ifndef WARMUP_LIB_REPRODUCE_PLAN_H_
#define WARMUP_LIB_REPRODUCE_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/reproduce/reproduce.h"
#include "proto/experiment.pb.h"

namespace warmup {

// A spec found under experiments/, read and tiered before anything runs.
struct Planned {
  std::string name;
  std::string path;
  spec::Experiment experiment;
  std::vector<spec::Experiment> includes;
  std::string inputs_sha256;  // the spec and the specs it includes
  double stored_seconds = -1; // from the reference of this tier; -1 unknown
};

// Whether `e` or one of `includes` trains networks.
bool TrainsNetworks(const spec::Experiment& e, const std::vector<spec::Experiment>& includes);

// <dir>/<name>.<tier>.json
std::string ReferencePath(const std::string& dir, const std::string& name,
                          const std::string& tier);

// The specs `e` includes, at `tier`, found relative to `spec_path`; their
// text is appended to `texts` (may be null) for the reuse stamp.
absl::StatusOr<std::vector<spec::Experiment>> LoadIncludes(const spec::Experiment& e,
                                                           const std::string& spec_path,
                                                           const std::string& tier,
                                                           std::string* texts);

// Reads, tiers and checks every selected spec (every tier's claim and panel
// names against its engine's declaration), fastest first by stored timing,
// composites after their parts; any error stops before a run starts.
absl::StatusOr<std::vector<Planned>> Plan(const ReproduceOptions& o);

// The stamp a finished run leaves beside its Result: every option that
// changes what the output folder holds (the numbers: tier, device, threads,
// code, specs, data; the files: whether figures were drawn). The data folder
// counts by its checksum list when it has one (tools/download_data.sh writes
// SHA256SUMS), else by its path.
std::string Stamp(const ReproduceOptions& o, const std::string& commit,
                  const std::string& inputs_sha256);

// The code version a finished output must match: the commit, "-dirty" when
// the tree has changes outside experiments/reference/ (which
// --update_reference itself writes, and which no run reads).
std::string CodeVersion(const std::string& workspace_dir, int threads);

}  // namespace warmup

#endif  // WARMUP_LIB_REPRODUCE_PLAN_H_
