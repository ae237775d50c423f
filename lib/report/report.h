#ifndef WARMUP_LIB_REPORT_REPORT_H_
#define WARMUP_LIB_REPORT_REPORT_H_

#include <string>
#include <vector>

#include "lib/reference/reference.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// One experiment of the report.
struct ReportEntry {
  std::string name;
  std::string spec_path;  // as shown (relative to the workspace)
  std::string out_dir;
  std::string status;                       // "ran", "skipped: ...", "error: ..."
  const spec::Experiment* experiment = nullptr;  // tiered; claims' metadata
  // Included specs (tiered), for the metadata of their prefixed claims.
  std::vector<spec::Experiment> includes;
  const spec::Result* result = nullptr;     // null when the run failed
  std::string figure_png;                   // bytes; empty: no figure
  std::string figure_path;                  // relative to the report folder
  double wall_seconds = 0;
  bool has_reference = false;
  std::string reference_path;
  std::vector<ReferenceCheck> checks;
};

// What the whole reproduction was.
struct ReportHeader {
  std::string tier;
  std::string command_line;
  std::string git_commit;
  std::string generated;  // RFC 3339
  double wall_seconds = 0;
  // How the stored references are compared and the tier's chance of a false
  // DRIFT (one sentence); empty: not stated.
  std::string reference_rule;
};

// One claim of a spec and the commands that check it (from the specs, so the
// README can point at it and stay true).
struct ClaimCommand {
  std::string experiment;
  std::string claim_id;
  std::string kind;       // "scientific", "regression" or "sanity"
  std::string statement;  // "theory_warmup.steps_to_target / ... <= 0.1"
  std::string tiers;      // "all" or "smoke, cpu"
  std::string reproduce;  // bazel run //:reproduce -- --tier=... --only=...
  std::string test;       // the smoke test target, or "" when the smoke tier skips it
  double stored_seconds_smoke = -1, stored_seconds_cpu = -1, stored_seconds_paper = -1;
};

// Rows for every claim of the given (untiered) specs, in spec order.
std::vector<ClaimCommand> ClaimCommands(const std::vector<spec::Experiment>& specs);

// The report as one self-contained HTML page (figures as base64 PNG data
// URIs, no external resources) and as Markdown (figures referenced by their
// relative path under the run folders).
std::string ReportHtml(const ReportHeader& header, const std::vector<ReportEntry>& entries,
                       const std::vector<ClaimCommand>& claims);
std::string ReportMarkdown(const ReportHeader& header, const std::vector<ReportEntry>& entries,
                           const std::vector<ClaimCommand>& claims);

// Base64 (RFC 4648, with padding).
std::string Base64(const std::string& bytes);

}  // namespace warmup

#endif  // WARMUP_LIB_REPORT_REPORT_H_
