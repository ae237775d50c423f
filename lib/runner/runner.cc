#include "lib/runner/runner.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "lib/io/output_batch.h"
#include "lib/io/provenance.h"
#include "lib/io/result_files.h"
#include "lib/plot/gnuplot.h"
#include "lib/runner/claims.h"
#include "lib/runner/synthetic.h"
#include "lib/spec/spec.h"

namespace warmup {

absl::StatusOr<spec::Result> RunExperiment(const spec::Experiment& e,
                                           const std::string& tier) {
  spec::Result result;
  result.set_experiment(e.name());
  result.set_tier(tier);
  absl::Status st;
  if (e.problem().has_network()) {
    st = absl::UnimplementedError(
        "network problems need the LibTorch trainer, which this build does "
        "not include");
  } else if (e.sweep().horizons_size() > 0) {
    st = RunSpeedupSweep(e, &result);
  } else {
    st = RunSyntheticExperiment(e, &result);
  }
  if (!st.ok()) return st;
  if (st = EvaluateClaims(e, tier, &result); !st.ok()) return st;
  return result;
}

absl::StatusOr<RunReport> RunSpec(const RunRequest& request) {
  std::string spec_text;
  if (absl::Status st = ReadFile(request.spec_path, &spec_text); !st.ok()) {
    return absl::NotFoundError(
        absl::StrCat("cannot read spec file '", request.spec_path, "'"));
  }
  absl::StatusOr<spec::Experiment> experiment =
      LoadExperiment(request.spec_path, request.tier);
  if (!experiment.ok()) return experiment.status();
  const std::string tier =
      request.tier.empty() ? experiment->default_tier() : request.tier;

  RunReport report;
  report.out_dir = request.out_dir;
  if (report.out_dir.empty()) {
    const std::string root =
        request.workspace_dir.empty() ? "." : request.workspace_dir;
    report.out_dir = absl::StrCat(root, "/out/", experiment->name());
  }
  // Fail on an unwritable folder before any work.
  if (absl::Status st = EnsureWritableDirectory(report.out_dir); !st.ok()) {
    return st;
  }

  spec::Provenance provenance;
  FillProvenance(request.spec_path, spec_text, request.workspace_dir,
                 request.threads, &provenance);
  provenance.set_command_line(request.command_line);
  absl::StatusOr<spec::Result> result = RunExperiment(*experiment, tier);
  if (!result.ok()) return result.status();
  MarkEnd(&provenance);
  *result->mutable_provenance() = provenance;

  OutputBatch batch;
  if (absl::Status st = AddResultFiles(*result, &batch); !st.ok()) return st;
  if (request.plot && experiment->figure().panels_size() > 0) {
    const std::string title = experiment->title().empty()
                                  ? experiment->name()
                                  : experiment->title();
    if (absl::Status st = RenderFigure(*result, experiment->figure(), title,
                                       experiment->name(), &batch);
        !st.ok()) {
      return st;
    }
  }
  if (absl::Status st = batch.Commit(report.out_dir); !st.ok()) return st;
  for (const spec::ClaimVerdict& v : result->claims()) {
    report.claims_pass = report.claims_pass && v.pass();
  }
  report.result = *std::move(result);
  return report;
}

}  // namespace warmup
