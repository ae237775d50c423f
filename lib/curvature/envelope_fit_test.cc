#include "lib/curvature/envelope_fit.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "lib/curvature/planted_profiles.h"

namespace warmup {
namespace {

// Planted runs shaped like the networks' profiles (lib/curvature/
// planted_profiles.h): an early transient of `transient` points whose
// smoothness starts `spike` times above the curve, while the loss falls
// from loss0 to transient_end x loss0, then `n` points whose loss decays
// geometrically from there to loss1 (f* = 0); log-noise sd 0.3 with lag-one
// correlation 0.7, the curve being the 0.9 quantile of the smoothness.
std::vector<ProfileRun> Planted(const PlantedCurve& curve, double loss0, double loss1, int n,
                                int seeds, uint64_t seed, int transient = 3,
                                double transient_end = 0.985, double spike = 50.0) {
  ProfileShape shape;
  shape.seeds = seeds;
  shape.first_loss = loss0;
  shape.transient_points = transient;
  shape.transient_end = transient_end;
  shape.spike = spike;
  shape.fitted_points = n;
  shape.gap_decades = std::log10(transient_end * loss0 / loss1);
  return PlantRuns(shape, curve, PlantedNoise{}, seed);
}

PlantedCurve PowerLaw(double rho, double k0, double krho) {
  PlantedCurve c;
  c.rho = rho;
  c.k0 = k0;
  c.krho = krho;
  return c;
}

// Designs the data identify: the fitted gaps span 1.7-2 decades, down to 2%
// of the initial loss, with an early transient 50x above the envelope,
// log-noise sd 0.3 with lag-1 correlation 0.7, and 3 seeds. Tolerances:
// rho within 0.3 (the run bootstrap's 90% interval over such designs is
// about +-0.2), the envelope within 30% at the ends and the middle of the
// range (the 0.9 quantile of 120 points moves by about 0.1 in log units).
TEST(EnvelopeFitTest, RecoversPlantedConstantsWhereIdentified) {
  struct Design {
    double rho, k0, krho, loss0, loss1;
  };
  for (const Design& d : {Design{1.0, 0.5, 4.0, 2.3, 0.05}, Design{2.0, 1.0, 2.0, 3.0, 0.03}}) {
    SCOPED_TRACE(::testing::Message() << "planted rho " << d.rho);
    const std::vector<ProfileRun> runs =
        Planted(PowerLaw(d.rho, d.k0, d.krho), d.loss0, d.loss1, 40, 3, 100);
    EnvelopeOptions o;
    o.bootstrap = 100;
    absl::StatusOr<EnvelopeFit> fit = FitEnvelope(runs, o);
    ASSERT_TRUE(fit.ok()) << fit.status();
    EXPECT_TRUE(fit->rho_identified) << fit->not_identified_reason;
    EXPECT_NEAR(fit->rho, d.rho, 0.3);
    EXPECT_LE(fit->rho_ci.lo, d.rho);
    EXPECT_GE(fit->rho_ci.hi, d.rho);
    for (double gap : {d.loss1, std::sqrt(d.loss0 * d.loss1), d.loss0}) {
      const double planted = d.k0 + d.krho * std::pow(gap, d.rho);
      const double fitted = fit->k0 + fit->krho * std::pow(gap, fit->rho);
      EXPECT_NEAR(std::log(fitted / planted), 0.0, std::log(1.3)) << "gap " << gap;
    }
    // The collapse ends where the curve begins: the 3 planted transient
    // points of each run, or one more where noise puts the least
    // log s - 4 log gap a point later (with rho = 2 and 40 points over two
    // decades, log s - 4 log gap rises by 0.23 a point, one noise sd).
    EXPECT_GE(fit->transient_points, 9);
    EXPECT_LE(fit->transient_points, 12);
    EXPECT_NEAR(fit->coverage, 0.9, 0.05);
    EXPECT_GT(fit->spearman, fit->spearman_chance99);
    ASSERT_EQ(fit->fixed.size(), 3u);
    for (const FixedRhoEnvelope& f : fit->fixed) EXPECT_NEAR(f.coverage, 0.9, 0.05);
    EXPECT_DOUBLE_EQ(fit->f_star_alt, 0.5 * d.loss1);
    EXPECT_LT(fit->slope_difference_z, o.slope_test_z);
  }
}

// The design that misled the covering fit: one run, about 50 points with
// gaps in [1.2, 2.3] (less than a decade, far from f* = 0), true rho = 1,
// and an initialisation point at curvature 250. The covering envelope
// returned the top of any rho grid (3, 6 or 10); this fit must say that rho
// is not identified, on every grid.
TEST(EnvelopeFitTest, NarrowRangeIsNotIdentified) {
  const PlantedCurve curve = PowerLaw(1.0, 1.0, 3.0);
  const std::vector<ProfileRun> runs =
      Planted(curve, 2.31, 1.2, 50, 1, 7, 1, 2.3 / 2.31, 250.0 / curve.At(2.31));
  for (double top : {3.0, 6.0, 10.0}) {
    EnvelopeOptions o;
    o.rho_max = top;
    absl::StatusOr<EnvelopeFit> fit = FitEnvelope(runs, o);
    ASSERT_TRUE(fit.ok()) << fit.status();
    EXPECT_FALSE(fit->rho_identified) << "grid top " << top << ", rho " << fit->rho;
    EXPECT_FALSE(fit->not_identified_reason.empty());
    EXPECT_GE(fit->transient_points, 1);
    EXPECT_LT(fit->gap_decades, 1.0);
  }
}

// Same narrow range with three seeds: still not identified.
TEST(EnvelopeFitTest, NarrowRangeWithSeedsIsNotIdentified) {
  const std::vector<ProfileRun> runs = Planted(PowerLaw(1.0, 1.0, 3.0), 2.3, 1.2, 40, 3, 100);
  absl::StatusOr<EnvelopeFit> fit = FitEnvelope(runs, EnvelopeOptions{});
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_FALSE(fit->rho_identified) << "rho " << fit->rho;
}

// A transient that lasts past the loss-fraction cut: the curvature collapse
// runs on while the loss falls from its first value to 0.91 of it (twelve
// points), so the points between 0.95 and 0.91 of the first loss are still
// far above the envelope. The collapse-end rule finds where it ends and
// recovers the planted rho = 1. The loss fraction 0.9 recovers it too, but
// its refit with the cut at 0.95 keeps those points and moves rho, so with
// that refit checked rho is reported as not identified (the estimate follows
// where the transient is said to end).
TEST(EnvelopeFitTest, TransientPastTheLossCut) {
  const std::vector<ProfileRun> runs =
      Planted(PowerLaw(1.0, 0.5, 4.0), 2.3, 0.05, 40, 3, 100, 12, 0.91, 50.0);
  absl::StatusOr<EnvelopeFit> collapse = FitEnvelope(runs, EnvelopeOptions{});
  ASSERT_TRUE(collapse.ok()) << collapse.status();
  EXPECT_TRUE(collapse->rho_identified) << collapse->not_identified_reason;
  EXPECT_EQ(collapse->transient_points, 36);
  EXPECT_NEAR(collapse->rho, 1.0, 0.3);

  EnvelopeOptions fraction;
  fraction.transient_rule = TransientRule::kLossFraction;
  fraction.check_transient_cut = true;
  absl::StatusOr<EnvelopeFit> fit = FitEnvelope(runs, fraction);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_NEAR(fit->rho, 1.0, 0.3);
  EXPECT_DOUBLE_EQ(fit->transient_fraction_alt, 0.95);
  EXPECT_GT(std::abs(fit->rho_transient_alt - fit->rho), 0.2)
      << "rho " << fit->rho << ", with the later cut " << fit->rho_transient_alt;
  EXPECT_FALSE(fit->rho_identified) << "rho " << fit->rho << " [" << fit->rho_ci.lo << ", "
                                    << fit->rho_ci.hi << "], later cut "
                                    << fit->rho_transient_alt;
  EXPECT_NE(fit->not_identified_reason.find("transient cut"), std::string::npos)
      << fit->not_identified_reason;
}

// A smoothness that does not depend on the gap (K0 only): any rho fits.
TEST(EnvelopeFitTest, ConstantSmoothnessIsNotIdentified) {
  const std::vector<ProfileRun> runs = Planted(PowerLaw(1.0, 10.0, 0.0), 2.3, 0.05, 40, 3, 100);
  absl::StatusOr<EnvelopeFit> fit = FitEnvelope(runs, EnvelopeOptions{});
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_FALSE(fit->rho_identified) << "rho " << fit->rho;
  EXPECT_LT(fit->spearman, fit->spearman_chance99);
}

// Figure 1(a)'s rise then collapse (smoothness rising as gap^-0.7 down to
// 0.3 of the decades, then falling as gap^1) on 3 seeds x 11 points over 3.5
// decades: the envelope's profile has an interior minimum, but the slopes
// above and below the median gap are far apart (the slope below exceeds
// the slope above, which no K0 + Krho gap^rho allows), so rho is not
// identified. Without the shape test the same data give an identified rho.
TEST(EnvelopeFitTest, RiseThenCollapseIsNotIdentified) {
  ProfileShape shape = MeasuredShapes()[1];
  const std::vector<ProfileRun> runs =
      PlantRuns(shape, RiseThenCollapseCurve(shape), PlantedNoise{}, 3);
  absl::StatusOr<EnvelopeFit> fit = FitEnvelope(runs, EnvelopeOptions{});
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_FALSE(fit->rho_identified) << "rho " << fit->rho;
  EXPECT_GT(fit->slope_difference_z, 2.326);
  EXPECT_LT(fit->slope_upper, 0.0);
  EXPECT_GT(fit->slope_lower, 0.5);
  EXPECT_NE(fit->not_identified_reason.find("no single power law"), std::string::npos)
      << fit->not_identified_reason;
  EnvelopeOptions unchecked;
  unchecked.check_slopes = false;
  absl::StatusOr<EnvelopeFit> blind = FitEnvelope(runs, unchecked);
  ASSERT_TRUE(blind.ok()) << blind.status();
  EXPECT_TRUE(blind->rho_identified) << blind->not_identified_reason;
}

// The transient rules on one hand-made run: a collapse (1000 to 4 while the
// loss falls 2%), a rise to a peak of 16 at loss 0.3, and a decline.
TEST(EnvelopeFitTest, TransientRulesOnAHandMadeRun) {
  const ProfileRun run{{0, 1, 2, 3, 4, 5, 6, 7, 8},
                       {2.0, 1.99, 1.98, 1.5, 0.8, 0.3, 0.1, 0.03, 0.01},
                       {1000, 100, 4, 6, 10, 16, 8, 3, 1}};
  auto transient_points = [&](TransientRule rule) {
    EnvelopeOptions o;
    o.transient_rule = rule;
    o.bootstrap = 0;
    o.chance_permutations = 0;
    absl::StatusOr<EnvelopeFit> fit = FitEnvelope({run}, o);
    return fit.ok() ? fit->transient_points : -1;
  };
  // log s - 4 log gap is least at the third point (log 4 - 4 log 1.98).
  EXPECT_EQ(transient_points(TransientRule::kCollapseEnd), 2);
  EXPECT_EQ(transient_points(TransientRule::kSharpeningPeak), 5);
  EXPECT_EQ(transient_points(TransientRule::kLossFraction), 3);
}

// rho's Student-t interval is symmetric about rho and, with three runs,
// wider than the bootstrap's percentile interval (t with 2 degrees of
// freedom at 0.95 is 2.92, against 1.645 for the normal, before the factor
// sqrt(3 / 2)).
TEST(EnvelopeFitTest, StudentIntervalWidensThePercentileInterval) {
  const std::vector<ProfileRun> runs = Planted(PowerLaw(1.0, 0.5, 4.0), 2.3, 0.05, 20, 3, 11);
  EnvelopeOptions o;
  absl::StatusOr<EnvelopeFit> student = FitEnvelope(runs, o);
  o.student_t_interval = false;
  absl::StatusOr<EnvelopeFit> percentile = FitEnvelope(runs, o);
  ASSERT_TRUE(student.ok() && percentile.ok());
  EXPECT_NEAR(student->rho - student->rho_ci.lo, student->rho_ci.hi - student->rho, 1e-12);
  EXPECT_GT(student->rho_ci.hi - student->rho_ci.lo,
            1.5 * (percentile->rho_ci.hi - percentile->rho_ci.lo));
}

TEST(EnvelopeFitTest, RejectsBadInput) {
  EnvelopeOptions o;
  EXPECT_FALSE(FitEnvelope({}, o).ok());
  EXPECT_FALSE(FitEnvelope({ProfileRun{{0, 1}, {1, 2}, {1}}}, o).ok());
  absl::StatusOr<EnvelopeFit> bad =
      FitEnvelope({ProfileRun{{0, 1, 2}, {1, 0, 3}, {1, 2, 3}}}, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("point 1"), std::string::npos);
  EXPECT_FALSE(FitEnvelope({ProfileRun{{0, 1, 2}, {3, 2, 1}, {1, std::nan(""), 3}}}, o).ok());
  // The collapse ends at the last point: nothing left to fit.
  EXPECT_FALSE(FitEnvelope({ProfileRun{{0, 1, 2}, {2, 1.99, 1.98}, {3, 2, 0.1}}}, o).ok());
  // Every point before the loss falls below 0.9 of its first value.
  o.transient_rule = TransientRule::kLossFraction;
  EXPECT_FALSE(FitEnvelope({ProfileRun{{0, 1, 2}, {2, 1.99, 1.98}, {1, 2, 3}}}, o).ok());
}


}  // namespace
}  // namespace warmup
