#include "lib/plot/gnuplot.h"

#include <map>
#include <regex>
#include <set>

#include "absl/strings/str_split.h"
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
  EXPECT_NE(script.find("rho not identified"), std::string::npos);
  EXPECT_NE(script.find("with linespoints"), std::string::npos);  // the profile
}

// Densities (x = eigenvalue): one curve per recorded step, coloured by the
// step on the palette, one legend entry per step, drawn as density + 1e-7
// on a log axis as PyHessian's users plot it.
TEST(GnuplotScriptTest, DensityPanelDrawsOneCurvePerStep) {
  spec::Result r;
  for (const char* run : {"sgd/seed0/step0", "sgd/seed1/step0", "sgd/seed0/step300"}) {
    auto* s = r.add_series();
    s->set_run(run);
    s->set_metric("density");
    s->set_x_name("eigenvalue");
    const double step = std::string(run).find("step300") != std::string::npos ? 300 : 0;
    for (double x : {-1.0, 0.0, 2.0}) {
      s->add_x(x);
      s->add_y(x == 0.0 ? 0.5 : 0.0);
      s->add_c(step);
    }
  }
  spec::Figure fig;
  auto* p = fig.add_panels();
  p->set_title("density");
  p->set_metric("density");
  p->set_x("eigenvalue");
  p->set_log_y(true);
  p->set_color_by_step(true);
  const std::string script = GnuplotScript(r, fig, "densities", "a.png", "a.pdf");
  EXPECT_NE(script.find("lc palette cb 0 title 'step 0'"), std::string::npos) << script;
  EXPECT_NE(script.find("lc palette cb 0 notitle"), std::string::npos);  // second seed
  EXPECT_NE(script.find("lc palette cb 300 title 'step 300'"), std::string::npos);
  EXPECT_NE(script.find("set cbrange [0:300]"), std::string::npos);
  EXPECT_NE(script.find("\n-1 1e-07\n"), std::string::npos);  // zero density, floored
  EXPECT_NE(script.find("\n0 0.5000001\n"), std::string::npos);
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

// Figure 3's shape: two schedules x three seeds, a raw and a smoothed rate,
// and the loss; plus a third schedule drawn once.
spec::Result ThreeSchedulesThreeSeeds() {
  spec::Result r;
  for (const char* label : {"theory_warmup", "linear_warmup", "constant"}) {
    for (int seed = 0; seed < 3; ++seed) {
      for (const char* metric : {"lr", "lr_smoothed", "loss"}) {
        auto* s = r.add_series();
        s->set_run(std::string(label) + "/seed" + std::to_string(seed));
        s->set_metric(metric);
        s->set_x_name("step");
        for (int i = 0; i < 100; ++i) {
          s->add_x(i);
          s->add_y(2.0 + 0.01 * seed - 0.005 * i);
        }
      }
    }
  }
  return r;
}

spec::Figure Fig3Panels() {
  spec::Figure fig;
  auto* lr = fig.add_panels();
  lr->set_metric("lr");
  lr->add_also("lr_smoothed");
  auto* loss = fig.add_panels();
  loss->set_metric("loss");
  loss->set_log_y(true);
  return fig;
}

// Every legend entry of one rendering of the script (the PNG pass): the
// schedule label (title up to " (" or ","), its colour, and the panel.
struct LegendEntry {
  std::string label, title, colour;
  int panel;
};

std::vector<LegendEntry> Legend(const std::string& script) {
  std::vector<LegendEntry> out;
  const std::string png = script.substr(0, script.find("set terminal pdfcairo"));
  const std::regex entry("lc rgb '(#[0-9a-f]{6})' title '([^']*)'");
  int panel = -1;
  for (const auto& line : absl::StrSplit(png, '\n')) {
    const std::string l(line);
    if (l.rfind("set title", 0) == 0) ++panel;
    std::smatch m;
    if (!std::regex_search(l, m, entry)) continue;
    std::string title = m[2];
    std::string label = title.substr(0, title.find_first_of(" ,"));
    label = std::regex_replace(label, std::regex("\\\\_"), "_");
    out.push_back({label, title, m[1], panel});
  }
  return out;
}

TEST(GnuplotColourTest, OneColourPerScheduleAndOneLegendEntry) {
  const std::string script =
      GnuplotScript(ThreeSchedulesThreeSeeds(), Fig3Panels(), "Fig 3", "a.png", "a.pdf");
  const std::vector<LegendEntry> legend = Legend(script);
  // Panel 1: 3 schedules x (lr, lr_smoothed); panel 2: 3 schedules x loss.
  ASSERT_EQ(legend.size(), 9u) << script;
  std::map<std::string, std::set<std::string>> colours_of_label;
  std::map<std::string, std::set<std::string>> labels_of_colour;
  std::map<std::pair<int, std::string>, int> entries;
  for (const LegendEntry& e : legend) {
    colours_of_label[e.label].insert(e.colour);
    labels_of_colour[e.colour].insert(e.label);
    ++entries[{e.panel, e.title}];
  }
  EXPECT_EQ(colours_of_label.size(), 3u);
  for (const auto& [label, colours] : colours_of_label) {
    EXPECT_EQ(colours.size(), 1u) << label << " drawn in several colours";
  }
  for (const auto& [colour, labels] : labels_of_colour) {
    EXPECT_EQ(labels.size(), 1u) << colour << " shared by several schedules";
  }
  for (const auto& [key, n] : entries) EXPECT_EQ(n, 1) << key.second;  // seeds merged
  // Seeds drawn as a band in the schedule's hue, without a legend entry.
  EXPECT_NE(script.find("with filledcurves fc rgb '" + legend[0].colour +
                        "' fs transparent solid 0.2 noborder notitle"),
            std::string::npos);
}

TEST(GnuplotColourTest, ManySchedulesStillDistinct) {
  spec::Result r;
  for (int k = 0; k < 30; ++k) {
    auto* s = r.add_series();
    s->set_run("schedule" + std::to_string(k));
    s->set_metric("gap");
    s->set_x_name("step");
    s->add_x(0);
    s->add_y(1);
  }
  spec::Figure fig;
  fig.add_panels()->set_metric("gap");
  const auto colours = FigureColours(r, fig);
  std::set<std::string> distinct;
  for (const auto& [label, colour] : colours) distinct.insert(colour);
  EXPECT_EQ(colours.size(), 30u);
  EXPECT_EQ(distinct.size(), 30u);
}

TEST(GnuplotRangeTest, AxesFitTheData) {
  // Losses between 1.5 and 2.5 on a log axis: the range hugs the data
  // instead of spanning decades, with readable tics.
  const std::string script =
      GnuplotScript(ThreeSchedulesThreeSeeds(), Fig3Panels(), "Fig 3", "a.png", "a.pdf");
  EXPECT_NE(script.find("set xrange [0:99]"), std::string::npos) << script;
  const std::regex yrange("set yrange \\[([0-9.e+-]+):([0-9.e+-]+)\\]\nset ytics \\(");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(script, m, yrange)) << script;
  EXPECT_GT(std::stod(m[1]), 1.2);
  EXPECT_LT(std::stod(m[2]), 2.6);
}

