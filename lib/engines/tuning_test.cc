#include "lib/engines/tuning.h"

#include <cmath>

#include "gtest/gtest.h"
#include "google/protobuf/text_format.h"
#include "lib/schedule/schedule.h"

namespace warmup {
namespace {

spec::TunedBaseline Linear(spec::TunedBaseline::Rule rule) {
  spec::TunedBaseline b;
  google::protobuf::TextFormat::ParseFromString(
      R"pb(label: "linear"
           schedule { linear_warmup { formula: FROM_ZERO } }
           rate_grid: [0.5, 1, 2]
           warmup_steps_grid: [10, 100]
           objective: "steps_to_target")pb",
      &b);
  b.set_rule(rule);
  return b;
}

double Scalar(const spec::Result& r, const std::string& name) {
  for (const auto& s : r.scalars()) {
    if (s.name() == name) return s.value();
  }
  return std::nan("");
}

TEST(TuningGrid, RatesOuterLengthsInnerWithLabels) {
  const auto grid = TuningGrid(Linear(spec::TunedBaseline::ANY));
  ASSERT_EQ(grid.size(), 6u);
  EXPECT_EQ(grid[0].label(), "linear/grid0");
  EXPECT_DOUBLE_EQ(FamilyParametersOf(grid[3]).rate, 1.0);
  EXPECT_EQ(FamilyParametersOf(grid[3]).warmup_steps, 100);
  EXPECT_EQ(grid[3].linear_warmup().formula(), spec::LinearWarmup::FROM_ZERO);
}

// The exponential family: rate_grid sets peak_lr, warmup_steps_grid the
// length, start_fraction is the family's; a winner at the longest length is
// on the edge.
TEST(TuningGrid, ExponentialWarmupKeepsItsStartFraction) {
  spec::TunedBaseline b;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(label: "exp"
           schedule { exponential_warmup { peak_lr: 1 warmup_steps: 5 start_fraction: 0.001 } }
           rate_grid: [0.5, 1, 2]
           warmup_steps_grid: [10, 100, 1000]
           rule: MONOTONE
           objective: "steps_to_target")pb",
      &b));
  const auto grid = TuningGrid(b);
  ASSERT_EQ(grid.size(), 9u);
  EXPECT_DOUBLE_EQ(FamilyParametersOf(grid[5]).rate, 1.0);
  EXPECT_EQ(FamilyParametersOf(grid[5]).warmup_steps, 1000);
  EXPECT_EQ(grid[5].exponential_warmup().start_fraction(), 0.001);
  std::vector<TuningTrial> trials(9, {100, false, true});
  trials[4].score = 10;  // rate 1, W 100: interior
  EXPECT_FALSE(SelectWinner(b, grid, trials).at_grid_edge);
  trials[5].score = 5;  // rate 1, W 1000: the longest length
  const TuningSelection sel = SelectWinner(b, grid, trials);
  EXPECT_EQ(sel.winner, 5);
  EXPECT_TRUE(sel.at_grid_edge);
}

// The polynomial family: rates outer, lengths, then powers inner; the power
// is a tuned dimension, so a winner at the largest power is on the edge, and
// .tuned_power is recorded.
TEST(TuningGrid, PolynomialWarmupTunesItsPower) {
  spec::TunedBaseline b;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(label: "poly"
           schedule { polynomial_warmup { peak_lr: 1 warmup_steps: 5 power: 1 } }
           rate_grid: [0.5, 1, 2]
           warmup_steps_grid: [10, 100, 1000]
           power_grid: [1, 2, 4]
           rule: MONOTONE
           objective: "steps_to_target")pb",
      &b));
  const auto grid = TuningGrid(b);
  ASSERT_EQ(grid.size(), 27u);
  const FamilyParameters middle = FamilyParametersOf(grid[13]);
  EXPECT_EQ(middle.rate, 1.0);
  EXPECT_EQ(middle.warmup_steps, 100);
  EXPECT_EQ(middle.power, 2.0);
  std::vector<TuningTrial> trials(27, {100, false, true});
  trials[13].score = 10;  // interior in all three
  EXPECT_FALSE(SelectWinner(b, grid, trials).at_grid_edge);
  trials[14].score = 5;  // the same rate and length at power 4: the edge
  const TuningSelection sel = SelectWinner(b, grid, trials);
  EXPECT_EQ(sel.winner, 14);
  EXPECT_TRUE(sel.at_grid_edge);
  spec::Result r;
  RecordTuning(b, grid, trials, sel, &r);
  EXPECT_EQ(Scalar(r, "poly.tuned_power"), 4.0);
  EXPECT_EQ(Scalar(r, "poly.at_grid_edge"), 1.0);
}

