// The network engine: tunes the spec's baselines on their grids, trains
// every schedule and seed with the LibTorch trainer, and turns the traces
// into series, scalars, the fitted smoothness envelope and the
// fitted-constants table.
#include "lib/engines/network.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include <torch/version.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "lib/curvature/envelope_fit.h"
#include "lib/curvature/spectral_density.h"
#include "lib/engines/network_envelope.h"
#include "lib/engines/result_util.h"
#include "lib/engines/sharded_training.h"
#include "lib/engines/tuning.h"
#include "lib/runtime/runtime.h"
#include "lib/stats/stats.h"
#include "lib/trainer/trainer.h"

namespace warmup {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

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

// The per-run scalars RecordRun writes for every run, and for a profiled one.
constexpr const char* kRunScalars[] = {
    "final_loss", "diverged", "steps", "profile_points", "profile_unconverged",
    "profile_invalid", "parameters", "peak_lr", "initial_loss", "initial_grad_norm"};
constexpr const char* kProfiledRunScalars[] = {"initial_smoothness", "initial_hvp_norm"};

bool Profiled(const spec::Profile& p) { return p.every() > 0 || p.log_points() > 0; }

// Final loss: the mean of the last 10% of recorded minibatch losses; +inf
// for a run that diverged (its last finite losses say nothing about where
// it ended).
double FinalLoss(const TrainTrace& t) {
  if (t.diverged || t.loss.empty()) return kInf;
  const size_t tail = std::max<size_t>(1, t.loss.size() / 10);
  return Mean({t.loss.end() - std::min(tail, t.loss.size()), t.loss.end()});
}

TrainRequest Request(const spec::Experiment& e, const RunContext& ctx,
                     const spec::Schedule& schedule, int64_t seed, const std::string& run) {
  TrainRequest r;
  r.network = e.problem().network();
  r.optimizer = e.optimizer();
  r.schedule = schedule;
  r.profile = e.profile();
  r.iterations = e.iterations();
  r.record_every = e.record().every();
  r.seed = seed;
  r.device = ctx.options.device;
  r.data_dir = ctx.options.data_dir;
  r.checkpoint_every = e.checkpoint().every();
  r.checkpoint_dir = absl::StrCat(ctx.out_dir, "/checkpoints/",
                                  absl::StrReplaceAll(run, {{"/", "-"}}));
  r.resume = ctx.options.resume;
  r.progress = ctx.options.progress;
  r.label = run;
  return r;
}

// Provenance of a network run: the LibTorch (and on CUDA the CUDA and cuDNN)
// versions, the device it used, the data files it read (each once), and on
// CUDA whether every operation honoured the request for deterministic
// algorithms.
void RecordWhereItRan(const TrainTrace& trace, spec::Provenance* p) {
  (*p->mutable_versions())["libtorch"] = TORCH_VERSION;
  for (const auto& [library, version] : trace.versions) (*p->mutable_versions())[library] = version;
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
  if (trace.gpu.empty()) return;
  p->set_determinism(absl::StrCat(
      "deterministic algorithms requested, ",
      trace.nondeterministic_operations.empty()
          ? std::string("honoured by every operation")
          : absl::StrCat("not available for: ",
                         absl::StrJoin(trace.nondeterministic_operations, ", "))));
}

// The Hessian's trace with its 95% interval (x = step), and one density
// per measured step: run "<run>/step<k>", x = eigenvalue, c = k, smoothed
// as PyHessian does on 200 even points plus points at every node (so that
// each peak keeps its shape at a Result's size).
void RecordSpectra(const std::string& run, const TrainTrace& t, spec::Result* result) {
  if (!t.trace_step.empty()) {
    AddSeries(run, "trace", "step", t.trace_step, t.trace, result);
    AddSeries(run, "trace_lo95", "step", t.trace_step, t.trace_lo95, result);
    AddSeries(run, "trace_hi95", "step", t.trace_step, t.trace_hi95, result);
  }
  SmoothingOptions smoothing;
  smoothing.grid_points = 200;
  smoothing.points_at_nodes = true;
  for (size_t first = 0; first < t.quadrature.size();) {
    const double step = t.quadrature_step[first];
    size_t last = first;
    while (last < t.quadrature.size() && t.quadrature_step[last] == step) ++last;
    const DensityCurve curve = SmoothDensity(
        {t.quadrature.begin() + first, t.quadrature.begin() + last}, smoothing);
    spec::Series* s = AddSeries(absl::StrFormat("%s/step%d", run, static_cast<int64_t>(step)),
                                "density", "eigenvalue", curve.eigenvalue, curve.density, result);
    s->mutable_c()->Resize(s->x_size(), step);
    first = last;
  }
}

// Series, per-seed scalars and the outcome of one trained run.
std::map<std::string, double> RecordRun(const std::string& run, bool theory,
                                        const TrainTrace& t, spec::Result* result) {
  AddSeries(run, "loss", "step", t.step, t.loss, result);
  AddSeries(run, "lr", "step", t.step, t.lr, result);
  if (theory) {
    // Smoothing for display only, as in the paper's caption; the schedule
    // itself read the loss its ema says.
    const int window = std::max<int>(1, static_cast<int>(t.lr.size() / 25));
    AddSeries(run, "lr_smoothed", "step", t.step, Smooth(t.lr, window), result);
    AddSeries(run, "loss_smoothed", "step", t.step, Smooth(t.loss, window), result);
  }
  if (!t.profile_step.empty()) {
    AddSeries(run, "smoothness", "step", t.profile_step, t.profile_smoothness, result);
    AddSeries(run, "lambda_max", "step", t.profile_step, t.profile_lambda_max, result);
    AddSeries(run, "lambda_min", "step", t.profile_step, t.profile_lambda_min, result);
  }
  RecordSpectra(run, t, result);
  if (t.profile_invalid > 0) {
    RecordFailure(run, absl::StrCat(t.profile_invalid, " Hessian measurement(s)"),
                  t.profile_failure, result);
  }
  // In the order of kRunScalars. The initial values are what any machine
  // reproduces to rounding (compared tightly with the reference: they catch
  // a changed initialisation or data order).
  const double values[] = {
      FinalLoss(t),
      t.diverged ? 1.0 : 0.0,
      static_cast<double>(t.steps_run),
      static_cast<double>(t.profile_step.size()),
      static_cast<double>(t.profile_unconverged),
      static_cast<double>(t.profile_invalid),
      static_cast<double>(t.parameters),
      t.lr.empty() ? 0.0 : *std::max_element(t.lr.begin(), t.lr.end()),
      !t.step.empty() && t.step[0] == 0 ? t.loss[0] : kNaN,
      t.initial_grad_norm,
  };
  static_assert(std::size(values) == std::size(kRunScalars));
  std::map<std::string, double> scalars;
  for (size_t k = 0; k < std::size(values); ++k) scalars[kRunScalars[k]] = values[k];

  if (!t.profile_step.empty()) {
    scalars[kProfiledRunScalars[0]] = t.profile_step[0] == 0 ? t.profile_smoothness[0] : kNaN;
    scalars[kProfiledRunScalars[1]] = t.initial_hvp_norm;
  }
  spec::RunOutcome* outcome = result->add_runs();
  outcome->set_run(run);
  outcome->set_outcome(t.diverged ? spec::RunOutcome::DIVERGED : spec::RunOutcome::COMPLETED);
  outcome->set_steps(t.steps_run);
  outcome->set_final_gap(scalars["final_loss"]);
  outcome->set_resumed_from(t.resumed_from);
  RecordWhereItRan(t, result->mutable_provenance());
  return scalars;
}

// "<label>.<q>" is the mean over seeds and "<label>.<q>_sd" the spread; the
// mean is NaN unless every seed reported q.
void RecordSeedMeans(const std::string& label, size_t seeds,
                     const std::map<std::string, std::vector<double>>& per_seed,
                     spec::Result* result) {
  for (const auto& [k, values] : per_seed) {
    const double mean = values.size() == seeds ? Mean(values) : kNaN;
    AddScalar(absl::StrCat(label, ".", k), mean, result);
    if (seeds > 1) AddScalar(absl::StrCat(label, ".", k, "_sd"), SampleSd(values), result);
  }
}

// Records one schedule's runs over every seed (their traces by run name);
// returns the seeds' final losses.
std::vector<double> RecordSchedule(const spec::Experiment& e, const spec::Schedule& schedule,
                                   const std::vector<int64_t>& seeds,
                                   const std::map<std::string, TrainTrace>& traces,
                                   spec::Table* table, spec::Result* result) {
  std::map<std::string, std::vector<double>> per_seed;
  std::vector<ProfileRun> profiles;
  for (int64_t seed : seeds) {
    const std::string run = RunName(schedule.label(), seed, seeds.size());
    const TrainTrace& trace = traces.at(run);
    for (const auto& [k, v] : RecordRun(run, schedule.has_theory_warmup(), trace, result)) {
      if (seeds.size() > 1) AddScalar(absl::StrCat(run, ".", k), v, result);
      per_seed[k].push_back(v);
    }
    profiles.push_back({trace.profile_step, trace.profile_gap, trace.profile_smoothness});
  }
  RecordSeedMeans(schedule.label(), seeds.size(), per_seed, result);
  AddScalar(schedule.label() + ".seeds", static_cast<double>(seeds.size()), result);
  if (Profiled(e.profile())) RecordEnvelope(e, schedule.label(), seeds, profiles, table, result);
  return per_seed["final_loss"];
}

// The seed-paired difference of final losses, a minus b (the same seed
// gives both runs the same initialisation and minibatches), as scalars
// "<b>.paired_<a>_mean", "_sd", "_lo99" and "_hi99": one-sided 99% t bounds
// on the mean difference. NaN when a run diverged or a seed is missing, so
// that claims on them fail.
void RecordPairedDifference(const std::string& a, const std::vector<double>& loss_a,
                            const std::string& b, const std::vector<double>& loss_b,
                            spec::Result* result) {
  const PairedDifference d = PairedDifferenceBounds(loss_a, loss_b, 0.99);
  const std::string prefix = absl::StrCat(b, ".paired_", a, "_");
  AddScalar(prefix + "mean", d.mean, result);
  AddScalar(prefix + "sd", d.sd, result);
  AddScalar(prefix + "lo99", d.lo, result);
  AddScalar(prefix + "hi99", d.hi, result);
}

// The runs of a tuned baseline's grid: every grid point on every tuning
// seed, unprofiled (validation keeps the tuning seeds disjoint from the
// claim seeds; an empty list tunes on the only claim seed).
std::vector<TrainRequest> TuningRequests(const spec::Experiment& e, const RunContext& ctx,
                                         const spec::TunedBaseline& b,
                                         const std::vector<int64_t>& seeds) {
  std::vector<int64_t> tuning(b.tuning_seeds().begin(), b.tuning_seeds().end());
  if (tuning.empty()) tuning.push_back(seeds.front());
  spec::Experiment unprofiled = e;
  unprofiled.clear_profile();
  unprofiled.clear_checkpoint();
  std::vector<TrainRequest> requests;
  for (const spec::Schedule& point : TuningGrid(b)) {
    for (int64_t seed : tuning) {
      requests.push_back(
          Request(unprofiled, ctx, point, seed, absl::StrCat(point.label(), "/seed", seed)));
    }
  }
  return requests;
}

// Selects a tuned baseline's winner from its grid's traces (objective
// final_loss averaged over the tuning seeds, rule ANY: every run that did
// not diverge is eligible), records the tuning, and returns the winner as an
// ordinary schedule named after the baseline.
absl::StatusOr<spec::Schedule> SelectBaseline(const spec::TunedBaseline& b,
                                              const std::vector<TrainRequest>& requests,
                                              const std::map<std::string, TrainTrace>& traces,
                                              spec::Result* result) {
  const std::vector<spec::Schedule> grid = TuningGrid(b);
  const size_t per_point = requests.size() / grid.size();
  std::vector<TuningTrial> trials;
  for (size_t p = 0; p < grid.size(); ++p) {
    std::vector<double> scores;
    TuningTrial trial;
    for (size_t s = 0; s < per_point; ++s) {
      const TrainTrace& trace = traces.at(requests[p * per_point + s].label);
      trial.diverged = trial.diverged || trace.diverged;
      scores.push_back(FinalLoss(trace));
    }
    trial.score = Mean(scores);
    trials.push_back(trial);
  }
  const TuningSelection selection = SelectWinner(b, grid, trials);
  RecordTuning(b, grid, trials, selection, result);
  return WinningSchedule(b, grid, selection);
}

// Every tuned baseline's grid trained (one phase, sharded over the
// workers), then each winner selected; the winners follow the spec's
// schedules.
absl::StatusOr<std::vector<spec::Schedule>> TuneBaselines(const spec::Experiment& e,
                                                          const RunContext& ctx,
                                                          const std::vector<int64_t>& seeds,
                                                          spec::Result* result) {
  std::vector<std::vector<TrainRequest>> per_baseline;
  std::vector<TrainRequest> all;
  for (const spec::TunedBaseline& b : e.tuned()) {
    per_baseline.push_back(TuningRequests(e, ctx, b, seeds));
    all.insert(all.end(), per_baseline.back().begin(), per_baseline.back().end());
  }
  absl::StatusOr<std::map<std::string, TrainTrace>> traces = TrainAll(all, "tuning", ctx);
  if (!traces.ok()) return traces.status();
  std::vector<spec::Schedule> schedules(e.schedules().begin(), e.schedules().end());
  for (int k = 0; k < e.tuned_size(); ++k) {
    absl::StatusOr<spec::Schedule> winner =
        SelectBaseline(e.tuned(k), per_baseline[k], *traces, result);
    if (!winner.ok()) return winner.status();
    schedules.push_back(*std::move(winner));
  }
  return schedules;
}

// The series one run records (RecordRun, RecordSpectra, AddScatter).
void DeclareRunSeries(const spec::Experiment& e, const std::string& run, bool theory,
                      DeclaredOutputs* out) {
  std::vector<std::string> by_step = {"loss", "lr"};
  if (theory) by_step.insert(by_step.end(), {"lr_smoothed", "loss_smoothed"});
  const spec::Profile& p = e.profile();
  if (Profiled(p)) {
    by_step.insert(by_step.end(), {"smoothness", "lambda_max", "lambda_min"});
    out->series.insert({run, "smoothness", "gap"});
    out->series.insert({run, "smoothness_transient", "gap"});
  }
  if (p.trace_hvps() > 0 && !p.spectrum_steps().empty()) {
    by_step.insert(by_step.end(), {"trace", "trace_lo95", "trace_hi95"});
  }
  for (const std::string& metric : by_step) out->series.insert({run, metric, "step"});
  if (p.density_runs() > 0) {
    for (int64_t step : p.spectrum_steps()) {
      out->series.insert({absl::StrFormat("%s/step%d", run, step), "density", "eigenvalue"});
    }
  }
}

// What RunSchedule records for one schedule over `seeds`.
void DeclareSchedule(const spec::Experiment& e, const std::string& label, bool theory,
                     const std::vector<int64_t>& seeds, DeclaredOutputs* out) {
  std::vector<std::string> quantities(std::begin(kRunScalars), std::end(kRunScalars));
  if (Profiled(e.profile())) {
    quantities.insert(quantities.end(), std::begin(kProfiledRunScalars),
                      std::end(kProfiledRunScalars));
  }
  for (int64_t seed : seeds) {
    const std::string run = RunName(label, seed, seeds.size());
    DeclareRunSeries(e, run, theory, out);
    for (const std::string& q : quantities) out->scalars.insert(absl::StrCat(run, ".", q));
  }
  for (const std::string& q : quantities) {
    out->scalars.insert(absl::StrCat(label, ".", q));
    if (seeds.size() > 1) out->scalars.insert(absl::StrCat(label, ".", q, "_sd"));
  }
  out->scalars.insert(label + ".seeds");
  if (!Profiled(e.profile())) return;
  out->series.insert({label, "profile_cost", "rho"});
  for (const char* name : {"seeds_averaged", "fit_invalid"}) {
    out->scalars.insert(absl::StrCat(label, ".", name));
  }
  for (const std::string& name : FitScalarNames()) {
    out->scalars.insert(absl::StrCat(label, ".", name));
  }
}

}  // namespace

