#include "lib/reproduce/reproduce.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "lib/distributed/worker_group.h"
#include "lib/engines/network.h"
#include "lib/engines/result_util.h"
#include "lib/io/output_batch.h"
#include "lib/io/provenance.h"
#include "lib/report/report.h"
#include "lib/reproduce/plan.h"
#include "lib/runner/claims.h"
#include "lib/runner/runner.h"
#include "lib/spec/spec.h"

namespace warmup {
namespace fs = std::filesystem;

int ExperimentOutcome::ClaimsFailed() const {
  int n = 0;
  for (const spec::ClaimVerdict& v : result.claims()) n += v.pass() ? 0 : 1;
  return n;
}

int ExperimentOutcome::Drifted() const {
  int n = 0;
  for (const ReferenceCheck& c : checks) n += c.ok ? 0 : 1;
  return n;
}

namespace {

std::string Duration(double seconds) {
  if (seconds < 0) return "unknown";
  if (seconds < 90) return absl::StrFormat("%.0f s", seconds);
  if (seconds < 5400) return absl::StrFormat("%.1f min", seconds / 60);
  return absl::StrFormat("%.1f h", seconds / 3600);
}

double Seconds(const spec::Provenance& p) {
  return std::max<double>(0, (p.end_time().seconds() - p.start_time().seconds()) +
                                 1e-9 * (p.end_time().nanos() - p.start_time().nanos()));
}

bool BadInput(const absl::Status& s) {
  return s.code() == absl::StatusCode::kInvalidArgument ||
         s.code() == absl::StatusCode::kNotFound ||
         s.code() == absl::StatusCode::kPermissionDenied ||
         s.code() == absl::StatusCode::kUnimplemented;
}

std::string Relative(const std::string& path, const std::string& root) {
  if (root.empty()) return path;
  std::error_code ec;
  const fs::path rel = fs::relative(path, root, ec);
  if (ec || rel.empty() || absl::StartsWith(rel.string(), "..")) return path;
  return rel.string();
}

std::vector<std::string> IncludedNames(const Planned& p) {
  std::vector<std::string> names;
  for (const spec::Experiment& part : p.includes) names.push_back(part.name());
  return names;
}

// Runs a network spec over its reference_seeds (into <out>.reference_seeds/,
// beside its own output) for the reference; null when it has none.
absl::StatusOr<std::unique_ptr<spec::Result>> RunReferenceSeeds(const Planned& p,
                                                                 const ReproduceOptions& o,
                                                                 const std::string& out_dir,
                                                                 std::FILE* log) {
  if (p.experiment.reference_seeds().empty() || p.experiment.engine().has_composite()) {
    return std::unique_ptr<spec::Result>();
  }
  RunRequest request;
  request.spec_path = p.path;
  request.options = o.run;
  request.options.plot = false;
  request.options.progress = false;
  request.options.resume = false;
  request.out_dir = out_dir + ".reference_seeds";
  request.seeds_override.assign(p.experiment.reference_seeds().begin(),
                                p.experiment.reference_seeds().end());
  std::fprintf(log, "  reference seeds: running %zu more seeds for the reference\n",
               request.seeds_override.size());
  std::fflush(log);
  absl::StatusOr<RunReport> report = RunSpec(request, AllEngines());
  if (!report.ok()) return report.status();
  return std::make_unique<spec::Result>(std::move(report->result));
}

absl::Status WriteReference(const Planned& p, const ReproduceOptions& o,
                            ExperimentOutcome* out, std::FILE* log) {
  ReferenceInputs in;
  in.result = &out->result;
  in.seeded_networks = TrainsNetworks(p.experiment, p.includes);
  in.spec_seeds = SeedsOf(p.experiment);
  in.included = IncludedNames(p);
  absl::StatusOr<std::unique_ptr<spec::Result>> extra =
      in.seeded_networks ? RunReferenceSeeds(p, o, out->out_dir, log)
                         : std::unique_ptr<spec::Result>();
  if (!extra.ok()) return extra.status();
  if (*extra != nullptr) {
    in.reference_seeds_result = extra->get();
    in.reference_seeds.assign(p.experiment.reference_seeds().begin(),
                              p.experiment.reference_seeds().end());
  }
  absl::StatusOr<Reference> ref = MakeReference(in);
  if (!ref.ok()) return ref.status();
  if (out->skipped || ref->provenance.wall_seconds == 0) {
    ref->provenance.wall_seconds = out->wall_seconds;
  }
  std::error_code ec;
  fs::create_directories(o.reference_dir, ec);
  if (absl::Status st = WriteFileAtomically(out->reference_path, ReferenceJson(*ref)); !st.ok()) {
    return st;
  }
  out->reference_written = true;
  std::fprintf(log, "  reference written: %s\n", out->reference_path.c_str());
  return absl::OkStatus();
}

// One line per reason a seeded reference leaves quantities out.
void PrintExcluded(const Reference& ref, std::FILE* log) {
  std::vector<std::string> reasons;
  std::map<std::string, std::vector<std::string>> names;
  for (const ExcludedQuantity& e : ref.excluded) {
    if (names[e.reason].empty()) reasons.push_back(e.reason);
    names[e.reason].push_back(e.name);
  }
  for (const std::string& reason : reasons) {
    const std::vector<std::string>& n = names[reason];
    std::fprintf(log, "  reference: %zu not compared (%s): %s%s\n", n.size(), reason.c_str(),
                 absl::StrJoin(n.begin(), n.begin() + std::min<size_t>(n.size(), 4), ", ").c_str(),
                 n.size() > 4 ? ", ..." : "");
  }
}

void CheckReference(const Planned& p, const ReproduceOptions& o, double alpha,
                    ExperimentOutcome* out, std::FILE* log) {
  out->reference_path = ReferencePath(o.reference_dir, p.name, o.run.tier);
  if (o.update_reference) {
    if (absl::Status st = WriteReference(p, o, out, log); !st.ok()) {
      out->error = st;
      return;
    }
  }
  std::string json;
  if (!ReadFile(out->reference_path, &json).ok()) {
    std::fprintf(log, "  reference: none stored at %s (--update_reference writes it)\n",
                 out->reference_path.c_str());
    return;
  }
  absl::StatusOr<Reference> ref = ParseReference(json, out->reference_path);
  if (!ref.ok()) {
    out->checks.push_back(
        {"file", 0, 0, 0, false, std::string(ref.status().message())});
  } else {
    out->checks = CompareWithReference(out->result, *ref, {SeedsOf(p.experiment), alpha});
    if (!o.update_reference) PrintExcluded(*ref, log);
  }
  out->has_reference = true;
  for (const ReferenceCheck& c : out->checks) {
    // Just written: the comparison is with itself; only a failure is news.
    if (o.update_reference && c.ok) continue;
    std::fprintf(log, "  %s\n", ReferenceLine(c).c_str());
  }
}

// The finished Result in `out_dir` when its stamp matches (and --rerun is
// not given), else null. With workers, worker 0 decides and hands the Result
// (or nothing) to the others through the store, so that they agree without
// a shared folder.
absl::StatusOr<std::unique_ptr<spec::Result>> ReusedResult(const std::string& out_dir,
                                                           const ReproduceOptions& o,
                                                           const std::string& stamp) {
  const std::string key =
      absl::StrCat("reproduce/", o.run.tier, "/", fs::path(out_dir).filename().string());
  if (o.workers != nullptr && o.workers->rank() != 0) {
    absl::StatusOr<std::string> bytes = o.workers->Fetch(key, 0);
    if (!bytes.ok()) return bytes.status();
    auto result = std::make_unique<spec::Result>();
    if (bytes->empty()) return std::unique_ptr<spec::Result>();
    if (!result->ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat("the reused Result of ", key, " arrived damaged"));
    }
    return result;
  }
  std::unique_ptr<spec::Result> reused;
  std::string old_stamp;
  if (!o.rerun && ReadFile(out_dir + "/reproduce.stamp", &old_stamp).ok() && old_stamp == stamp) {
    absl::StatusOr<spec::Result> r = ReadResult(out_dir + "/result.textproto");
    if (r.ok() && r->tier() == o.run.tier) reused = std::make_unique<spec::Result>(*std::move(r));
  }
  if (o.workers != nullptr) {
    if (absl::Status st = o.workers->Publish(key, reused ? reused->SerializeAsString() : "");
        !st.ok()) {
      return st;
    }
  }
  return reused;
}

// Runs one planned spec, or takes its finished output.
ExperimentOutcome RunOne(const Planned& p, const ReproduceOptions& o, const std::string& commit,
                         const std::map<std::string, spec::Result>& finished, std::FILE* log) {
  ExperimentOutcome out;
  out.name = p.name;
  out.spec_path = p.path;
  out.experiment = p.experiment;
  out.out_dir = absl::StrCat(o.out_root, "/", o.run.tier, "/", p.name);
  const std::string stamp_path = out.out_dir + "/reproduce.stamp";
  const std::string stamp = Stamp(o, commit, p.inputs_sha256);
  absl::StatusOr<std::unique_ptr<spec::Result>> reused = ReusedResult(out.out_dir, o, stamp);
  if (!reused.ok()) {
    out.error = reused.status();
    return out;
  }
  if (*reused != nullptr) {
    out.skipped = true;
    out.result = **std::move(reused);
    out.wall_seconds = Seconds(out.result.provenance());
    return out;
  }
  const bool writes = o.workers == nullptr || o.workers->rank() == 0;
  std::error_code ec;
  if (writes) fs::remove(stamp_path, ec);  // an interrupted rerun must not look finished
  RunRequest request;
  request.spec_path = p.path;
  request.options = o.run;
  request.out_dir = out.out_dir;
  request.finished = &finished;
  request.workers = o.workers;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<RunReport> report = RunSpec(request, AllEngines());
  out.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report.ok()) {
    out.error = report.status();
    return out;
  }
  out.result = std::move(report->result);
  if (absl::Status st = writes ? WriteFileAtomically(stamp_path, stamp) : absl::OkStatus();
      !st.ok()) {
    std::fprintf(log, "  warning: %s (the next run will redo this one)\n",
                 std::string(st.message()).c_str());
  }
  (void)log;
  return out;
}

