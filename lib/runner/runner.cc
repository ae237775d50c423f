#include "lib/runner/runner.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "lib/distributed/worker_group.h"
#include "lib/io/output_batch.h"
#include "lib/io/provenance.h"
#include "lib/io/result_files.h"
#include "lib/plot/gnuplot.h"
#include "lib/runner/claims.h"
#include "lib/runner/declared.h"
#include "lib/spec/spec.h"

namespace warmup {

namespace {

// Appends an included spec's Result to a composite's: scalars and claim
// verdicts prefixed with "<name>.", series and outcomes with runs
// "<name>/<run>", tables of the same name concatenated under a leading
// "experiment" column.
void MergePart(const std::string& name, const spec::Result& part, spec::Result* result) {
  for (const spec::Scalar& s : part.scalars()) {
    spec::Scalar* copy = result->add_scalars();
    copy->set_name(name + "." + s.name());
    copy->set_value(s.value());
  }
  for (spec::Series s : part.series()) {
    s.set_run(name + "/" + s.run());
    *result->add_series() = std::move(s);
  }
  for (spec::ClaimVerdict v : part.claims()) {
    v.set_id(name + "." + v.id());
    *result->add_claims() = std::move(v);
  }
  for (spec::RunOutcome o : part.runs()) {
    o.set_run(name + "/" + o.run());
    *result->add_runs() = std::move(o);
  }
  for (const spec::Table& t : part.tables()) {
    spec::Table* target = nullptr;
    for (spec::Table& existing : *result->mutable_tables()) {
      if (existing.name() == t.name()) target = &existing;
    }
    if (target == nullptr) {
      target = result->add_tables();
      target->set_name(t.name());
      target->add_columns("experiment");
      for (const std::string& c : t.columns()) target->add_columns(c);
    }
    for (const auto& row : t.rows()) {
      auto* copy = target->add_rows();
      copy->add_cells(name);
      for (const std::string& cell : row.cells()) copy->add_cells(cell);
    }
  }
}

// Runs each included spec at the same tier (or takes its finished Result)
// and merges it into `result`.
absl::Status RunIncludes(const spec::Experiment& e, const RunContext& context,
                         const EngineSet& engines, spec::Result* result) {
  const std::filesystem::path dir = std::filesystem::path(context.spec_path).parent_path();
  for (const std::string& include : e.include()) {
    const std::string path = (dir / include).string();
    absl::StatusOr<spec::Experiment> part = LoadExperiment(path, context.tier);
    if (!part.ok()) return part.status();
    RunContext sub = context;
    sub.spec_path = path;
    sub.out_dir = context.out_dir + "/" + part->name();
    const bool done = context.finished != nullptr &&
                      context.finished->count(part->name()) > 0 &&
                      context.finished->at(part->name()).tier() == context.tier;
    absl::StatusOr<spec::Result> r =
        done ? context.finished->at(part->name()) : RunExperiment(*part, sub, engines);
    if (!r.ok()) return r.status();
    MergePart(part->name(), *r, result);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<spec::Result> RunExperiment(const spec::Experiment& e,
                                           const RunContext& context,
                                           const EngineSet& engines) {
  spec::Result result;
  result.set_experiment(e.name());
  result.set_tier(context.tier);
  absl::Status st = CheckClaimsApply(e, context.tier);
  if (!st.ok()) return st;
  absl::StatusOr<DeclaredOutputs> declared =
      DeclaredOutputsOf(e, context.spec_path, context.tier, engines);
  if (!declared.ok()) return declared.status();
  if (st = CheckNamesDeclared(e, context.tier, *declared); !st.ok()) return st;
  if (e.engine().has_composite()) {
    st = RunIncludes(e, context, engines, &result);
  } else {
    st = EngineFor(e, engines)->Run(e, context, &result);  // DeclaredOutputsOf found it
    if (st.ok()) st = CheckRecordedAsDeclared(*declared, result);
  }
  if (!st.ok()) return st;
  if (st = EvaluateClaims(e, context.tier, &result); !st.ok()) return st;
  return result;
}

namespace {

// The engine's settings for a request's run.
RunContext ContextOf(const RunRequest& request, const std::string& tier,
                     const std::string& out_dir) {
  RunContext context;
  context.options = request.options;
  context.tier = tier;
  context.spec_path = request.spec_path;
  context.out_dir = out_dir;
  context.finished = request.finished;
  context.workers = request.workers;
  return context;
}

// The Result's files and, when asked for and the spec has panels, its figure,
// written into `out_dir` all at once.
absl::Status WriteOutputs(const RunRequest& request, const spec::Experiment& experiment,
                          const spec::Result& result, const std::string& out_dir) {
  OutputBatch batch;
  if (absl::Status st = AddResultFiles(result, &batch); !st.ok()) return st;
  if (request.options.plot && experiment.figure().panels_size() > 0) {
    const std::string title =
        experiment.title().empty() ? experiment.name() : experiment.title();
    if (absl::Status st =
            RenderFigure(result, experiment.figure(), title, experiment.name(), &batch);
        !st.ok()) {
      return st;
    }
  }
  return batch.Commit(out_dir);
}

}  // namespace

absl::StatusOr<RunReport> RunSpec(const RunRequest& request, const EngineSet& engines) {
  std::string spec_text;
  if (absl::Status st = ReadFile(request.spec_path, &spec_text); !st.ok()) {
    return absl::NotFoundError(
        absl::StrCat("cannot read spec file '", request.spec_path, "'"));
  }
  // The text read once serves both the spec and its hash in the provenance.
  absl::StatusOr<spec::Experiment> experiment =
      BuildExperiment(spec_text, request.spec_path, request.options.tier);
  if (!experiment.ok()) return experiment.status();
  if (absl::Status st = CheckSpecNames(request.spec_path, engines); !st.ok()) return st;
  if (!request.seeds_override.empty()) {
    experiment->clear_seeds();
    for (int64_t seed : request.seeds_override) experiment->add_seeds(seed);
  }
  const std::string tier =
      request.options.tier.empty() ? experiment->default_tier() : request.options.tier;

  RunReport report;
  report.out_dir = request.out_dir;
  if (report.out_dir.empty()) {
    const std::string root =
        request.options.workspace_dir.empty() ? "." : request.options.workspace_dir;
    report.out_dir = absl::StrCat(root, "/out/", experiment->name());
  }
  // Fail on an unwritable folder, or one the run may not replace, before
  // any work.
  if (absl::Status st = CheckReplaceable(report.out_dir); !st.ok()) return st;
  if (absl::Status st = EnsureWritableDirectory(report.out_dir); !st.ok()) {
    return st;
  }

  spec::Provenance provenance;
  FillProvenance(request.spec_path, spec_text, request.options.workspace_dir,
                 request.options.threads, &provenance);
  provenance.set_command_line(request.options.command_line);
  absl::StatusOr<spec::Result> result =
      RunExperiment(*experiment, ContextOf(request, tier, report.out_dir), engines);
  if (!result.ok()) return result.status();
  MarkEnd(&provenance);
  // What the engine knows (runtime, device used, LibTorch version, data
  // files read) overrides the runner's defaults.
  provenance.MergeFrom(result->provenance());
  *result->mutable_provenance() = provenance;

  if (request.workers != nullptr) {
    // Rank 0 hosts the store the others fetch from: it stays until they are
    // done, and it alone writes.
    if (absl::Status st = request.workers->Barrier("done/" + experiment->name()); !st.ok()) {
      return st;
    }
  }
  const bool writes = request.workers == nullptr || request.workers->rank() == 0;
  if (absl::Status st = writes ? WriteOutputs(request, *experiment, *result, report.out_dir)
                               : absl::OkStatus();
      !st.ok()) {
    return st;
  }
  for (const spec::ClaimVerdict& v : result->claims()) {
    report.claims_pass = report.claims_pass && v.pass();
  }
  report.result = *std::move(result);
  return report;
}

}  // namespace warmup
