// The runner's engine for network experiments: trains every schedule and
// seed of a spec with the LibTorch trainer, and turns the traces into
// series, scalars, fitted envelopes and the fitted-constants table.
// Registered with the runner when this library is linked in.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <torch/version.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "lib/curvature/envelope_fit.h"
#include "lib/runner/result_util.h"
#include "lib/runner/runner.h"
#include "lib/runtime/runtime.h"
#include "lib/trainer/trainer.h"

namespace warmup {
namespace {

// Centred moving average over `window` points, for display only.
std::vector<double> Smooth(const std::vector<double>& v, int window) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const size_t lo = i >= static_cast<size_t>(window / 2) ? i - window / 2 : 0;
    const size_t hi = std::min(v.size(), i + window / 2 + 1);
    out[i] = std::accumulate(v.begin() + lo, v.begin() + hi, 0.0) / (hi - lo);
  }
  return out;
}

std::map<std::string, double> FitScalars(const std::vector<double>& gap,
                                         const std::vector<double>& smoothness,
                                         const spec::Profile& profile, uint64_t seed,
                                         EnvelopeFit* fit_out) {
  std::vector<double> g, s;
  for (size_t i = 0; i < gap.size(); ++i) {
    if (gap[i] > 0 && smoothness[i] > 0) {
      g.push_back(gap[i]);
      s.push_back(smoothness[i]);
    }
  }
  EnvelopeOptions o;
  o.coverage = profile.coverage() > 0 ? profile.coverage() : 1.0;
  o.seed = seed;
  absl::StatusOr<EnvelopeFit> fit = FitEnvelope(g, s, o);
  if (!fit.ok()) return {};
  if (fit_out != nullptr) *fit_out = *fit;
  return {{"fit_rho", fit->rho},         {"fit_k0", fit->k0},
          {"fit_krho", fit->krho},       {"fit_rho_lo", fit->rho_ci.lo},
          {"fit_rho_hi", fit->rho_ci.hi}, {"spearman", fit->spearman},
          {"loglog_slope", fit->loglog_slope}, {"profile_points", double(fit->points)}};
}

std::string Num(double v) { return absl::StrFormat("%.4g", v); }

// Provenance of a network run: LibTorch's version, the device it used and the
// data files it read (each once).
void RecordWhereItRan(const TrainTrace& trace, spec::Provenance* p) {
  (*p->mutable_versions())["libtorch"] = TORCH_VERSION;
  p->set_device(trace.device);
  for (const DataFile& f : trace.data_files) {
    bool listed = false;
    for (const spec::DataFile& d : p->data_files()) listed = listed || d.path() == f.path;
    if (listed) continue;
    spec::DataFile* d = p->add_data_files();
    d->set_path(f.path);
    d->set_sha256(f.sha256);
    d->set_bytes(f.bytes);
  }
}

