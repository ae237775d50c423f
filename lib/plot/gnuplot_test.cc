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