// The cosine ramp is tuned in peak and length like the linear one.
TEST(TuningGrid, CosineWarmupTunesPeakAndLength) {
  spec::TunedBaseline b = Linear(spec::TunedBaseline::ANY);
  b.mutable_schedule()->mutable_cosine_warmup();  // replaces the linear kind
  const auto grid = TuningGrid(b);
  ASSERT_EQ(grid.size(), 6u);
  ASSERT_TRUE(grid[3].has_cosine_warmup());
  EXPECT_EQ(grid[3].cosine_warmup().peak_lr(), 1.0);
  EXPECT_EQ(grid[3].cosine_warmup().warmup_steps(), 100);
  spec::Result r;
  RecordTuning(b, grid, std::vector<TuningTrial>(6, {1, false, true}), {0, false, 6}, &r);
  EXPECT_TRUE(std::isnan(Scalar(r, "linear.tuned_power")));  // no power grid: no scalar
}

TEST(SelectWinner, MonotoneRuleSkipsSpikyRunsAndFlagsNoInteriorWinner) {
  const auto b = Linear(spec::TunedBaseline::MONOTONE);
  const auto grid = TuningGrid(b);
  // Point 5 (rate 2, W 100) is fastest but spiky; point 3 (rate 1, W 100)
  // is the best monotone one: interior in rate, but W = 100 is the largest
  // length, so it is on the edge.
  std::vector<TuningTrial> trials = {{500, false, true}, {400, false, true},
                                     {300, false, false}, {200, false, true},
                                     {50, true, false},  {100, false, false}};
  TuningSelection sel = SelectWinner(b, grid, trials);
  EXPECT_EQ(sel.winner, 3);
  EXPECT_EQ(sel.eligible, 3);
  EXPECT_TRUE(sel.at_grid_edge);

  const auto any = Linear(spec::TunedBaseline::ANY);
  sel = SelectWinner(any, grid, trials);
  EXPECT_EQ(sel.winner, 5);  // the diverged point 4 never wins
  EXPECT_EQ(sel.eligible, 5);
}

TEST(SelectWinner, InteriorWinnerIsNotOnTheEdge) {
  spec::TunedBaseline b = Linear(spec::TunedBaseline::ANY);
  b.clear_warmup_steps_grid();  // one length: not a tuned dimension
  const auto grid = TuningGrid(b);
  ASSERT_EQ(grid.size(), 3u);
  const TuningSelection sel =
      SelectWinner(b, grid, {{3, false, true}, {1, false, true}, {2, false, true}});
  EXPECT_EQ(sel.winner, 1);
  EXPECT_FALSE(sel.at_grid_edge);
}

// Warmup length 1 is the no-warmup end of the family: a winner there is not
// flagged, while the same winner at a shortest length of 5 is.
TEST(SelectWinner, LengthOneIsTheFamilysLimitNotAnEdge) {
  spec::TunedBaseline b = Linear(spec::TunedBaseline::ANY);
  b.clear_rate_grid();
  for (double r : {0.5, 1.0, 2.0}) b.add_rate_grid(r);
  b.clear_warmup_steps_grid();
  for (int64_t w : {1, 10, 100}) b.add_warmup_steps_grid(w);
  std::vector<spec::Schedule> grid = TuningGrid(b);
  ASSERT_EQ(grid.size(), 9u);
  std::vector<TuningTrial> trials(9, {100, false, true});
  trials[3].score = 1;  // rate 1, W 1
  ASSERT_EQ(FamilyParametersOf(grid[3]).warmup_steps, 1);
  TuningSelection sel = SelectWinner(b, grid, trials);
  EXPECT_EQ(sel.winner, 3);
  EXPECT_FALSE(sel.at_grid_edge);

  b.set_warmup_steps_grid(0, 5);
  grid = TuningGrid(b);
  sel = SelectWinner(b, grid, trials);
  EXPECT_EQ(sel.winner, 3);
  EXPECT_TRUE(sel.at_grid_edge);
}

TEST(SelectWinner, NothingEligibleIsAnErrorAndNanScalars) {
  const auto b = Linear(spec::TunedBaseline::ANY);
  const auto grid = TuningGrid(b);
  std::vector<TuningTrial> trials(grid.size(), {INFINITY, false, true});
  const TuningSelection sel = SelectWinner(b, grid, trials);
  EXPECT_EQ(sel.winner, -1);
  EXPECT_FALSE(WinningSchedule(b, grid, sel).ok());
  spec::Result r;
  RecordTuning(b, grid, trials, sel, &r);
  EXPECT_TRUE(std::isnan(Scalar(r, "linear.tuned_rate")));
  EXPECT_EQ(Scalar(r, "linear.eligible_points"), 0.0);
  ASSERT_EQ(r.tables_size(), 1);
  EXPECT_EQ(r.tables(0).rows_size(), 6);
}

}  // namespace
}  // namespace warmup