absl::Status RunNetworkExperiment(const spec::Experiment& e, const RunContext& ctx,
                                  spec::Result* result) {
  result->mutable_provenance()->set_runtime(ConfigureRuntime(ctx.threads));
  std::vector<int64_t> seeds(e.seeds().begin(), e.seeds().end());
  if (seeds.empty()) seeds.push_back(0);
  spec::Table* table = result->add_tables();
  table->set_name("fitted_constants");
  for (const char* c : {"run", "model", "seeds", "steps", "points", "rho", "rho_sd",
                        "rho_90ci", "k0", "krho", "spearman", "loglog_slope"}) {
    table->add_columns(c);
  }
  for (const spec::Schedule& schedule : e.schedules()) {
    std::map<std::string, std::vector<double>> per_seed;
    std::vector<double> pooled_gap, pooled_smoothness;
    for (int64_t seed : seeds) {
      const std::string run = seeds.size() > 1
                                  ? absl::StrCat(schedule.label(), "/seed", seed)
                                  : schedule.label();
      TrainRequest r;
      r.network = e.problem().network();
      r.optimizer = e.optimizer();
      r.schedule = schedule;
      r.profile = e.profile();
      r.iterations = e.iterations();
      r.record_every = e.record().every();
      r.seed = seed;
      r.device = ctx.device;
      r.data_dir = ctx.data_dir;
      r.checkpoint_every = e.checkpoint().every();
      r.checkpoint_dir = absl::StrCat(ctx.out_dir, "/checkpoints/",
                                      absl::StrReplaceAll(run, {{"/", "-"}}));
      r.resume = ctx.resume;
      r.progress = ctx.progress;
      r.label = run;
      absl::StatusOr<TrainTrace> trace = Train(r);
      if (!trace.ok()) return trace.status();
      AddSeries(run, "loss", "step", trace->step, trace->loss, result);
      AddSeries(run, "lr", "step", trace->step, trace->lr, result);
      if (schedule.has_theory_warmup()) {
        const int window = std::max<int>(1, static_cast<int>(trace->lr.size() / 25));
        AddSeries(run, "lr_smoothed", "step", trace->step, Smooth(trace->lr, window), result);
      }
      if (!trace->profile_step.empty()) {
        AddSeries(run, "smoothness", "step", trace->profile_step, trace->profile_smoothness,
                  result);
        AddSeries(run, "lambda_max", "step", trace->profile_step, trace->profile_lambda_max,
                  result);
        AddSeries(run, "lambda_min", "step", trace->profile_step, trace->profile_lambda_min,
                  result);
        spec::Series* scatter = AddSeries(run, "smoothness", "gap", trace->profile_gap,
                                          trace->profile_smoothness, result);
        *scatter->mutable_c() = {trace->profile_step.begin(), trace->profile_step.end()};
        pooled_gap.insert(pooled_gap.end(), trace->profile_gap.begin(), trace->profile_gap.end());
        pooled_smoothness.insert(pooled_smoothness.end(), trace->profile_smoothness.begin(),
                                 trace->profile_smoothness.end());
      }
      const size_t tail = std::max<size_t>(1, trace->loss.size() / 10);
      std::map<std::string, double> scalars = {
          {"final_loss", Mean({trace->loss.end() - std::min(tail, trace->loss.size()),
                               trace->loss.end()})},
          {"diverged", trace->diverged ? 1.0 : 0.0},
          {"steps", static_cast<double>(trace->steps_run)},
          {"profile_unconverged", static_cast<double>(trace->profile_unconverged)},
          {"parameters", static_cast<double>(trace->parameters)},
          {"peak_lr", trace->lr.empty() ? 0.0 : *std::max_element(trace->lr.begin(), trace->lr.end())},
      };
      if (trace->profile_step.size() >= 3) {
        for (const auto& [k, v] : FitScalars(trace->profile_gap, trace->profile_smoothness,
                                             e.profile(), static_cast<uint64_t>(seed), nullptr)) {
          scalars[k] = v;
        }
      }
      for (const auto& [k, v] : scalars) {
        if (seeds.size() > 1) AddScalar(absl::StrCat(run, ".", k), v, result);
        per_seed[k].push_back(v);
      }
      spec::RunOutcome* outcome = result->add_runs();
      outcome->set_run(run);
      outcome->set_outcome(trace->diverged ? spec::RunOutcome::DIVERGED
                                           : spec::RunOutcome::COMPLETED);
      outcome->set_steps(trace->steps_run);
      outcome->set_final_gap(scalars["final_loss"]);
      outcome->set_resumed_from(trace->resumed_from);
      RecordWhereItRan(*trace, result->mutable_provenance());
    }
    // "<label>.<q>" is the mean over seeds and "<label>.<q>_sd" the spread.
    for (const auto& [k, values] : per_seed) {
      AddScalar(absl::StrCat(schedule.label(), ".", k), Mean(values), result);
      if (seeds.size() > 1) {
        AddScalar(absl::StrCat(schedule.label(), ".", k, "_sd"), SampleSd(values), result);
      }
    }
    if (pooled_gap.size() >= 3) {
      EnvelopeFit pooled;
      const auto pooled_scalars =
          FitScalars(pooled_gap, pooled_smoothness, e.profile(), 0, &pooled);
      for (const auto& [k, v] : pooled_scalars) {
        AddScalar(absl::StrCat(schedule.label(), ".pooled_", k), v, result);
      }
      if (!pooled_scalars.empty()) {
        auto* row = table->add_rows();
        for (const std::string& cell :
             {schedule.label(), e.problem().network().model(), absl::StrCat(seeds.size()),
              absl::StrCat(e.iterations()), absl::StrCat(pooled.points), Num(pooled.rho),
              Num(SampleSd(per_seed["fit_rho"])),
              absl::StrFormat("[%.3g, %.3g]", pooled.rho_ci.lo, pooled.rho_ci.hi),
              Num(pooled.k0), Num(pooled.krho), Num(pooled.spearman),
              Num(pooled.loglog_slope)}) {
          row->add_cells(cell);
        }
      }
    }
  }
  if (table->rows().empty()) result->mutable_tables()->RemoveLast();
  return absl::OkStatus();
}

const bool kRegistered = [] {
  RegisterNetworkEngine(RunNetworkExperiment);
  return true;
}();

}  // namespace
}  // namespace warmup
