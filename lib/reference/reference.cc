#include "lib/reference/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "lib/reference/seed_values.h"
#include "lib/stats/stats.h"

namespace warmup {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Deterministic series keep about this many points, evenly spaced in index,
// fewer when there are many series (a reference stays under ~50 KiB), never
// fewer than kMinSeriesPoints.
constexpr int kSeriesPoints = 100;
constexpr int kReferencePoints = 1500;
constexpr int kMinSeriesPoints = 25;
// Deterministic rule: |fresh - stored| <= kRelative |stored| + kAbsolute.
constexpr double kRelative = 1e-9;
constexpr double kAbsolute = 1e-12;
// A seeded curve is compared at this many of its recorded steps, evenly
// spaced in index after the first (the first step is a rounding-level
// quantity): more would add tests (and so tighten every test's level)
// without adding much, neighbouring steps of a run being strongly
// correlated.
constexpr int kCheckpointsPerCurve = 6;
// Rounding-level quantities: |fresh - stored| <= tolerance |stored| seed by
// seed, each tolerance about ten times the largest difference measured
// between oneDNN's AVX2 and AVX-512 kernels, 1 and 2 threads, and an Intel
// and an AMD CPU, on the smoke and cpu runs of every network spec
// (docs/reproducibility.md): the first loss moved by at most 4.5e-6, the
// first gradient norm by 2.9e-3 (both Figure 3's cpu tier, AVX2 and two
// threads: batch norm over 16 images divides by small variances), the first
// Hessian-vector product by 4.6e-3 and the first Lanczos estimate by 1.1e-3
// (threads change the reduction order of batch-norm statistics and of
// oneDNN's kernels; Lanczos may stop one step apart, hence 27 times).
// Between seeds they differ by 0.5% to 65%.
double TightTolerance(const std::string& name) {
  if (absl::EndsWith(name, ".initial_loss")) return 5e-5;
  if (absl::EndsWith(name, ".initial_grad_norm")) return 3e-2;
  if (absl::EndsWith(name, ".initial_hvp_norm")) return 5e-2;
  return 3e-2;  // initial_smoothness
}

const char kDeterministicRule[] =
    "deterministic run: |fresh - stored| <= 1e-9 |stored| + 1e-12 for every claim value, "
    "scalar and recorded point";
const char kSeededRule[] =
    "seeded network runs: each per-seed quantity of a fresh run (the spec's seeds) against "
    "the same quantity over the reference seeds, by a pooled two-sample t test (log scale "
    "where every reference value is positive), DRIFT when p < 1% / K, K = the two-sample "
    "tests in all of this tier's references (Bonferroni: any false DRIFT in the tier has "
    "chance <= 1%); the first loss, gradient norm and curvature measurements of each seed "
    "within their stated relative tolerances; tuning winners exactly (a moved winner is reported, and its "
    "baseline's runs are then not compared); quantities computed from all seeds at once "
    "are listed with the reason they are not compared";

std::string Timestamp(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return google::protobuf::util::TimeUtil::ToString(t);
}

ReferenceProvenance ProvenanceOf(const spec::Provenance& p) {
  ReferenceProvenance r;
  r.git_commit = p.git_commit();
  r.spec_sha256 = p.spec_sha256();
  r.device = p.device();
  r.kernels = p.kernels();
  r.command_line = p.command_line();
  r.threads = p.threads();
  r.start_time = Timestamp(p.start_time());
  r.end_time = Timestamp(p.end_time());
  r.wall_seconds =
      std::max<double>(0, (p.end_time().seconds() - p.start_time().seconds()) +
                              1e-9 * (p.end_time().nanos() - p.start_time().nanos()));
  return r;
}

// ------------------------------------------------------------ deterministic

ReferenceSeries Subsample(const spec::Series& s, int keep) {
  ReferenceSeries r{s.run(), s.metric(), s.x_name(), 0, {}, {}};
  const int n = std::min(s.x_size(), s.y_size());
  r.recorded_points = n;
  for (int k = 0; k < std::min(n, keep); ++k) {
    const int i = n <= keep ? k : static_cast<int>(std::lround(k * (n - 1.0) / (keep - 1)));
    r.x.push_back(s.x(i));
    r.y.push_back(s.y(i));
  }
  return r;
}

void MakeDeterministic(const spec::Result& result, Reference* r) {
  for (const spec::Scalar& s : result.scalars()) {
    r->scalars.push_back({s.name(), s.value(), DeterministicTolerance(s.value())});
  }
  const int keep = std::clamp<int>(kReferencePoints / std::max(1, result.series_size()),
                                   kMinSeriesPoints, kSeriesPoints);
  for (const spec::Series& s : result.series()) r->series.push_back(Subsample(s, keep));
}

bool Within(double fresh, double stored, double tolerance) {
  if (!std::isfinite(stored) || !std::isfinite(fresh)) {
    return std::isnan(stored) ? std::isnan(fresh) : fresh == stored;
  }
  return std::abs(fresh - stored) <= tolerance;
}

void CompareValues(const char* kind, const std::vector<ReferenceValue>& stored,
                   const std::map<std::string, double>& fresh, std::vector<ReferenceCheck>* out) {
  for (const ReferenceValue& s : stored) {
    ReferenceCheck c{absl::StrCat(kind, " ", s.name), kNaN, s.value, s.tolerance, false, ""};
    auto it = fresh.find(s.name);
    if (it == fresh.end()) {
      c.note = "missing from the fresh run";
    } else {
      c.value = it->second;
      c.ok = Within(c.value, s.value, s.tolerance);
    }
    out->push_back(c);
  }
}

ReferenceCheck CompareSeries(const ReferenceSeries& stored, const spec::Series* fresh) {
  ReferenceCheck c{absl::StrCat("series ", stored.run, "/", stored.metric), kNaN, 0, 0, true, ""};
  if (fresh == nullptr) {
    c.ok = false;
    c.note = "missing from the fresh run";
    return c;
  }
  const int n = std::min(fresh->x_size(), fresh->y_size());
  double worst = -1;
  for (size_t k = 0; k < stored.x.size(); ++k) {
    const double x = stored.x[k], slack = 1e-9 * std::max(1.0, std::abs(x));
    const auto begin = fresh->x().begin(), end = fresh->x().begin() + n;
    const auto it = std::lower_bound(begin, end, x - slack);
    const double tol = DeterministicTolerance(stored.y[k]);
    if (it == end || std::abs(*it - x) > slack) {
      c = {c.quantity, kNaN, stored.y[k], tol, false,
           absl::StrFormat("no point at %s %.12g (fresh run records %d points)",
                           stored.x_name, x, n)};
      return c;
    }
    const double y = fresh->y(static_cast<int>(it - begin));
    const bool ok = Within(y, stored.y[k], tol);
    const double excess = ok ? std::abs(y - stored.y[k]) / std::max(tol, 1e-300) : 1e300;
    if (excess > worst) {
      worst = excess;
      c.value = y;
      c.stored = stored.y[k];
      c.tolerance = tol;
      c.ok = ok;
      c.note = absl::StrFormat("worst of %d points, at %s %.12g", stored.x.size(),
                               stored.x_name, x);
    }
  }
  if (n != stored.recorded_points) {
    c.ok = false;
    absl::StrAppendFormat(&c.note, "; %d points recorded, stored %d", n, stored.recorded_points);
  }
  return c;
}

std::vector<ReferenceCheck> CompareDeterministic(const spec::Result& fresh,
                                                 const Reference& reference) {
  std::vector<ReferenceCheck> out;
  std::map<std::string, double> claims, scalars;
  for (const spec::ClaimVerdict& v : fresh.claims()) claims[v.id()] = v.value();
  for (const spec::Scalar& s : fresh.scalars()) scalars[s.name()] = s.value();
  CompareValues("claim", reference.claims, claims, &out);
  CompareValues("scalar", reference.scalars, scalars, &out);
  for (const ReferenceSeries& s : reference.series) {
    const spec::Series* match = nullptr;
    for (const spec::Series& f : fresh.series()) {
      if (f.run() == s.run && f.metric() == s.metric && f.x_name() == s.x_name) match = &f;
    }
    out.push_back(CompareSeries(s, match));
  }
  return out;
}

}  // namespace

