// Ranges read from the proto, and every numeric field of every shipped spec
// edited in turn to values a user might type by mistake.
#include "lib/spec/field_range.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <vector>

#include "gtest/gtest.h"
#include "lib/spec/spec.h"
#include "proto/experiment.pb.h"

namespace warmup {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Every message type reachable from Experiment.
void Reachable(const Descriptor* d, std::set<const Descriptor*>* seen) {
  if (!seen->insert(d).second) return;
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->message_type() != nullptr) Reachable(d->field(i)->message_type(), seen);
  }
}

TEST(FieldRangeTest, EveryNumericFieldOfTheSpecDocumentsItsRange) {
  std::set<const Descriptor*> messages;
  Reachable(spec::Experiment::descriptor(), &messages);
  int fields = 0;
  for (const Descriptor* d : messages) {
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (!IsNumericField(f)) continue;
      ++fields;
      const absl::StatusOr<FieldRange> range = RangeOf(f);
      EXPECT_TRUE(range.ok()) << f->full_name() << ": " << range.status()
                              << " (add [(range) = \"...\"] beside it)";
    }
  }
  std::printf("numeric spec fields with a range: %d\n", fields);
  EXPECT_GE(fields, 60);  // the spec had 66 when this test was written
}

TEST(FieldRangeTest, ParsesEveryForm) {
  struct Case {
    const char* text;
    double inside, outside;
  };
  for (const Case& c : {Case{"> 0", 1e-300, 0}, Case{">= 0", 0, -1e-300},
                        Case{"< 1", 0.5, 1}, Case{"<= 1", 1, 1.0000001},
                        Case{"[0, 1]", 1, 1.5}, Case{"(0, 1]", 1, 0},
                        Case{"[0, 1)", 0, 1}, Case{"(0, 1)", 0.5, 1},
                        Case{"[1, 1e9]", 1e9, 1e9 + 1}}) {
    const absl::StatusOr<FieldRange> r = ParseFieldRange(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status();
    EXPECT_TRUE(r->Contains(c.inside)) << c.text << " " << c.inside;
    EXPECT_FALSE(r->Contains(c.outside)) << c.text << " " << c.outside;
    EXPECT_FALSE(r->Contains(std::nan(""))) << c.text;
  }
  const absl::StatusOr<FieldRange> any = ParseFieldRange("any");
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->Contains(-1e300));
  EXPECT_FALSE(any->Contains(std::numeric_limits<double>::infinity()));
  for (const char* bad : {"", "positive", "> x", "[1, 0]", "[0; 1]", "=> 0", "> inf"}) {
    EXPECT_FALSE(ParseFieldRange(bad).ok()) << "'" << bad << "'";
  }
}

