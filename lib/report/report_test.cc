#include "lib/report/report.h"

#include "gtest/gtest.h"

namespace warmup {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64(std::string("\xff\x00\x80", 3)), "/wCA");
}

// One experiment with a failing claim, a drifted quantity and a figure.
struct Fixture {
  spec::Experiment experiment;
  spec::Result result;
  ReportEntry entry;
  Fixture() {
    experiment.set_name("toy");
    experiment.set_title("Toy <figure>");
    auto* claim = experiment.add_claims();
    claim->set_id("fast");
    claim->set_metric("a.steps");
    claim->set_op(spec::Claim::LE);
    claim->set_threshold(10);
    claim->set_tolerance_rule("exact");
    result.set_experiment("toy");
    auto* v = result.add_claims();
    v->set_id("fast");
    v->set_value(12);
    v->set_op("<=");
    v->set_threshold(10);
    v->set_pass(false);
    entry.name = "toy";
    entry.status = "ran";
    entry.experiment = &experiment;
    entry.result = &result;
    entry.figure_png = std::string("\x89PNG\r\n\x1a\n", 8);
    entry.has_reference = true;
    entry.checks = {{"scalar a.steps", 12, 11, 1e-9, false, ""}, {"scalar b", 1, 1, 0, true, ""}};
  }
};

TEST(ReportTest, HtmlIsSelfContainedAndCountsOutcomes) {
  Fixture f;
  const std::string html =
      ReportHtml({"smoke", "cmd", "abc", "now", 1.0, "References: 7 two-sample tests."},
                 {f.entry}, ClaimCommands({f.experiment}));
  EXPECT_NE(html.find("src=\"data:image/png;base64,iVBORw0KGgo=\""), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_NE(html.find("Toy &lt;figure&gt;"), std::string::npos);  // escaped
  // Summary row: 0 passed, 1 failed, 1 OK, 1 drifted.
  EXPECT_NE(html.find("<td>0</td><td class=\"fail\">1</td><td>1</td><td class=\"fail\">1</td>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("reference scalar a.steps: 12 vs 11"), std::string::npos);
  EXPECT_NE(html.find("References: 7 two-sample tests."), std::string::npos);
  EXPECT_NE(html.find("bazel run //:reproduce -- --tier=smoke --only=toy"), std::string::npos);
  // The claim's kind, in its row and in the claims-to-commands table.
  EXPECT_NE(html.find("<tr><td>fast</td><td>scientific</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<td>toy</td><td>fast</td><td>scientific</td>"), std::string::npos)
      << html;
}

// A regression check and a sanity check say so in both tables.
TEST(ReportTest, MarkdownNamesTheClaimKind) {
  Fixture f;
  f.experiment.mutable_claims(0)->set_kind(spec::Claim::REGRESSION);
  const std::string md =
      ReportMarkdown({"smoke", "cmd", "abc", "now", 1.0, ""}, {f.entry},
                     ClaimCommands({f.experiment}));
  EXPECT_NE(md.find("| fast | regression | 12 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| toy | fast | regression | `a.steps <= 10` |"), std::string::npos) << md;
}

TEST(ReportTest, MarkdownSummary) {
  Fixture f;
  const std::string md =
      ReportMarkdown({"smoke", "cmd", "abc", "now", 1.0, "References: 7 two-sample tests."},
                     {f.entry}, {});
  EXPECT_NE(md.find("References: 7 two-sample tests.\n\n## Summary"), std::string::npos) << md;
  EXPECT_NE(md.find("| toy | ran | 0 | 1 | 1 | 1 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| fast | scientific | 12 | <= 10 | exact |"), std::string::npos) << md;
}

}  // namespace
}  // namespace warmup