double DeterministicTolerance(double v) {
  return std::isfinite(v) ? kRelative * std::abs(v) + kAbsolute : 0.0;
}

// ------------------------------------------------------------------ seeded

namespace {

// The names of a curve's checkpoints: kCheckpointsPerCurve of its steps,
// evenly spaced in index after the first, the last included.
std::set<std::string> Checkpoints(const SeedValues& values) {
  std::set<std::string> keep;
  for (const auto& [curve, xs] : values.series_x) {
    const int n = static_cast<int>(xs.size());
    const int k = std::min(kCheckpointsPerCurve, n - 1);
    for (int i = 1; i <= k; ++i) {
      const int index = static_cast<int>(std::lround(i * (n - 1.0) / k));
      keep.insert(absl::StrCat(curve, "=", absl::StrFormat("%.12g", xs[index])));
    }
  }
  return keep;
}

bool IsCheckpoint(const std::string& name) { return absl::StrContains(name, "@step="); }

// The values of `name` for `seeds`, in order; false when a seed lacks it.
bool ValuesFor(const std::map<int64_t, double>& by_seed, const std::vector<int64_t>& seeds,
               std::vector<double>* out) {
  for (int64_t seed : seeds) {
    auto it = by_seed.find(seed);
    if (it == by_seed.end()) return false;
    out->push_back(it->second);
  }
  return true;
}

absl::Status MakeSeeded(const ReferenceInputs& in, Reference* r) {
  const SeedValues own = ExtractSeedValues(*in.result, in.included);
  SeedValues extra;
  if (in.reference_seeds_result != nullptr) {
    extra = ExtractSeedValues(*in.reference_seeds_result, in.included);
    if (extra.winners != own.winners) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: the reference-seed run tuned its baselines to other winners than the spec's run "
          "(tuning must be deterministic on one machine)", r->experiment));
    }
  }
  r->spec_seeds = in.spec_seeds;
  r->seeds = in.spec_seeds;
  r->seeds.insert(r->seeds.end(), in.reference_seeds.begin(), in.reference_seeds.end());
  r->winners = own.winners;
  const std::set<std::string> checkpoints = Checkpoints(own);
  for (const auto& [name, by_seed] : own.samples) {
    if (IsCheckpoint(name) && checkpoints.count(name) == 0) continue;
    SampleQuantity q{name, true, {}};
    bool complete = ValuesFor(by_seed, in.spec_seeds, &q.values);
    if (in.reference_seeds_result != nullptr) {
      auto it = extra.samples.find(name);
      complete = complete && it != extra.samples.end() &&
                 ValuesFor(it->second, in.reference_seeds, &q.values);
    }
    bool finite = true;
    for (double v : q.values) {
      finite = finite && std::isfinite(v);
      q.log_scale = q.log_scale && v > 0;
    }
    if (!complete || !finite) {
      r->excluded.push_back(
          {name, !complete ? "not recorded for every seed"
                           : "a reference seed has no finite value (diverged): compared "
                             "through the seeds' 'diverged' flags"});
      continue;
    }
    r->samples.push_back(std::move(q));
  }
  for (const auto& [name, by_seed] : own.tight) {
    TightQuantity q{name, TightTolerance(name), {}};
    if (ValuesFor(by_seed, in.spec_seeds, &q.values)) r->tight.push_back(std::move(q));
  }
  for (const auto& [name, reason] : own.excluded) r->excluded.push_back({name, reason});
  return absl::OkStatus();
}