// One experiment's section of the report.
ReportEntry EntryOf(const ExperimentOutcome& out, const ReproduceOptions& o,
                    const std::vector<Planned>& plan) {
  ReportEntry e;
  e.name = out.name;
  e.spec_path = Relative(out.spec_path, o.run.workspace_dir);
  e.out_dir = Relative(out.out_dir, o.run.workspace_dir);
  e.status = !out.error.ok()  ? absl::StrCat("error: ", out.error.message())
             : out.skipped    ? "skipped: the finished output matches the spec, commit and tier"
                              : "ran";
  e.experiment = &out.experiment;
  for (const Planned& p : plan) {
    if (p.name == out.name) e.includes = p.includes;
  }
  e.result = out.error.ok() ? &out.result : nullptr;
  const std::string png = out.out_dir + "/" + out.name + ".png";
  if (out.error.ok() && ReadFile(png, &e.figure_png).ok()) {
    std::error_code rel_ec;
    e.figure_path = fs::relative(png, o.report_dir, rel_ec).string();
    if (rel_ec) e.figure_path = png;
  }
  e.wall_seconds = out.wall_seconds;
  e.has_reference = out.has_reference;
  e.reference_path = Relative(out.reference_path, o.run.workspace_dir);
  e.checks = out.checks;
  return e;
}