DeclaredOutputs NetworkEngine::Declare(const spec::Experiment& e) const {
  DeclaredOutputs out;
  const std::vector<int64_t> seeds = SeedsOf(e);
  const std::vector<std::string> labels = LabelsOf(e);
  for (const spec::TunedBaseline& b : e.tuned()) {
    for (const std::string& name : TuningScalarNames(b)) out.scalars.insert(name);
  }
  for (size_t k = 0; k < labels.size(); ++k) {
    const bool theory = k < static_cast<size_t>(e.schedules_size()) &&
                        e.schedules(k).has_theory_warmup();
    DeclareSchedule(e, labels[k], theory, seeds, &out);
    for (size_t a = 0; a < k; ++a) {
      for (const char* part : {"mean", "sd", "lo99", "hi99"}) {
        out.scalars.insert(absl::StrCat(labels[k], ".paired_", labels[a], "_", part));
      }
    }
  }
  return out;
}

absl::Status NetworkEngine::Run(const spec::Experiment& e, const RunContext& ctx,
                                spec::Result* result) const {
  result->mutable_provenance()->set_runtime(ConfigureRuntime(ctx.options.threads));
  result->mutable_provenance()->set_kernels(KernelsInUse());
  const std::vector<int64_t> seeds = SeedsOf(e);
  absl::StatusOr<std::vector<spec::Schedule>> schedules = TuneBaselines(e, ctx, seeds, result);
  if (!schedules.ok()) return schedules.status();
  std::vector<TrainRequest> requests;
  for (const spec::Schedule& schedule : *schedules) {
    for (int64_t seed : seeds) {
      requests.push_back(
          Request(e, ctx, schedule, seed, RunName(schedule.label(), seed, seeds.size())));
    }
  }
  absl::StatusOr<std::map<std::string, TrainTrace>> traces = TrainAll(requests, "runs", ctx);
  if (!traces.ok()) return traces.status();
  spec::Table* table = FittedConstantsTable(result);
  const int table_index = result->tables_size() - 1;
  std::vector<std::vector<double>> final_losses;
  for (const spec::Schedule& schedule : *schedules) {
    final_losses.push_back(RecordSchedule(e, schedule, seeds, *traces, table, result));
  }
  for (size_t b = 1; b < schedules->size(); ++b) {
    for (size_t a = 0; a < b; ++a) {
      RecordPairedDifference((*schedules)[a].label(), final_losses[a], (*schedules)[b].label(),
                             final_losses[b], result);
    }
  }
  if (table->rows().empty()) result->mutable_tables()->DeleteSubrange(table_index, 1);
  return absl::OkStatus();
}

const EngineSet& AllEngines() {
  static const NetworkEngine* network = new NetworkEngine();
  static const EngineSet* engines = [] {
    auto* all = new EngineSet(SyntheticEngines());
    all->network = network;
    return all;
  }();
  return *engines;
}

}  // namespace warmup
