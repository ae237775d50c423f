#ifndef WARMUP_LIB_REFERENCE_REFERENCE_H_
#define WARMUP_LIB_REFERENCE_REFERENCE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/result.pb.h"

namespace warmup {

// A stored reference result: what a run of one spec at one tier produced,
// small enough to commit (experiments/reference/<name>.<tier>.json), with the
// tolerance each quantity is compared under.
//
// Tolerance rules (the reference file states the one it was built under):
//   deterministic (synthetic engines: same spec and seeds give the same
//   numbers up to floating-point rounding):
//       |fresh - stored| <= 1e-9 |stored| + 1e-12;
//   seeded networks (the spread between seeds dominates any difference of
//   threads, machine or kernels):
//       |fresh - stored| <= max(4 sd, 5% |stored|, 1e-9), sd = the sample
//       standard deviation of the quantity over the run's seeds (per step for
//       a series); a quantity with no per-seed values (a pooled fit) gets
//       max(25% |stored|, 1e-9).
struct ReferenceValue {
  std::string name;
  double value = 0;
  double tolerance = 0;  // absolute
  int seeds = 1;         // seeds the tolerance was measured over
};

// A recorded curve reduced to about 100 points (1,500 over all series, at
// least 25 each): for a seeded network run the
// mean over seeds at each x, with the tolerance of each point.
struct ReferenceSeries {
  std::string run;  // schedule label (seeds merged) or run name
  std::string metric;
  std::string x_name;
  int64_t recorded_points = 0;  // before subsampling
  int seeds = 1;
  std::vector<double> x, y, tolerance;
};

struct ReferenceProvenance {
  std::string git_commit;
  std::string spec_sha256;
  std::string device;
  std::string command_line;
  int threads = 0;
  std::string start_time;  // RFC 3339
  std::string end_time;
  double wall_seconds = 0;
};

struct Reference {
  std::string experiment;
  std::string tier;
  bool seeded_networks = false;  // which tolerance rule applies
  std::string rule;              // the rule in words
  ReferenceProvenance provenance;
  std::vector<ReferenceValue> claims;  // name = claim id
  std::map<std::string, bool> claim_pass;
  std::vector<ReferenceValue> scalars;
  std::vector<ReferenceSeries> series;
};

// How a claim's value is computed from scalars, for propagating tolerances:
// metric (/ divided_by) (- minus), names as in the Result.
struct ClaimOperands {
  std::string metric, divided_by, minus;
};

// Reduces a Result to its reference. `seeded_networks` selects the tolerance
// rule; `claims` (by claim id as in the Result) lets claim values inherit
// their operands' tolerances (missing ids: the rule's default).
Reference MakeReference(const spec::Result& result, bool seeded_networks,
                        const std::map<std::string, ClaimOperands>& claims);

// The reference as JSON: fixed key order, one quantity or point per line and
// numbers with 12 significant digits, so that a diff shows what moved.
std::string ReferenceJson(const Reference& reference);

// Parses ReferenceJson's output. InvalidArgument naming `path` and the field
// when the text is not a reference.
absl::StatusOr<Reference> ParseReference(const std::string& json,
                                         const std::string& path);

// One compared quantity.
struct ReferenceCheck {
  std::string quantity;  // "scalar <name>", "claim <id>", "series <run>/<metric>"
  double value = 0;      // fresh (for a series: at the worst point)
  double stored = 0;
  double tolerance = 0;
  bool ok = true;
  std::string note;  // where (series: "at step 120"), or why (missing)
};

// Compares a fresh Result with a stored reference: every stored claim value,
// scalar and series point must be present and within its tolerance. A stored
// series point is matched to the fresh point with the same x.
std::vector<ReferenceCheck> CompareWithReference(
    const spec::Result& fresh, const Reference& reference,
    const std::map<std::string, ClaimOperands>& claims);

// "reference <quantity>: <value> vs <stored> (tolerance <t>[, note]) OK|DRIFT".
std::string ReferenceLine(const ReferenceCheck& check);

}  // namespace warmup

#endif  // WARMUP_LIB_REFERENCE_REFERENCE_H_