// Claims-to-commands over every spec of the folder (validated by the plan),
// not only those run, each with the wall times its stored references state.
std::vector<ClaimCommand> AllClaimCommands(const ReproduceOptions& o) {
  std::vector<spec::Experiment> specs;
  std::error_code ec;
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(o.experiments_dir, ec)) {
    if (entry.path().extension() == ".textproto") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) {
    std::string text;
    if (!ReadFile(path, &text).ok()) continue;
    absl::StatusOr<spec::Experiment> e = ParseExperiment(text, path);
    if (e.ok()) specs.push_back(*std::move(e));
  }
  std::vector<ClaimCommand> claims = ClaimCommands(specs);
  for (ClaimCommand& c : claims) {
    for (const char* tier : {"smoke", "cpu", "paper"}) {
      std::string json;
      if (!ReadFile(ReferencePath(o.reference_dir, c.experiment, tier), &json).ok()) continue;
      absl::StatusOr<Reference> ref = ParseReference(json, c.experiment);
      if (!ref.ok()) continue;
      const double s = ref->provenance.wall_seconds;
      if (std::string(tier) == "smoke") c.stored_seconds_smoke = s;
      if (std::string(tier) == "cpu") c.stored_seconds_cpu = s;
      if (std::string(tier) == "paper") c.stored_seconds_paper = s;
    }
  }
  return claims;
}

