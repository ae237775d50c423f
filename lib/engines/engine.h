#ifndef WARMUP_LIB_ENGINES_ENGINE_H_
#define WARMUP_LIB_ENGINES_ENGINE_H_

#include <map>
#include <set>
#include <string>
#include <tuple>

#include "absl/status/status.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

class WorkerGroup;  // lib/distributed/worker_group.h

// The options of one invocation, set once from the command line and passed
// unchanged to every engine it runs.
struct RunOptions {
  std::string tier;           // empty: the spec's default tier
  std::string data_dir;       // empty: WARMUP_DATA_DIR
  std::string device = "cpu";
  int threads = 1;
  bool plot = true;           // draw the figure (gnuplot)
  bool resume = false;        // network runs continue from their last checkpoint
  bool progress = false;      // a progress line per network run on a terminal
  std::string workspace_dir;  // for provenance and relative paths; may be ""
  std::string command_line;   // recorded in the provenance
};

// What an engine needs to run one spec: the invocation's options and where
// this spec's files are.
struct RunContext {
  RunOptions options;
  std::string tier;       // the tier applied to the spec
  std::string spec_path;  // included specs are found relative to it
  std::string out_dir;    // checkpoints go to <out_dir>/checkpoints/
  // Results already computed at this tier, by experiment name: an included
  // spec found here is taken as is instead of being run again (//:reproduce
  // runs Figure 1 before the table that includes it). May be null.
  const std::map<std::string, spec::Result>* finished = nullptr;
  // The workers this job runs on (torchrun or Slurm), or null for one
  // process. An engine that shards its runs hands each worker run k of its
  // list with k % world == rank and gathers every run on every worker, so
  // that its Result does not depend on how many workers made it.
  WorkerGroup* workers = nullptr;
};

// One series an engine records: its run, its metric and the name of its x.
struct SeriesKey {
  std::string run;
  std::string metric;
  std::string x;
  bool operator<(const SeriesKey& o) const {
    return std::tie(run, metric, x) < std::tie(o.run, o.metric, o.x);
  }
};

// What an engine will record for a spec, known from the spec alone: every
// name a claim or a panel may use. A run records a subset (a diverged run
// stops early, a failed fit records fewer scalars), never anything else.
struct DeclaredOutputs {
  std::set<std::string> scalars;
  std::set<SeriesKey> series;
};

// Turns a validated spec (its tier applied) into a Result's series, scalars,
// outcomes and tables.
class Engine {
 public:
  virtual ~Engine() = default;
  // The names Run records for `experiment`.
  virtual DeclaredOutputs Declare(const spec::Experiment& experiment) const = 0;
  // Runs `experiment` and appends what it measured to `result`.
  virtual absl::Status Run(const spec::Experiment& experiment, const RunContext& context,
                           spec::Result* result) const = 0;
};

// The engines a binary links, one per kind of spec.Engine other than
// composite (the runner runs a composite's parts through these); null: the
// build does not include that engine.
struct EngineSet {
  const Engine* synthetic = nullptr;
  const Engine* speedup_sweep = nullptr;
  const Engine* network = nullptr;
};

// The engine in `engines` that runs `experiment`; null for a composite (its
// parts run on theirs), an unset engine or one the build does not include.
inline const Engine* EngineFor(const spec::Experiment& experiment, const EngineSet& engines) {
  switch (experiment.engine().kind_case()) {
    case spec::Engine::kSynthetic: return engines.synthetic;
    case spec::Engine::kSpeedupSweep: return engines.speedup_sweep;
    case spec::Engine::kNetwork: return engines.network;
    default: return nullptr;
  }
}

}  // namespace warmup

#endif  // WARMUP_LIB_ENGINES_ENGINE_H_