std::vector<std::string> ShippedSpecs() {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator("experiments")) {
    if (entry.path().extension() == ".textproto") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string Leaf(const std::string& path) {
  std::string leaf = path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
  return leaf.substr(0, leaf.find('['));
}

// The slots of `e` in visiting order (the order is the same for every copy).
std::vector<NumericSlot> Slots(spec::Experiment* e) {
  std::vector<NumericSlot> slots;
  VisitNumericFields(e, /*set_only=*/false, [&](const NumericSlot& s) {
    if (s.field->enum_type() == nullptr) slots.push_back(s);
  });
  return slots;
}

// For each shipped spec and tier, each numeric field in turn takes each of
// NaN, +inf, -inf, -1, 0 and a huge value (integers: -1, 0 and the type's
// maximum; NaN and inf cannot be written for them). A value outside the
// field's documented range must be rejected with the field's path in the
// message; a value inside it must be accepted, or rejected by a rule between
// fields whose message names the field. Validation only: nothing runs.
TEST(FieldRangeTest, EveryNumericFieldOfEveryShippedSpecRejectsWhatItsRangeExcludes) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> real_values = {std::nan(""), inf, -inf, -1, 0, 1e300};
  const std::vector<double> int_values = {-1, 0, 1e300};  // 1e300 saturates to the maximum
  int specs = 0, tiers = 0, fields = 0, edits = 0, by_range = 0, accepted = 0, by_rule = 0;
  std::set<std::string> field_names;
  for (const std::string& path : ShippedSpecs()) {
    ++specs;
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    const absl::StatusOr<spec::Experiment> base = ParseExperiment(text.str(), path);
    ASSERT_TRUE(base.ok()) << base.status();
    ASSERT_TRUE(ValidateSpecAsWritten(*base).ok()) << path;
    for (const spec::Tier& tier : base->tiers()) {
      ++tiers;
      const absl::StatusOr<spec::Experiment> tiered = ApplyTier(*base, tier.name());
      ASSERT_TRUE(tiered.ok()) << tiered.status();
      ASSERT_TRUE(ValidateExperiment(*tiered).ok()) << path << " " << tier.name();
      spec::Experiment probe = *tiered;
      const std::vector<NumericSlot> slots = Slots(&probe);
      for (size_t k = 0; k < slots.size(); ++k) {
        ++fields;
        field_names.insert(slots[k].field->full_name());
        const bool real = slots[k].field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE ||
                          slots[k].field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT;
        const absl::StatusOr<FieldRange> range = RangeOf(slots[k].field);
        ASSERT_TRUE(range.ok()) << range.status();
        for (double value : real ? real_values : int_values) {
          ++edits;
          spec::Experiment edited = *tiered;
          const NumericSlot slot = Slots(&edited)[k];
          slot.Set(value);
          const double stored = slot.Get();
          const absl::Status st = ValidateExperiment(edited);
          const std::string what = absl::StrCat(path, " tier ", tier.name(), ": ", slot.path,
                                                " = ", stored, " -> ", st.ToString());
          if (!range->Contains(stored)) {
            ++by_range;
            EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << what;
            EXPECT_NE(st.message().find(slot.path + ": expected"), std::string::npos) << what;
          } else if (st.ok()) {
            ++accepted;
          } else {
            ++by_rule;
            EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << what;
            EXPECT_NE(st.message().find(Leaf(slot.path)), std::string::npos) << what;
          }
        }
      }
    }
  }
  std::printf(
      "%d specs, %d tiers, %d distinct numeric fields, %d field slots, %d edits: %d rejected "
      "by the field's range, %d rejected by a rule between fields, %d accepted as documented\n",
      specs, tiers, static_cast<int>(field_names.size()), fields, edits, by_range, by_rule,
      accepted);
  EXPECT_EQ(specs, 7);  // every spec under experiments/ (a lost glob would read fewer)
  EXPECT_GT(by_range, 0);
  EXPECT_GT(accepted, 0);
}

TEST(FieldRangeTest, EveryTierIsCheckedAsWrittenNotOnlyTheOneThatRuns) {
  const std::string text =
      "name: \"x\" problem { river_valley { mu: 1 lambda0: 1 lambda1: 1 } } iterations: 10\n"
      "schedules { label: \"c\" constant { lr: 0.1 } }\n"
      "tiers { name: \"smoke\" overrides { } }\n"
      "tiers { name: \"paper\" overrides { schedules { label: \"c\" constant { lr: nan } } } }\n";
  const absl::StatusOr<spec::Experiment> e = BuildExperiment(text, "x.textproto", "smoke");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("tiers[1].overrides.schedules[0].constant.lr: expected"),
            std::string::npos)
      << e.status();
}

TEST(FieldRangeTest, UnknownEnumNumbersAreRejected) {
  spec::Experiment e;
  e.set_name("x");
  e.mutable_optimizer()->set_kind(static_cast<spec::Optimizer::Kind>(7));
  const absl::Status st = CheckFieldRanges(e, false);
  EXPECT_NE(st.message().find("optimizer.kind: 7 is not a value"), std::string::npos) << st;
}

}  // namespace
}  // namespace warmup