TEST(GnuplotEnvelopeTest, DrawnOverThePointsItCovers) {
  spec::Result r;
  auto* s = r.add_series();
  s->set_run("sgd/seed0");
  s->set_metric("smoothness");
  s->set_x_name("gap");
  for (double gap : {0.5, 1.0, 2.0}) {
    s->add_x(gap);
    s->add_y(1 + gap);
  }
  for (const auto& [q, v] : std::map<std::string, double>{
           {"fit_k0", 1}, {"fit_krho", 1}, {"fit_rho", 1}, {"rho_identified", 1}}) {
    auto* sc = r.add_scalars();
    sc->set_name("sgd." + q);
    sc->set_value(v);
  }
  spec::Figure fig;
  auto* p = fig.add_panels();
  p->set_metric("smoothness");
  p->set_x("gap");
  p->set_log_x(true);
  p->set_envelope(true);
  const std::string script = GnuplotScript(r, fig, "Fig 1", "a.png", "a.pdf");
  // The envelope's data block starts at the smallest gap and ends at the
  // largest: "0.5 1.5" first, "2 3" last.
  const size_t block = script.find("$p0_1 << EOD\n");
  ASSERT_NE(block, std::string::npos) << script;
  EXPECT_EQ(script.substr(block + 13, 8), "0.5 1.5\n");
  EXPECT_NE(script.find("\n2 3\nEOD", block), std::string::npos);
  EXPECT_NE(script.find("envelope: K0=1"), std::string::npos);
}

}  // namespace
}  // namespace warmup
