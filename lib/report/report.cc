#include "lib/report/report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "lib/io/markdown.h"
#include "lib/io/result_files.h"
#include "lib/spec/claim_op.h"

namespace warmup {
namespace {

std::string Html(const std::string& s) {
  return absl::StrReplaceAll(
      s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string Seconds(double s) {
  if (s < 0) return "-";
  if (s < 90) return absl::StrFormat("%.1f s", s);
  return absl::StrFormat("%.1f min", s / 60);
}

std::string Statement(const spec::Claim& c) {
  std::string lhs = c.metric();
  if (!c.divided_by().empty()) absl::StrAppend(&lhs, " / ", c.divided_by());
  if (!c.minus().empty()) absl::StrAppend(&lhs, " - ", c.minus());
  std::string s = absl::StrFormat("%s %s %g", lhs, ClaimOpSymbol(c.op()), c.threshold());
  if (c.op() == spec::Claim::EQ) absl::StrAppendFormat(&s, " +- %g", c.tolerance());
  return s;
}

// The spec's claim behind a verdict: its own, or an included spec's
// ("<name>.<id>").
const spec::Claim* ClaimOf(const ReportEntry& e, const std::string& id) {
  if (e.experiment != nullptr) {
    for (const spec::Claim& c : e.experiment->claims()) {
      if (c.id() == id) return &c;
    }
  }
  for (const spec::Experiment& part : e.includes) {
    for (const spec::Claim& c : part.claims()) {
      if (part.name() + "." + c.id() == id) return &c;
    }
  }
  return nullptr;
}

int Failed(const ReportEntry& e) {
  int n = 0;
  if (e.result != nullptr) {
    for (const auto& v : e.result->claims()) n += v.pass() ? 0 : 1;
  }
  return n;
}

int Drifted(const ReportEntry& e) {
  int n = 0;
  for (const ReferenceCheck& c : e.checks) n += c.ok ? 0 : 1;
  return n;
}

// Per-claim fields the report shows, from the verdict and its spec claim.
struct ClaimRow {
  std::string id, kind, value, comparison, rule, seeds, rationale, verdict;
  bool pass;
};

ClaimRow RowOf(const ReportEntry& e, const spec::ClaimVerdict& v) {
  const spec::Claim* c = ClaimOf(e, v.id());
  ClaimRow r;
  r.id = v.id();
  // The spec's kind when the claim is found (a reused older Result may not
  // carry one), else the verdict's.
  r.kind = c != nullptr ? ClaimKindName(c->kind()) : (v.kind().empty() ? "-" : v.kind());
  r.value = absl::StrFormat("%.6g", v.value());
  r.comparison = absl::StrFormat("%s %.6g", v.op(), v.threshold());
  if (v.op() == "==") absl::StrAppendFormat(&r.comparison, " +- %.3g", v.tolerance());
  r.rule = c == nullptr || c->tolerance_rule().empty() ? "stated in the rationale"
                                                       : c->tolerance_rule();
  r.seeds = c != nullptr && c->measured_seeds() > 0
                ? absl::StrFormat("%d (mean %.4g, sd %.3g)", c->measured_seeds(),
                                  c->measured_mean(), c->measured_sd())
                : "-";
  r.rationale = v.rationale();
  r.pass = v.pass();
  r.verdict = v.pass() ? "PASS" : "FAIL";
  if (!v.failure().empty()) absl::StrAppend(&r.verdict, " (", v.failure(), ")");
  return r;
}

std::string Provenance(const spec::Provenance& p) {
  std::string s = absl::StrFormat(
      "commit %s; spec %s (SHA-256 %s); device %s; threads %d; runtime %s; command `%s`",
      p.git_commit(), p.spec_path(), p.spec_sha256(), p.device(), p.threads(), p.runtime(),
      p.command_line());
  std::vector<std::string> versions;
  std::map<std::string, std::string> sorted(p.versions().begin(), p.versions().end());
  for (const auto& [k, v] : sorted) versions.push_back(absl::StrCat(k, " ", v));
  if (!versions.empty()) absl::StrAppend(&s, "; versions: ", absl::StrJoin(versions, ", "));
  if (!p.kernels().empty()) absl::StrAppend(&s, "; kernels: ", p.kernels());
  if (!p.determinism().empty()) absl::StrAppend(&s, "; ", p.determinism());
  return s;
}

// A Result table (the runner's tables: speed-up, fitted constants).
std::string TableHtml(const spec::Table& t) {
  std::string out = absl::StrCat("<p>Table <code>", Html(t.name()), "</code>:</p>\n<table><tr>");
  for (const std::string& c : t.columns()) absl::StrAppend(&out, "<th>", Html(c), "</th>");
  out += "</tr>\n";
  for (const auto& row : t.rows()) {
    out += "<tr>";
    for (const std::string& cell : row.cells()) absl::StrAppend(&out, "<td>", Html(cell), "</td>");
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string TableMarkdownOf(const spec::Table& t) {
  return absl::StrCat("Table `", t.name(), "`:\n\n", TableMarkdown(t), "\n");
}

const char kStyle[] = R"(
body { font-family: sans-serif; margin: 2em auto; max-width: 1300px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eee; }
td.pass, span.pass { color: #1a7f37; font-weight: bold; }
td.fail, span.fail { color: #c00; font-weight: bold; }
img.figure { max-width: 100%; border: 1px solid #ccc; }
img.broken { outline: 4px solid red; }
code { font-size: 0.9em; }
.small { font-size: 0.85em; color: #555; }
)";

// Marks every image that failed to load: the page itself shows it, and a
// headless browser's DOM dump reports it (tests/report).
const char kImageCheck[] = R"(
window.addEventListener('load', function () {
  var images = document.images, broken = 0;
  for (var i = 0; i < images.length; ++i) {
    var ok = images[i].complete && images[i].naturalWidth > 0;
    images[i].setAttribute('data-loaded', ok ? 'yes' : 'no');
    if (!ok) { images[i].className += ' broken'; ++broken; }
  }
  document.body.setAttribute('data-images-total', String(images.length));
  document.body.setAttribute('data-images-broken', String(broken));
});
)";

}  // namespace

std::string Base64(const std::string& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) |
                       uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::vector<ClaimCommand> ClaimCommands(const std::vector<spec::Experiment>& specs) {
  std::vector<ClaimCommand> out;
  for (const spec::Experiment& e : specs) {
    for (const spec::Claim& c : e.claims()) {
      ClaimCommand row;
      row.experiment = e.name();
      row.claim_id = c.id();
      row.kind = ClaimKindName(c.kind());
      row.statement = Statement(c);
      row.tiers = c.tiers().empty() ? "all" : absl::StrJoin(c.tiers(), ", ");
      const std::string tier = c.tiers().empty() ? "smoke" : c.tiers(0);
      row.reproduce =
          absl::StrCat("bazel run //:reproduce -- --tier=", tier, " --only=", e.name());
      const bool smoke = c.tiers().empty() ||
                         std::find(c.tiers().begin(), c.tiers().end(), "smoke") != c.tiers().end();
      row.test = smoke ? absl::StrCat("bazel test //figures:", e.name(), "_test") : "";
      out.push_back(row);
    }
  }
  return out;
}

// The summary table: one row per experiment.
std::string HtmlSummary(const std::vector<ReportEntry>& entries) {
  std::string out;
  out += "<h2>Summary</h2>\n<table><tr><th>experiment</th><th>status</th><th>claims passed</th>"
         "<th>claims failed</th><th>reference OK</th><th>reference drifted</th>"
         "<th>wall time</th></tr>\n";
  for (const ReportEntry& e : entries) {
    const int claims_n = e.result == nullptr ? 0 : e.result->claims_size();
    const int failed = Failed(e), drifted = Drifted(e);
    absl::StrAppend(
        &out, "<tr><td><a href=\"#", Html(e.name), "\">", Html(e.name), "</a></td><td>",
        Html(e.status), "</td><td>", claims_n - failed, "</td><td class=\"",
        failed ? "fail" : "pass", "\">", failed, "</td><td>",
        e.has_reference ? absl::StrCat(e.checks.size() - drifted) : "no reference",
        "</td><td class=\"", drifted ? "fail" : "pass", "\">",
        e.has_reference ? absl::StrCat(drifted) : "-", "</td><td>", Seconds(e.wall_seconds),
        "</td></tr>\n");
  }
  out += "</table>\n";
  return out;
}

// One experiment's section: caption, figure, tables, claims, reference and
// provenance.
std::string HtmlExperiment(const ReportEntry& e) {
  std::string out;
  absl::StrAppend(&out, "<h2 id=\"", Html(e.name), "\">", Html(e.name), "</h2>\n");
  if (e.experiment != nullptr) {
    absl::StrAppend(&out, "<p><b>", Html(e.experiment->title()), "</b>. ",
                    Html(e.experiment->description()), "</p>\n");
  }
  absl::StrAppend(&out, "<p class=\"small\">spec <code>", Html(e.spec_path),
                  "</code>; output <code>", Html(e.out_dir), "</code>; ", Html(e.status),
                  "; wall time ", Seconds(e.wall_seconds), "</p>\n");
  if (!e.figure_png.empty()) {
    absl::StrAppend(&out, "<p><img class=\"figure\" alt=\"", Html(e.name),
                    "\" src=\"data:image/png;base64,", Base64(e.figure_png), "\"></p>\n");
  }
  if (e.result == nullptr) return out;
  for (const spec::Table& t : e.result->tables()) out += TableHtml(t);
  if (e.result->claims_size() > 0) {
    out += "<table><tr><th>claim</th><th>kind</th><th>value</th><th>comparison</th>"
           "<th>tolerance rule</th>"
           "<th>seeds measured</th><th>rationale</th><th>verdict</th></tr>\n";
    for (const spec::ClaimVerdict& v : e.result->claims()) {
      const ClaimRow r = RowOf(e, v);
      absl::StrAppend(&out, "<tr><td>", Html(r.id), "</td><td>", Html(r.kind), "</td><td>",
                      Html(r.value), "</td><td>",
                      Html(r.comparison), "</td><td>", Html(r.rule), "</td><td>",
                      Html(r.seeds), "</td><td>", Html(r.rationale), "</td><td class=\"",
                      r.pass ? "pass" : "fail", "\">", Html(r.verdict), "</td></tr>\n");
    }
    out += "</table>\n";
  } else {
    out += "<p>No claims at this tier.</p>\n";
  }
  if (!e.has_reference) {
    out += "<p>Reference: none stored for this tier.</p>\n";
  } else {
    const int drifted = Drifted(e);
    absl::StrAppend(&out, "<p>Reference <code>", Html(e.reference_path), "</code>: ",
                    e.checks.size() - drifted, " OK, <span class=\"",
                    drifted ? "fail" : "pass", "\">", drifted, " drifted</span>.</p>\n");
    if (drifted > 0) {
      out += "<table><tr><th>drifted quantity</th></tr>\n";
      for (const ReferenceCheck& c : e.checks) {
        if (!c.ok) absl::StrAppend(&out, "<tr><td>", Html(ReferenceLine(c)), "</td></tr>\n");
      }
      out += "</table>\n";
    }
    out += "<details><summary>every compared quantity</summary><pre class=\"small\">";
    for (const ReferenceCheck& c : e.checks) absl::StrAppend(&out, Html(ReferenceLine(c)), "\n");
    out += "</pre></details>\n";
  }
  absl::StrAppend(&out, "<p class=\"small\">Provenance: ",
                  Html(Provenance(e.result->provenance())), "</p>\n");
  return out;
}

// The table of every claim with the commands that check it.
std::string HtmlClaimCommands(const std::vector<ClaimCommand>& claims) {
  std::string out;
  out += "<h2 id=\"claims-to-commands\">Claims and the commands that check them</h2>\n"
         "<table><tr><th>experiment</th><th>claim</th><th>kind</th><th>statement</th>"
         "<th>tiers</th>"
         "<th>regenerate</th><th>smoke test</th><th>stored time smoke / cpu / paper</th></tr>\n";
  for (const ClaimCommand& c : claims) {
    absl::StrAppend(&out, "<tr><td>", Html(c.experiment), "</td><td>", Html(c.claim_id),
                    "</td><td>", Html(c.kind), "</td><td><code>", Html(c.statement),
                    "</code></td><td>", Html(c.tiers),
                    "</td><td><code>", Html(c.reproduce), "</code></td><td><code>",
                    Html(c.test), "</code></td><td>", Seconds(c.stored_seconds_smoke), " / ",
                    Seconds(c.stored_seconds_cpu), " / ", Seconds(c.stored_seconds_paper),
                    "</td></tr>\n");
  }
  out += "</table>\n";
  return out;
}

std::string ReportHtml(const ReportHeader& h, const std::vector<ReportEntry>& entries,
                       const std::vector<ClaimCommand>& claims) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  absl::StrAppend(&out, "<title>Reproduction report (", Html(h.tier), " tier)</title>\n<style>",
                  kStyle, "</style>\n<script>", kImageCheck, "</script>\n</head><body>\n");
  absl::StrAppend(&out, "<h1>Reproduction report: ", Html(h.tier), " tier</h1>\n",
                  "<p class=\"small\">Generated ", Html(h.generated), " from commit <code>",
                  Html(h.git_commit), "</code> by <code>", Html(h.command_line),
                  "</code>; wall time ", Seconds(h.wall_seconds), ".</p>\n");
  if (!h.reference_rule.empty()) {
    absl::StrAppend(&out, "<p class=\"small\">", Html(h.reference_rule), "</p>\n");
  }
  out += HtmlSummary(entries);
  for (const ReportEntry& e : entries) out += HtmlExperiment(e);
  out += HtmlClaimCommands(claims);
  out += "</body></html>\n";
  return out;
}

// One experiment's section of report.md.
std::string MarkdownExperiment(const ReportEntry& e) {
  std::string out;
  absl::StrAppend(&out, "\n## ", e.name, "\n\n");
  if (e.experiment != nullptr) {
    absl::StrAppend(&out, "**", e.experiment->title(), ".** ", e.experiment->description(),
                    "\n\n");
  }
  absl::StrAppend(&out, "Spec `", e.spec_path, "`; output `", e.out_dir, "`; ", e.status,
                  "; wall time ", Seconds(e.wall_seconds), ".\n\n");
  if (!e.figure_path.empty()) absl::StrAppend(&out, "![", e.name, "](", e.figure_path, ")\n\n");
  if (e.result == nullptr) return out;
  for (const spec::Table& t : e.result->tables()) out += TableMarkdownOf(t);
  if (e.result->claims_size() > 0) {
    std::vector<std::vector<std::string>> rows;
    for (const spec::ClaimVerdict& v : e.result->claims()) {
      const ClaimRow r = RowOf(e, v);
      rows.push_back({r.id, r.kind, r.value, r.comparison, r.rule, r.seeds, r.rationale,
                      r.verdict});
    }
    out += MarkdownTable({"claim", "kind", "value", "comparison", "tolerance rule",
                          "seeds measured", "rationale", "verdict"},
                         rows);
    out += "\n";
  }
  if (!e.has_reference) {
    out += "Reference: none stored for this tier.\n\n";
  } else {
    const int drifted = Drifted(e);
    absl::StrAppend(&out, "Reference `", e.reference_path, "`: ", e.checks.size() - drifted,
                    " OK, ", drifted, " drifted.\n\n");
    for (const ReferenceCheck& c : e.checks) {
      if (!c.ok) absl::StrAppend(&out, "- `", ReferenceLine(c), "`\n");
    }
    if (drifted > 0) out += "\n";
  }
  absl::StrAppend(&out, "Provenance: ", Provenance(e.result->provenance()), "\n");
  return out;
}

std::string ReportMarkdown(const ReportHeader& h, const std::vector<ReportEntry>& entries,
                           const std::vector<ClaimCommand>& claims) {
  std::string out = absl::StrCat("# Reproduction report: ", h.tier, " tier\n\nGenerated ",
                                 h.generated, " from commit `", h.git_commit, "` by `",
                                 h.command_line, "`; wall time ", Seconds(h.wall_seconds),
                                 ".\n\n");
  if (!h.reference_rule.empty()) absl::StrAppend(&out, h.reference_rule, "\n\n");
  out += "## Summary\n\n";
  std::vector<std::vector<std::string>> summary;
  for (const ReportEntry& e : entries) {
    const int claims_n = e.result == nullptr ? 0 : e.result->claims_size();
    const int failed = Failed(e), drifted = Drifted(e);
    summary.push_back(
        {e.name, e.status, absl::StrCat(claims_n - failed), absl::StrCat(failed),
         e.has_reference ? absl::StrCat(e.checks.size() - drifted) : "no reference",
         e.has_reference ? absl::StrCat(drifted) : "-", Seconds(e.wall_seconds)});
  }
  out += MarkdownTable({"experiment", "status", "claims passed", "claims failed", "reference OK",
                        "reference drifted", "wall time"},
                       summary);
  for (const ReportEntry& e : entries) out += MarkdownExperiment(e);
  std::vector<std::vector<std::string>> commands;
  for (const ClaimCommand& c : claims) {
    commands.push_back({c.experiment, c.claim_id, c.kind, absl::StrCat("`", c.statement, "`"),
                        c.tiers, absl::StrCat("`", c.reproduce, "`"),
                        c.test.empty() ? "-" : absl::StrCat("`", c.test, "`"),
                        absl::StrCat(Seconds(c.stored_seconds_smoke), " / ",
                                     Seconds(c.stored_seconds_cpu), " / ",
                                     Seconds(c.stored_seconds_paper))});
  }
  out += "\n## Claims and the commands that check them\n\n";
  out += MarkdownTable({"experiment", "claim", "kind", "statement", "tiers", "regenerate",
                        "smoke test", "stored time smoke / cpu / paper"},
                       commands);
  return out;
}

}  // namespace warmup
