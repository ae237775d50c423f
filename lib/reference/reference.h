#ifndef WARMUP_LIB_REFERENCE_REFERENCE_H_
#define WARMUP_LIB_REFERENCE_REFERENCE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/result.pb.h"

namespace warmup {

// A stored reference result: what a run of one spec at one tier produced,
// small enough to commit (experiments/reference/<name>.<tier>.json), and the
// rule a fresh run is compared under. Two kinds (docs/reproducibility.md):
//
// Deterministic (synthetic engines: the same spec gives the same numbers on
// every machine up to floating-point rounding): every claim value, scalar and
// recorded series point, compared as |fresh - stored| <= 1e-9 |stored| +
// 1e-12.
//
// Seeded networks (LibTorch: kernels differ by CPU, training amplifies their
// rounding, and after some steps a run on another machine is a new draw from
// the same distribution): per-seed values over the spec's seeds and its
// reference_seeds, and a fresh run's values over the spec's seeds are
// compared by a pooled two-sample t test (on the log scale for quantities
// that are positive in every reference seed) at a per-quantity level of
// alpha / K, K the number of such tests in all of the tier's references, so
// that the chance of any false DRIFT in the tier is at most alpha = 1%
// (Bonferroni). What any machine reproduces to rounding (the first loss,
// gradient norm and curvature measurement of each seed) is compared per seed
// within a stated relative tolerance. Quantities computed from all seeds at
// once (pooled fits, correlations, seed means, paired bounds, a tuning
// stage's grid) are left out, each with its reason; their claims still run.

// A claim value, scalar or point of a deterministic reference.
struct ReferenceValue {
  std::string name;
  double value = 0;
  double tolerance = 0;  // absolute
};

// A recorded curve of a deterministic reference, reduced to about 100 points.
struct ReferenceSeries {
  std::string run;
  std::string metric;
  std::string x_name;
  int64_t recorded_points = 0;  // before subsampling
  std::vector<double> x, y;
};

// A quantity of seeded runs with one value per seed.
struct SampleQuantity {
  std::string name;
  bool log_scale = false;  // positive in every reference seed: tested on log
  std::vector<double> values;  // per seed of Reference::seeds
};

// A quantity any machine reproduces to rounding, compared seed by seed.
struct TightQuantity {
  std::string name;
  double relative_tolerance = 0;
  std::vector<double> values;  // per seed of Reference::spec_seeds
};

// A quantity a seeded reference does not compare, and why.
struct ExcludedQuantity {
  std::string name;
  std::string reason;
};

struct ReferenceProvenance {
  std::string git_commit;
  std::string spec_sha256;
  std::string device;
  std::string kernels;  // the instruction sets oneDNN, MKL and ATen dispatched to
  std::string command_line;
  int threads = 0;
  std::string start_time;  // RFC 3339
  std::string end_time;
  double wall_seconds = 0;  // of the spec's own run (not the reference seeds')
};

struct Reference {
  std::string experiment;
  std::string tier;
  bool seeded_networks = false;  // which kind
  std::string rule;              // the rule in words
  ReferenceProvenance provenance;
  // Claims as the spec's own run gave them (a seeded reference keeps them
  // for the report; it compares their inputs, not their values).
  std::vector<ReferenceValue> claims;
  std::map<std::string, bool> claim_pass;
  // Deterministic references.
  std::vector<ReferenceValue> scalars;
  std::vector<ReferenceSeries> series;
  // Seeded references.
  std::vector<int64_t> spec_seeds;  // what a fresh run has
  std::vector<int64_t> seeds;       // spec_seeds, then the reference seeds
  std::vector<SampleQuantity> samples;
  std::vector<TightQuantity> tight;
  std::vector<ExcludedQuantity> excluded;
  // Tuned baselines: label -> the winner ("rate 0.0125, warmup_steps 5").
  std::map<std::string, std::string> winners;
};

// The suite's chance of any false DRIFT among a tier's seeded references.
constexpr double kFamilyFalseAlarm = 0.01;

// The deterministic rule's tolerance for a stored value: 1e-9 |v| + 1e-12
// (0 for a non-finite value, which must be matched exactly).
double DeterministicTolerance(double v);

// What a reference is made from: the spec's own run, and for seeded networks
// optionally a second run of the same spec over its reference seeds (null:
// none; the samples then hold the spec's seeds alone). `spec_seeds` and
// `reference_seeds` name the seeds of each run, in order; `included` lists
// the specs a composite includes (their quantities are compared in their
// own references).
struct ReferenceInputs {
  const spec::Result* result = nullptr;
  bool seeded_networks = false;
  std::vector<int64_t> spec_seeds;
  const spec::Result* reference_seeds_result = nullptr;
  std::vector<int64_t> reference_seeds;
  std::vector<std::string> included;
};

// Reduces runs to their reference. InvalidArgument when the reference-seed
// run does not have the spec run's quantities or tuning winners (the tuning
// stage must be deterministic on one machine).
absl::StatusOr<Reference> MakeReference(const ReferenceInputs& inputs);

// The reference as JSON: fixed key order, one quantity or point per line and
// numbers with 12 significant digits, so that a diff shows what moved.
std::string ReferenceJson(const Reference& reference);

// Parses ReferenceJson's output. InvalidArgument naming `path` and the field
// when the text is not a reference (of this format).
absl::StatusOr<Reference> ParseReference(const std::string& json, const std::string& path);

// One compared quantity.
struct ReferenceCheck {
  std::string quantity;  // "scalar <name>", "claim <id>", "series <run>/<metric>",
                         // "sample <name>", "first <name> seed <k>", "winner <label>"
  double value = 0;      // fresh (a sample: its mean on the raw scale)
  double stored = 0;
  double tolerance = 0;  // absolute; a sample: the largest difference of means that passes
  bool ok = true;
  std::string note;  // where, how many seeds, the p-value, or why
};

// How a fresh Result is compared: the seeds it ran (seeded references) and
// the per-quantity level of the two-sample tests.
struct CompareOptions {
  std::vector<int64_t> fresh_seeds;
  double alpha_per_test = kFamilyFalseAlarm;
};

// Compares a fresh Result with a stored reference. Deterministic: every
// stored claim, scalar and series point. Seeded: every sample quantity (a
// missing one drifts), every rounding-level quantity seed by seed, and every
// tuning winner; the samples of a baseline whose winner moved are then not
// compared (a note says so: the winner of a grid is a statistic that jumps).
std::vector<ReferenceCheck> CompareWithReference(const spec::Result& fresh,
                                                 const Reference& reference,
                                                 const CompareOptions& options);

// "reference <quantity>: <value> vs <stored> (<note>) OK|DRIFT".
std::string ReferenceLine(const ReferenceCheck& check);

// The number of two-sample tests a reference contributes to its tier's
// Bonferroni count.
inline int TestCount(const Reference& r) { return static_cast<int>(r.samples.size()); }

}  // namespace warmup

#endif  // WARMUP_LIB_REFERENCE_REFERENCE_H_
