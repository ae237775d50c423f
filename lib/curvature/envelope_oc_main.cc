// Prints the envelope fit's operating characteristic on planted runs shaped
// like each network tier's measured profiles (docs/theory.md, Section 11):
// for the default rule, or for every candidate (where the early transient
// ends, with or without the transient-cut refit and the shape test, with
// the percentile or the Student-t interval), the share of planted power
// laws whose rho is recovered and the share of non-power-law curves called
// identified.
//
//   bazel run //lib/curvature:envelope_oc -- --draws=30 --rules=all

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "lib/curvature/planted_profiles.h"

ABSL_FLAG(int, draws, 30, "independent plantings per design");
ABSL_FLAG(std::string, rules, "default",
          "default (the fit's default rule) or all (every candidate rule)");

namespace warmup {
namespace {

struct Candidate {
  std::string name;
  EnvelopeOptions options;
};

std::vector<Candidate> Candidates(bool all) {
  EnvelopeOptions defaults;
  if (!all) return {{"default", defaults}};
  std::vector<Candidate> c;
  const struct {
    const char* name;
    TransientRule rule;
  } rules[] = {{"loss fraction 0.9", TransientRule::kLossFraction},
               {"collapse end", TransientRule::kCollapseEnd},
               {"sharpening peak", TransientRule::kSharpeningPeak}};
  for (const auto& r : rules) {
    for (const bool cut : {true, false}) {
      for (const bool slopes : {false, true}) {
        for (const bool student : {false, true}) {
          EnvelopeOptions o = defaults;
          o.transient_rule = r.rule;
          o.check_transient_cut = cut;
          o.check_slopes = slopes;
          o.student_t_interval = student;
          c.push_back({absl::StrFormat("%s%s%s, %s interval", r.name, cut ? " + cut refit" : "",
                                       slopes ? " + slope test" : "",
                                       student ? "Student-t" : "percentile"),
                       o});
        }
      }
    }
  }
  return c;
}

std::string Share(int k, int n) { return absl::StrFormat("%d/%d (%.0f%%)", k, n, 100.0 * k / n); }

// One candidate on one shape: a line per design, then the pooled shares.
void PrintShape(const ProfileShape& shape, const EnvelopeOptions& o, int draws) {
  std::printf("  %s: %d seeds x (%d transient + %d fitted) points, %.2g decades\n",
              shape.name.c_str(), shape.seeds, shape.transient_points, shape.fitted_points,
              shape.gap_decades);
  const OperatingCharacteristic oc = MeasureOperatingCharacteristic(shape, o, draws);
  for (const OperatingCharacteristic::Design& d : oc.positives) {
    std::printf("    %s: recovered %s, identified %s\n", d.name.c_str(),
                Share(d.verdicts.recovered, d.verdicts.draws).c_str(),
                Share(d.verdicts.identified, d.verdicts.draws).c_str());
  }
  std::printf("    => positives recovered %s, identified wrongly %s\n",
              Share(oc.pooled.recovered, oc.pooled.draws).c_str(),
              Share(oc.pooled.identified - oc.pooled.recovered, oc.pooled.draws).c_str());
  for (const OperatingCharacteristic::Design& d : oc.negatives) {
    std::printf("    => negative, %s: identified %s\n", d.name.c_str(),
                Share(d.verdicts.identified, d.verdicts.draws).c_str());
  }
  std::fflush(stdout);
}

}  // namespace
}  // namespace warmup

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int draws = absl::GetFlag(FLAGS_draws);
  const std::string rules = absl::GetFlag(FLAGS_rules);
  if (draws < 1 || (rules != "default" && rules != "all")) {
    std::fprintf(stderr, "envelope_oc: need --draws >= 1 and --rules=default|all; got %d, %s\n",
                 draws, rules.c_str());
    return 2;
  }
  for (const warmup::Candidate& c : warmup::Candidates(rules == "all")) {
    std::printf("%s\n", c.name.c_str());
    for (const warmup::ProfileShape& shape : warmup::MeasuredShapes()) {
      warmup::PrintShape(shape, c.options, draws);
    }
  }
  return 0;
}