// The label a sample belongs to: "<label>.<q>", "<label>/<curve>", or both
// labels of "paired <a> - <b>.<q>".
bool BelongsTo(const std::string& sample, const std::string& label) {
  if (absl::StartsWith(sample, "paired ")) {
    return absl::StrContains(sample, " " + label + " ") ||
           absl::StrContains(sample, " " + label + ".");
  }
  return absl::StartsWith(sample, label + ".") || absl::StartsWith(sample, label + "/");
}

ReferenceCheck CompareSample(const SampleQuantity& stored, const std::vector<double>& fresh,
                             size_t reference_seeds, double alpha) {
  ReferenceCheck c{absl::StrCat("sample ", stored.name), kNaN, kNaN, kNaN, false, ""};
  std::vector<double> x = fresh, y = stored.values;
  const bool positive = std::all_of(x.begin(), x.end(), [](double v) { return v > 0; });
  if (stored.log_scale && !positive) {
    c.value = Mean(fresh);
    c.note = "a fresh value is not positive where every reference value is";
    return c;
  }
  if (stored.log_scale) {
    for (double& v : x) v = std::log(v);
    for (double& v : y) v = std::log(v);
  }
  double largest = 0;
  for (double v : y) largest = std::max(largest, std::abs(v));
  // Values that agree to rounding: a floor on the sd keeps them from a
  // spurious infinite t when every seed gives the same number.
  const TwoSampleTest test = PooledTwoSampleT(x, y, kRelative * largest + kAbsolute);
  const double back = stored.log_scale ? 1.0 : 0.0;  // geometric means on the log scale
  c.value = back ? std::exp(Mean(x)) : Mean(x);
  c.stored = back ? std::exp(Mean(y)) : Mean(y);
  c.tolerance = StudentTQuantile(1 - alpha / 2, test.dof) * test.pooled_sd *
                std::sqrt(1.0 / x.size() + 1.0 / y.size());
  c.ok = test.p_two_sided >= alpha;
  c.note = absl::StrFormat("%d vs %d seeds, %s, p = %.2g, drift below %.2g", x.size(),
                           reference_seeds, stored.log_scale ? "log scale" : "linear scale",
                           test.p_two_sided, alpha);
  return c;
}

