// The envelope fit's operating characteristic with its default options, on
// planted runs shaped like each network tier's measured profiles: the table
// of docs/theory.md, Section 11 (bazel run //lib/curvature:envelope_oc).
// The draws come from fixed seeds, so the shares reproduce the table
// exactly; the bounds say how far they may move.
//
// Bounds, per shape:
//   - false identifications at most 10%, the criterion the default rule was
//     chosen under: each negative (the shape's measured curve, and the rise
//     then collapse) called identified in at most 3 of its 30 draws, and the
//     planted power laws identified with the planted rho outside the
//     interval in at most 18 of their 180 draws;
//   - the planted power laws recovered (rho identified and the planted rho
//     inside its interval) in at least the table's count minus 2.5 binomial
//     standard deviations of 180 draws at the table's share: a change of the
//     estimator or of the planted runs that costs more fails (resampling the
//     draws would cost that much about once in 160 times).

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/curvature/planted_profiles.h"

namespace warmup {
namespace {

struct Bound {
  std::string shape;
  int table_recovered;  // of 180 positive draws, docs/theory.md, Section 11
};

void PrintTo(const Bound& bound, std::ostream* os) { *os << bound.shape; }

const Bound kBounds[] = {
    {"ResNet-18 smoke", 107},
    {"ResNet-18 cpu", 117},
    {"NanoGPT smoke", 13},
    {"NanoGPT cpu", 105},
};

class EnvelopeOcTest : public ::testing::TestWithParam<Bound> {};

TEST_P(EnvelopeOcTest, VerdictsStayWithinTheirBounds) {
  const Bound& bound = GetParam();
  const std::vector<ProfileShape> shapes = MeasuredShapes();
  auto shape = std::find_if(shapes.begin(), shapes.end(),
                            [&](const ProfileShape& s) { return s.name == bound.shape; });
  ASSERT_NE(shape, shapes.end()) << bound.shape;
  const OperatingCharacteristic oc = MeasureOperatingCharacteristic(*shape, EnvelopeOptions{}, 30);
  for (const OperatingCharacteristic::Design& d : oc.positives) {
    std::printf("%s, %s: recovered %d, identified %d of %d\n", bound.shape.c_str(),
                d.name.c_str(), d.verdicts.recovered, d.verdicts.identified, d.verdicts.draws);
  }
  ASSERT_EQ(oc.pooled.draws, 180);
  EXPECT_EQ(oc.pooled.errors, 0);
  const double share = bound.table_recovered / 180.0;
  const int margin = static_cast<int>(std::ceil(2.5 * std::sqrt(180 * share * (1 - share))));
  EXPECT_GE(oc.pooled.recovered, bound.table_recovered - margin);
  EXPECT_LE(oc.pooled.identified - oc.pooled.recovered, 18);
  for (const OperatingCharacteristic::Design& d : oc.negatives) {
    ASSERT_EQ(d.verdicts.draws, 30);
    EXPECT_LE(d.verdicts.identified, 3) << d.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, EnvelopeOcTest, ::testing::ValuesIn(kBounds),
                         [](const ::testing::TestParamInfo<Bound>& info) {
                           std::string name = info.param.shape;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace warmup