// Writes index.html and report.md into the report folder, all or nothing.
absl::Status WriteReport(const ReproduceOptions& o, const ReproduceSummary& summary,
                         const std::vector<Planned>& plan, std::FILE* log) {
  std::vector<ReportEntry> entries;
  for (const ExperimentOutcome& out : summary.outcomes) entries.push_back(EntryOf(out, o, plan));
  std::sort(entries.begin(), entries.end(),
            [](const ReportEntry& a, const ReportEntry& b) { return a.name < b.name; });
  const std::vector<ClaimCommand> claims = AllClaimCommands(o);
  ReportHeader header;
  header.tier = o.run.tier;
  header.command_line = o.run.command_line;
  header.git_commit = summary.git_commit;
  header.generated = google::protobuf::util::TimeUtil::ToString(
      google::protobuf::util::TimeUtil::GetCurrentTime());
  header.wall_seconds = summary.wall_seconds;
  header.reference_rule = FalseAlarmStatement(summary);
  OutputBatch batch;
  batch.Add("index.html", ReportHtml(header, entries, claims));
  batch.Add("report.md", ReportMarkdown(header, entries, claims));
  if (absl::Status st = EnsureWritableDirectory(o.report_dir); !st.ok()) return st;
  if (absl::Status st = batch.Commit(o.report_dir); !st.ok()) return st;
  std::fprintf(log, "report: %s/index.html and report.md\n", o.report_dir.c_str());
  return absl::OkStatus();
}

}  // namespace

std::string FalseAlarmStatement(const ReproduceSummary& s) {
  if (s.reference_tests == 0) {
    return "References: deterministic runs are compared to rounding (1e-9 relative); no "
           "seeded reference is stored for this tier.";
  }
  return absl::StrFormat(
      "References: deterministic runs to rounding (1e-9 relative); seeded network runs by %d "
      "two-sample tests (one per per-seed quantity, over this tier's stored references), each "
      "a DRIFT at p < %.0f%% / %d = %.2g, so the chance of any false DRIFT in the tier is at "
      "most %.0f%% (Bonferroni, under a normal model on each quantity's stated scale); the "
      "first loss, gradient norm and curvature measurements of each seed within the relative "
      "tolerances each reference states.",
      s.reference_tests, 100 * kFamilyFalseAlarm, s.reference_tests, s.alpha_per_test,
      100 * kFamilyFalseAlarm);
}

absl::StatusOr<bool> HasNetworks(const spec::Experiment& e, const std::string& spec_path,
                                 const std::string& tier) {
  if (e.engine().has_network()) return true;
  absl::StatusOr<std::vector<spec::Experiment>> includes =
      LoadIncludes(e, spec_path, tier, nullptr);
  if (!includes.ok()) return includes.status();
  return TrainsNetworks(e, *includes);
}

namespace {

// The time left by the stored timings of the experiments not yet run.
class Eta {
 public:
  explicit Eta(const std::vector<Planned>& plan) {
    for (const Planned& p : plan) {
      if (p.stored_seconds >= 0) known_left_ += p.stored_seconds;
      else ++unknown_left_;
    }
  }

  // "ETA ... for this and the rest", saying how many have no stored timing.
  std::string Line() const {
    std::string eta = absl::StrCat("ETA ", Duration(known_left_), " for this and the rest");
    if (unknown_left_ == 0) return eta;
    return known_left_ > 0
               ? absl::StrCat(eta, " plus ", unknown_left_, " without a stored timing")
               : absl::StrCat("no stored timing for ", unknown_left_, " of the rest");
  }

  void Done(const Planned& p) {
    if (p.stored_seconds >= 0) known_left_ = std::max(0.0, known_left_ - p.stored_seconds);
    else --unknown_left_;
  }