ReferenceCheck CompareTight(const TightQuantity& stored, const std::map<int64_t, double>& fresh,
                            const std::vector<int64_t>& seeds) {
  ReferenceCheck c{absl::StrCat("first ", stored.name), kNaN, kNaN, 0, true, ""};
  double worst = -1;
  for (size_t k = 0; k < seeds.size() && k < stored.values.size(); ++k) {
    auto it = fresh.find(seeds[k]);
    const double ref = stored.values[k];
    const double tol = stored.relative_tolerance * std::abs(ref) + kAbsolute;
    const double value = it == fresh.end() ? kNaN : it->second;
    const bool ok = Within(value, ref, tol);
    const double excess = ok ? std::abs(value - ref) / tol : 1e300;
    if (excess > worst) {
      worst = excess;
      c = {c.quantity, value, ref, tol, ok,
           absl::StrFormat("seed %d, worst of %d; %.2g relative allowed", seeds[k],
                           seeds.size(), stored.relative_tolerance)};
    }
  }
  return c;
}

std::vector<ReferenceCheck> CompareSeeded(const spec::Result& fresh_result, const Reference& r,
                                          const CompareOptions& o) {
  std::vector<ReferenceCheck> out;
  const SeedValues fresh = ExtractSeedValues(fresh_result, {});
  std::vector<std::string> moved;
  for (const auto& [label, winner] : r.winners) {
    auto it = fresh.winners.find(label);
    const std::string now = it == fresh.winners.end() ? "none" : it->second;
    ReferenceCheck c{absl::StrCat("winner ", label), kNaN, kNaN, 0, true, ""};
    c.note = now == winner ? winner
                           : absl::StrCat("moved: ", now, " (stored ", winner,
                                          "); a grid's winner jumps under rounding-level "
                                          "changes, so this baseline's runs are not compared");
    if (now != winner) moved.push_back(label);
    out.push_back(c);
  }
  for (const SampleQuantity& q : r.samples) {
    if (std::any_of(moved.begin(), moved.end(),
                    [&](const std::string& label) { return BelongsTo(q.name, label); })) {
      continue;
    }
    std::vector<double> values;
    auto it = fresh.samples.find(q.name);
    if (it == fresh.samples.end() || !ValuesFor(it->second, o.fresh_seeds, &values)) {
      out.push_back({absl::StrCat("sample ", q.name), kNaN, Mean(q.values), 0, false,
                     "missing from the fresh run (or for one of its seeds)"});
      continue;
    }
    out.push_back(CompareSample(q, values, r.seeds.size(), o.alpha_per_test));
  }
  for (const TightQuantity& q : r.tight) {
    auto it = fresh.tight.find(q.name);
    out.push_back(CompareTight(q, it == fresh.tight.end() ? std::map<int64_t, double>{}
                                                          : it->second,
                               r.spec_seeds));
  }
  return out;
}

}  // namespace

absl::StatusOr<Reference> MakeReference(const ReferenceInputs& in) {
  Reference r;
  r.experiment = in.result->experiment();
  r.tier = in.result->tier();
  r.seeded_networks = in.seeded_networks;
  r.rule = in.seeded_networks ? kSeededRule : kDeterministicRule;
  r.provenance = ProvenanceOf(in.result->provenance());
  for (const spec::ClaimVerdict& v : in.result->claims()) {
    r.claims.push_back({v.id(), v.value(), DeterministicTolerance(v.value())});
    r.claim_pass[v.id()] = v.pass();
  }
  if (!in.seeded_networks) {
    MakeDeterministic(*in.result, &r);
    return r;
  }
  if (absl::Status st = MakeSeeded(in, &r); !st.ok()) return st;
  return r;
}

std::vector<ReferenceCheck> CompareWithReference(const spec::Result& fresh,
                                                 const Reference& reference,
                                                 const CompareOptions& options) {
  return reference.seeded_networks ? CompareSeeded(fresh, reference, options)
                                   : CompareDeterministic(fresh, reference);
}

std::string ReferenceLine(const ReferenceCheck& c) {
  if (absl::StartsWith(c.quantity, "winner ")) {
    return absl::StrFormat("reference %s: %s %s", c.quantity, c.note, c.ok ? "OK" : "DRIFT");
  }
  return absl::StrFormat("reference %s: %.6g vs %.6g (tolerance %.3g%s%s) %s", c.quantity,
                         c.value, c.stored, c.tolerance, c.note.empty() ? "" : "; ", c.note,
                         c.ok ? "OK" : "DRIFT");
}

}  // namespace warmup
