#include "lib/plot/gnuplot.h"

#include "gtest/gtest.h"

namespace warmup {
namespace {

spec::Result TwoRuns() {
  spec::Result r;
  for (const char* run : {"theory_warmup", "constant"}) {
    auto* s = r.add_series();
    s->set_run(run);
    s->set_metric("gap");
    s->set_x_name("step");
    for (int i = 0; i < 3; ++i) {
      s->add_x(i);
      s->add_y(i == 1 ? 0.0 : 1.0 / (i + 1));  // a zero: dropped on log axes
    }
  }
  return r;
}

TEST(GnuplotScriptTest, PanelsSeriesAndEscapes) {
  spec::Figure fig;
  auto* p = fig.add_panels();
  p->set_title("gap");
  p->set_metric("gap");
  p->set_log_y(true);
  p->add_runs("theory_warmup");
  const std::string script = GnuplotScript(TwoRuns(), fig, "Fig 2", "a.png", "a.pdf");
  EXPECT_NE(script.find("set logscale y"), std::string::npos);
  EXPECT_NE(script.find("theory\\_warmup"), std::string::npos);  // literal _
  EXPECT_EQ(script.find("'constant'"), std::string::npos);         // filtered
  EXPECT_EQ(script.find("\n1 0\n"), std::string::npos);            // log: no 0
  EXPECT_NE(script.find("set output 'a.png'"), std::string::npos);
  EXPECT_NE(script.find("set output 'a.pdf'"), std::string::npos);
}

// A scatter with its early transient and the fallback envelope when rho is
// not identified; the profile panel draws a curve over rho.
TEST(GnuplotScriptTest, TransientMarksEnvelopeAndProfile) {
  spec::Result r;
  for (const char* metric : {"smoothness", "smoothness_transient"}) {
    auto* s = r.add_series();
    s->set_run("sgd/seed0");
    s->set_metric(metric);
    s->set_x_name("gap");
    s->add_x(1.0);
    s->add_y(2.0);
    s->add_c(0.0);
  }
  auto* profile = r.add_series();
  profile->set_run("sgd");
  profile->set_metric("profile_cost");
  profile->set_x_name("rho");
  profile->add_x(0.5);
  profile->add_y(0.1);
  for (auto [name, value] : {std::pair{"sgd.rho_identified", 0.0}, {"sgd.env_rho1_k0", 1.5},
                             {"sgd.env_rho1_krho", 2.5}}) {
    auto* scalar = r.add_scalars();
    scalar->set_name(name);
    scalar->set_value(value);
  }
  spec::Figure fig;
  auto* scatter = fig.add_panels();
  scatter->set_metric("smoothness");
  scatter->set_x("gap");
  scatter->add_also("smoothness_transient");
  scatter->set_color_by_step(true);
  scatter->set_envelope(true);
  auto* curve = fig.add_panels();
  curve->set_metric("profile_cost");
  curve->set_x("rho");
  const std::string script = GnuplotScript(r, fig, "t", "a.png", "a.pdf");
  EXPECT_NE(script.find("pt 6"), std::string::npos);  // transient: open mark
  EXPECT_NE(script.find("pt 7"), std::string::npos);
  EXPECT_NE(script.find("1.5 + 2.5 * x**1 "), std::string::npos);
  EXPECT_NE(script.find("rho not identified"), std::string::npos);
  EXPECT_NE(script.find("with linespoints"), std::string::npos);  // the profile
}

TEST(RenderFigureTest, ProducesPngAndPdf) {
  spec::Figure fig;
  fig.add_panels()->set_metric("gap");
  OutputBatch batch;
  const absl::Status st = RenderFigure(TwoRuns(), fig, "t", "fig", &batch);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(batch.files().size(), 3u);
  EXPECT_EQ(batch.files()[0].first, "fig.png");
  EXPECT_EQ(batch.files()[0].second.substr(1, 3), "PNG");
  EXPECT_EQ(batch.files()[1].second.substr(0, 4), "%PDF");
}

}  // namespace
}  // namespace warmup
