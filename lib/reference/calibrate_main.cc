// Prints how well the two-sample test's model fits each stored seeded
// reference (lib/reference/calibration.h), and exits 1 when the share of
// resampled p-values below 0.1% exceeds a stated bound in any of them.
//   calibrate [--splits=N] [--max_share_below_01pc=S] FILE.json ...
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/io/markdown.h"
#include "lib/io/output_batch.h"
#include "lib/reference/calibration.h"
#include "lib/reference/reference.h"

ABSL_FLAG(int, splits, 2000, "random splits per quantity");
ABSL_FLAG(double, max_share_below_01pc, 0.003,
          "largest share of p-values below 0.1% accepted (three times the model's "
          "0.1%: the splits of one quantity share its values, so shares scatter)");

int main(int argc, char** argv) {
  std::vector<char*> files = absl::ParseCommandLine(argc, argv);
  const double bound = absl::GetFlag(FLAGS_max_share_below_01pc);
  int failures = 0, seeded = 0;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> over_bound;
  for (size_t i = 1; i < files.size(); ++i) {
    std::string json;
    if (!warmup::ReadFile(files[i], &json).ok()) {
      std::fprintf(stderr, "error: cannot read %s\n", files[i]);
      return 2;
    }
    absl::StatusOr<warmup::Reference> ref = warmup::ParseReference(json, files[i]);
    if (!ref.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(ref.status().message()).c_str());
      return 2;
    }
    if (!ref->seeded_networks || ref->samples.empty()) continue;
    ++seeded;
    const warmup::Calibration c = warmup::Calibrate(*ref, absl::GetFlag(FLAGS_splits), 1);
    rows.push_back({absl::StrCat(ref->experiment, ".", ref->tier), absl::StrCat(c.quantities),
                    absl::StrCat(c.splits), absl::StrFormat("%.3f", c.below_5pc),
                    absl::StrFormat("%.4f", c.below_1pc), absl::StrFormat("%.4f", c.below_01pc),
                    absl::StrFormat("%.5f", c.below_001pc), absl::StrFormat("%.1e", c.smallest_p),
                    absl::StrFormat("%s (%.3f)", c.worst_quantity, c.worst_below_1pc)});
    if (c.below_01pc > bound) {
      over_bound.push_back(absl::StrFormat("FAIL %s.%s: %.4f of p-values below 0.1%% (bound %.3f)",
                                           ref->experiment, ref->tier, c.below_01pc, bound));
      ++failures;
    }
  }
  std::printf("%s", warmup::MarkdownTable({"reference", "quantities", "splits each", "p < 5%",
                                           "p < 1%", "p < 0.1%", "p < 0.01%", "smallest p",
                                           "most p < 1%"},
                                          rows)
                        .c_str());
  for (const std::string& line : over_bound) std::printf("%s\n", line.c_str());
  std::printf("%d seeded references calibrated, %d over the bound\n", seeded, failures);
  return failures > 0 ? 1 : 0;
}
