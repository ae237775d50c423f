#include "lib/reference/seed_values.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace warmup {
namespace {

constexpr char kSeedMean[] = "seed mean: its per-seed values are compared";
constexpr char kSeedSpread[] = "seed spread: its per-seed values are compared";
constexpr char kPaired[] =
    "bound or moment of a seed-paired difference over all seeds: the difference is compared "
    "seed by seed ('paired <a> - <b>.final_loss')";
constexpr char kTuning[] =
    "tuning stage (one grid on the tuning seeds): its winner is compared, and the baseline's "
    "runs when the winner is the same";
constexpr char kArgmin[] =
    "the profile's minimum jumps across its grid under rounding-level changes (0.1 on one CPU, "
    "1.85 on another): reported as fit_rho with its interval when rho is identified";
constexpr char kConfiguration[] = "configuration: how many seeds ran";
constexpr char kPooled[] =
    "computed from all seeds at once (the envelope fit, its correlation, intervals and "
    "fixed-rho envelopes): its inputs, each seed's loss and smoothness, are compared; its "
    "claims still run";
constexpr char kDisplay[] = "display smoothing of a compared curve";
constexpr char kDensity[] =
    "eigenvalue density at one measured step (a curve over eigenvalues, drawn): the trace and "
    "the curvature at the same steps are compared";
constexpr char kSpectrumEnds[] =
    "an end of the spectrum (Lanczos's largest or smallest eigenvalue): the larger in "
    "magnitude, the smoothness, is compared; each end alone is heavier-tailed than the "
    "two-sample test's model allows (calibration on the stored seeds)";
constexpr char kInterval[] = "interval of a compared estimate (the trace's 95% bounds)";
constexpr char kPooledSeries[] = "curve of the pooled fit: its inputs are compared";

bool IndexAxis(const std::string& x_name) { return x_name == "step" || x_name == "horizon"; }

std::string Number(double v) { return absl::StrFormat("%.12g", v); }

// The included spec a name belongs to, or "".
std::string IncludedPart(const std::string& name, const std::vector<std::string>& included) {
  for (const std::string& part : included) {
    if (absl::StartsWith(name, part + ".") || absl::StartsWith(name, part + "/")) return part;
  }
  return "";
}

// Why a scalar without a seed part is not a per-seed quantity.
std::string ExclusionReason(const std::string& name, const std::set<std::string>& per_seed) {
  if (per_seed.count(name) > 0) return kSeedMean;
  if (absl::EndsWith(name, "_sd") && per_seed.count(name.substr(0, name.size() - 3)) > 0) {
    return kSeedSpread;
  }
  if (absl::StrContains(name, ".paired_")) return kPaired;
  for (const char* q : {".at_grid_edge", ".grid_points", ".eligible_points", ".tuned_rate",
                        ".tuned_warmup_steps"}) {
    if (absl::EndsWith(name, q)) return kTuning;
  }
  if (absl::EndsWith(name, ".profile_argmin_rho")) return kArgmin;
  if (absl::EndsWith(name, ".seeds") || absl::EndsWith(name, ".seeds_averaged")) {
    return kConfiguration;
  }
  return kPooled;
}

void ReadScalars(const spec::Result& r, const std::vector<std::string>& included,
                 SeedValues* out) {
  std::set<std::string> per_seed;
  std::vector<std::string> final_loss_labels;  // in order of first appearance
  for (const spec::Scalar& s : r.scalars()) {
    std::string name;
    int64_t seed = 0;
    if (!IncludedPart(s.name(), included).empty() || !SplitSeed(s.name(), &name, &seed)) continue;
    per_seed.insert(name);
    const size_t dot = name.rfind('.');
    const std::string label = name.substr(0, dot), quantity = name.substr(dot + 1);
    (absl::StartsWith(quantity, "initial_") ? out->tight : out->samples)[name][seed] = s.value();
    if (quantity == "final_loss" &&
        std::find(final_loss_labels.begin(), final_loss_labels.end(), label) ==
            final_loss_labels.end()) {
      final_loss_labels.push_back(label);
    }
  }
  std::map<std::string, std::map<std::string, double>> tuned;  // label -> rate, steps
  for (const spec::Scalar& s : r.scalars()) {
    std::string name;
    int64_t seed = 0;
    const std::string part = IncludedPart(s.name(), included);
    if (!part.empty()) {
      out->excluded[s.name()] =
          absl::StrCat("a quantity of the included spec ", part, ", compared in its own reference");
      continue;
    }
    if (SplitSeed(s.name(), &name, &seed)) continue;
    out->excluded[s.name()] = ExclusionReason(s.name(), per_seed);
    for (const char* q : {"tuned_rate", "tuned_warmup_steps"}) {
      if (absl::EndsWith(s.name(), absl::StrCat(".", q))) {
        tuned[s.name().substr(0, s.name().size() - std::string(q).size() - 1)][q] = s.value();
      }
    }
  }
  for (auto& [label, values] : tuned) {
    out->winners[label] = absl::StrFormat("rate %s, warmup_steps %s",
                                          Number(values["tuned_rate"]),
                                          Number(values["tuned_warmup_steps"]));
  }
  // Seed-paired differences a - b of every pair of runs, a listed first.
  for (size_t b = 1; b < final_loss_labels.size(); ++b) {
    for (size_t a = 0; a < b; ++a) {
      const auto& fa = out->samples[final_loss_labels[a] + ".final_loss"];
      const auto& fb = out->samples[final_loss_labels[b] + ".final_loss"];
      auto& paired = out->samples[absl::StrCat("paired ", final_loss_labels[a], " - ",
                                               final_loss_labels[b], ".final_loss")];
      for (const auto& [seed, value] : fa) {
        auto it = fb.find(seed);
        if (it != fb.end()) paired[seed] = value - it->second;
      }
    }
  }
}

void ReadSeries(const spec::Result& r, const std::vector<std::string>& included,
                SeedValues* out) {
  for (const spec::Series& s : r.series()) {
    std::string run;
    int64_t seed = 0;
    if (!IncludedPart(s.run(), included).empty()) continue;
    const std::string base = absl::StrCat(s.run(), "/", s.metric(), "@", s.x_name());
    if (!SplitSeed(s.run(), &run, &seed)) {
      out->excluded[absl::StrCat("series ", base)] = kPooledSeries;
      continue;
    }
    const std::string quantity = absl::StrCat(run, "/", s.metric(), "@", s.x_name());
    const char* reason = s.metric() == "lr_smoothed" || s.metric() == "loss_smoothed" ? kDisplay
                         : s.metric() == "density"                                  ? kDensity
                         : s.metric() == "trace_lo95" || s.metric() == "trace_hi95" ? kInterval
                         : s.metric() == "lambda_max" || s.metric() == "lambda_min" ? kSpectrumEnds
                                                                                    : nullptr;
    if (reason != nullptr) {
      out->excluded[absl::StrCat("series ", quantity)] = reason;
      continue;
    }
    if (!IndexAxis(s.x_name())) {
      out->samples[quantity + ".points"][seed] = std::min(s.x_size(), s.y_size());
      continue;
    }
    std::vector<double>& xs = out->series_x[quantity];
    const bool first = xs.empty();
    for (int i = 0; i < std::min(s.x_size(), s.y_size()); ++i) {
      out->samples[absl::StrCat(quantity, "=", Number(s.x(i)))][seed] = s.y(i);
      if (first) xs.push_back(s.x(i));
    }
  }
}

}  // namespace

bool SplitSeed(const std::string& name, std::string* without_seed, int64_t* seed) {
  size_t pos = 0;
  while ((pos = name.find("/seed", pos)) != std::string::npos) {
    size_t end = pos + 5;
    while (end < name.size() && absl::ascii_isdigit(name[end])) ++end;
    if (end > pos + 5 && (end == name.size() || name[end] == '.' || name[end] == '/') &&
        absl::SimpleAtoi(name.substr(pos + 5, end - pos - 5), seed)) {
      *without_seed = name.substr(0, pos) + name.substr(end);
      return true;
    }
    pos = end;
  }
  return false;
}

SeedValues ExtractSeedValues(const spec::Result& result,
                             const std::vector<std::string>& included) {
  SeedValues out;
  ReadScalars(result, included, &out);
  ReadSeries(result, included, &out);
  return out;
}

}  // namespace warmup