 private:
  double known_left_ = 0;
  int unknown_left_ = 0;
};

// Compares a finished run with its reference, prints its summary line and
// adds it to the tier's counts.
void Account(int i, int n, const Planned& p, const ReproduceOptions& o, ExperimentOutcome* out,
             ReproduceSummary* summary, std::FILE* log) {
  const std::string place = absl::StrFormat("[%d/%d] %s", i + 1, n, p.name);
  if (!out->error.ok()) {
    std::fprintf(log, "%s: error: %s\n", place.c_str(),
                 std::string(out->error.message()).c_str());
    ++summary->errors;
    summary->bad_input = summary->bad_input || BadInput(out->error);
    return;
  }
  CheckReference(p, o, summary->alpha_per_test, out, log);
  std::fprintf(log, "%s: %s in %s: claims %d passed, %d failed; reference %s\n", place.c_str(),
               out->skipped ? "finished output reused" : "ran",
               Duration(out->wall_seconds).c_str(),
               out->result.claims_size() - out->ClaimsFailed(), out->ClaimsFailed(),
               out->has_reference
                   ? absl::StrFormat("%d OK, %d DRIFT", out->checks.size() - out->Drifted(),
                                     out->Drifted())
                         .c_str()
                   : "none stored");
  if (!out->error.ok()) ++summary->errors;  // writing the reference failed
  summary->claims_failed += out->ClaimsFailed();
  summary->drifted += out->Drifted();
}

// The closing lines: each failed claim, drifted quantity and error by name,
// then the tier's totals and its false-alarm bound.
void PrintClosing(const ReproduceOptions& o, const ReproduceSummary& summary, std::FILE* log) {
  for (const ExperimentOutcome& out : summary.outcomes) {
    for (const spec::ClaimVerdict& v : out.result.claims()) {
      if (!v.pass()) std::fprintf(log, "FAILED %s: %s\n", out.name.c_str(), ClaimLine(v).c_str());
    }
    for (const ReferenceCheck& c : out.checks) {
      if (!c.ok) std::fprintf(log, "DRIFT %s: %s\n", out.name.c_str(), ReferenceLine(c).c_str());
    }
    if (!out.error.ok()) {
      std::fprintf(log, "ERROR %s: %s\n", out.name.c_str(),
                   std::string(out.error.message()).c_str());
    }
  }
  std::fprintf(log, "reproduce (%s tier): %zu experiments in %s; %d claims failed, %d references "
               "drifted, %d errors\n",
               o.run.tier.c_str(), summary.outcomes.size(), Duration(summary.wall_seconds).c_str(),
               summary.claims_failed, summary.drifted, summary.errors);
  std::fprintf(log, "%s\n", FalseAlarmStatement(summary).c_str());
}

}  // namespace

absl::StatusOr<ReproduceSummary> Reproduce(const ReproduceOptions& o, std::FILE* log) {
  if (o.run.tier != "smoke" && o.run.tier != "cpu" && o.run.tier != "paper") {
    return absl::InvalidArgumentError(
        absl::StrCat("--tier must be smoke, cpu or paper, got '", o.run.tier, "'"));
  }
  if (o.workers != nullptr && o.update_reference) {
    return absl::InvalidArgumentError(
        "--update_reference runs on one worker (its reference seeds and references are written "
        "by one process); run it without torchrun or Slurm");
  }
  absl::StatusOr<std::vector<Planned>> plan = Plan(o);
  if (!plan.ok()) return plan.status();
  // Worker 0 leads: it compares with the references and writes the report.
  const bool lead = o.workers == nullptr || o.workers->rank() == 0;
  ReproduceSummary summary;
  summary.git_commit = CodeVersion(o.run.workspace_dir, o.run.threads);
  summary.reference_tests = TierTestCount(o.reference_dir, o.run.tier);
  summary.alpha_per_test = kFamilyFalseAlarm / std::max(1, summary.reference_tests);
  const auto start = std::chrono::steady_clock::now();
  Eta eta(*plan);
  const int n = plan->size();
  std::map<std::string, spec::Result> finished;  // reused by specs that include them
  for (int i = 0; i < n; ++i) {
    const Planned& p = (*plan)[i];
    std::fprintf(log, "[%d/%d] %s (%s tier): expected %s; %s\n", i + 1, n, p.name.c_str(),
                 o.run.tier.c_str(), Duration(p.stored_seconds).c_str(), eta.Line().c_str());
    std::fflush(log);
    ExperimentOutcome out = RunOne(p, o, summary.git_commit, finished, log);
    eta.Done(p);
    const bool has_result = out.error.ok();  // a reference write may fail below
    if (lead) {
      Account(i, n, p, o, &out, &summary, log);
    } else if (!has_result) {
      ++summary.errors;
      std::fprintf(log, "ERROR %s: %s\n", p.name.c_str(), std::string(out.error.message()).c_str());
    }
    if (has_result) finished[out.name] = out.result;
    std::fflush(log);
    summary.outcomes.push_back(std::move(out));
  }
  summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!lead) return summary;
  PrintClosing(o, summary, log);
  if (!o.report_dir.empty()) {
    // A report that cannot be written is an error of the run (exit status 3).
    if (absl::Status st = WriteReport(o, summary, *plan, log); !st.ok()) {
      std::fprintf(log, "ERROR report: %s\n", std::string(st.message()).c_str());
      ++summary.errors;
    }
  }
  return summary;
}

int ExitStatus(const ReproduceSummary& s) {
  if (s.errors > 0) return s.bad_input ? 2 : 3;
  return s.claims_failed > 0 || s.drifted > 0 ? 1 : 0;
}

}  // namespace warmup
