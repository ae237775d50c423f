#include "lib/plot/gnuplot.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace warmup {
namespace {

std::string Quote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "''"}}), "'");
}

// Quoted literal text: enhanced-text markup (_ ^ { } @ &) shown as is. Run
// names and titles are literal; axis labels may use markup (w_t).
std::string Literal(const std::string& s) {
  return Quote(absl::StrReplaceAll(
      s, {{"_", "\\_"}, {"^", "\\^"}, {"{", "\\{"}, {"}", "\\}"},
          {"@", "\\@"}, {"&", "\\&"}}));
}

bool InPanel(const spec::Panel& panel, const spec::Series& s) {
  bool metric = s.metric() == panel.metric();
  for (const std::string& m : panel.also()) metric = metric || s.metric() == m;
  if (!metric) return false;
  const std::string x = panel.x().empty() ? "step" : panel.x();
  if (s.x_name() != x) return false;
  if (panel.runs().empty()) return true;
  for (const std::string& run : panel.runs()) {
    if (s.run() == run || s.run().rfind(run + "/", 0) == 0) return true;
  }
  return false;
}

// The schedule label of a run: "theory_warmup/seed1" -> "theory_warmup".
std::string Label(const std::string& run) {
  const size_t slash = run.rfind("/seed");
  return slash == std::string::npos ? run : run.substr(0, slash);
}

// Data blocks and plot commands of one panel.
void EmitPanel(const spec::Result& result, const spec::Panel& panel, int index,
               std::string* data, std::string* body) {
  std::map<std::string, double> scalars;
  for (const spec::Scalar& s : result.scalars()) scalars[s.name()] = s.value();
  std::string plots;
  std::set<std::string> labels;
  int block = 0;
  for (const spec::Series& s : result.series()) {
    if (!InPanel(panel, s)) continue;
    labels.insert(Label(s.run()));
    const bool colored = panel.color_by_step() && s.c_size() == s.x_size();
    const std::string name = absl::StrFormat("$p%d_%d", index, block++);
    absl::StrAppend(data, name, " << EOD\n");
    for (int i = 0; i < s.x_size() && i < s.y_size(); ++i) {
      const double x = s.x(i), y = s.y(i);
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      if ((panel.log_x() && x <= 0) || (panel.log_y() && y <= 0)) continue;
      absl::StrAppendFormat(data, "%.10g %.10g", x, y);
      if (colored) absl::StrAppendFormat(data, " %.10g", s.c(i));
      absl::StrAppend(data, "\n");
    }
    absl::StrAppend(data, "EOD\n");
    // A curve over step, horizon or rho; any other x is a scatter. Points
    // of an early transient (metric "*_transient") get an open mark.
    const bool scatter = !panel.x().empty() && panel.x() != "step" &&
                         panel.x() != "horizon" && panel.x() != "rho";
    const bool transient = absl::EndsWith(s.metric(), "_transient");
    const char* style = colored && transient ? " using 1:2:3 with points pt 6 ps 1.0 palette"
                        : colored            ? " using 1:2:3 with points pt 7 ps 0.6 palette"
                        : scatter            ? " using 1:2 with points pt 7 ps 0.6"
                        : s.x_size() > 50    ? " using 1:2 with lines lw 2"
                                             : " using 1:2 with linespoints lw 2";
    const std::string title =
        s.metric() == panel.metric() ? s.run() : s.run() + " (" + s.metric() + ")";
    absl::StrAppend(&plots, plots.empty() ? "" : ", \\\n  ", name, style,
                    " title ", Literal(title));
  }
  if (panel.envelope()) {
    for (const std::string& label : labels) {
      auto get = [&](const std::string& q) {
        auto it = scalars.find(label + "." + q);
        return it == scalars.end() ? std::nan("") : it->second;
      };
      // The fitted envelope when rho is identified; otherwise the envelope
      // at rho = 1, labelled as such.
      const bool identified = get("rho_identified") == 1.0;
      const double k0 = identified ? get("fit_k0") : get("env_rho1_k0");
      const double krho = identified ? get("fit_krho") : get("env_rho1_krho");
      const double rho = identified ? get("fit_rho") : 1.0;
      if (!std::isfinite(k0) || !std::isfinite(krho) || !std::isfinite(rho)) continue;
      const std::string title =
          identified ? absl::StrFormat("%s envelope: K0=%.3g, Krho=%.3g, rho=%.2f", label, k0,
                                       krho, rho)
                     : absl::StrFormat("%s: rho not identified; rho=1 envelope K0=%.3g, "
                                       "Krho=%.3g", label, k0, krho);
      absl::StrAppendFormat(
          &plots, "%s%.10g + %.10g * x**%.10g with lines lw 2 dt 2 lc rgb 'black' title %s",
          plots.empty() ? "" : ", \\\n  ", k0, krho, rho, Literal(title));
    }
  }
  absl::StrAppend(body, "set title ", Literal(panel.title()), "\n");
  absl::StrAppend(body, "set xlabel ",
                  Quote(panel.x_label().empty() ? (panel.x().empty() ? "step" : panel.x())
                                                : panel.x_label()),
                  "\n");
  absl::StrAppend(body, "set ylabel ",
                  Quote(panel.y_label().empty() ? panel.metric() : panel.y_label()),
                  "\n");
  absl::StrAppend(body, panel.log_x() ? "set logscale x\n" : "unset logscale x\n");
  absl::StrAppend(body, panel.log_y() ? "set logscale y\n" : "unset logscale y\n");
  absl::StrAppend(body, "set format x ", panel.log_x() ? "'10^{%L}'" : "'%g'", "\n");
  absl::StrAppend(body, "set format y ", panel.log_y() ? "'10^{%L}'" : "'%g'", "\n");
  absl::StrAppend(body, panel.color_by_step() ? "set colorbox\nset cblabel 'iteration'\n"
                                              : "unset colorbox\n");
  if (plots.empty()) {
    absl::StrAppend(body, "set label 1 'no data' at graph 0.5, 0.5 center\n",
                    "plot [0:1][0:1] NaN notitle\nunset label 1\n");
  } else {
    absl::StrAppend(body, "plot ", plots, "\n");
  }
}

}  // namespace

std::string GnuplotScript(const spec::Result& result, const spec::Figure& figure,
                          const std::string& title, const std::string& png_path,
                          const std::string& pdf_path) {
  const int width = figure.width_px() > 0 ? figure.width_px() : 1200;
  const int height = figure.height_px() > 0 ? figure.height_px() : 450;
  const int n = std::max(1, figure.panels_size());
  std::string data, body;
  absl::StrAppendFormat(&body, "set multiplot layout 1,%d title %s\n", n,
                        Literal(title));
  for (int i = 0; i < figure.panels_size(); ++i) {
    EmitPanel(result, figure.panels(i), i, &data, &body);
  }
  absl::StrAppend(&body, "unset multiplot\n");
  std::string script = "# Generated by the runner from the Result; data inline.\n";
  absl::StrAppend(&script, data);
  absl::StrAppend(&script,
                  "set key top right font ',9'\nset grid\nset mxtics\n"
                  "set palette defined (0 '#440154', 1 '#31688e', 2 '#35b779', 3 '#fde725')\n");
  absl::StrAppendFormat(&script,
                        "set terminal pngcairo size %d,%d enhanced font "
                        "'DejaVu Sans,11'\nset output %s\n",
                        width, height, Quote(png_path));
  absl::StrAppend(&script, body, "unset output\n");
  absl::StrAppendFormat(&script,
                        "set terminal pdfcairo size %.2fin,%.2fin enhanced "
                        "font 'DejaVu Sans,9'\nset output %s\n",
                        width / 100.0, height / 100.0, Quote(pdf_path));
  absl::StrAppend(&script, body, "unset output\n");
  return script;
}

absl::Status RenderFigure(const spec::Result& result, const spec::Figure& figure,
                          const std::string& title, const std::string& stem,
                          OutputBatch* batch) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "warmup_plot_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::FailedPreconditionError("cannot create a temporary folder");
  }
  const std::string dir = pattern;
  const std::string png = dir + "/" + stem + ".png";
  const std::string pdf = dir + "/" + stem + ".pdf";
  const std::string gp = dir + "/" + stem + ".gp";
  const std::string log = dir + "/gnuplot.log";
  absl::Status status = WriteFileAtomically(
      gp, GnuplotScript(result, figure, title, png, pdf));
  if (status.ok()) {
    const int rc = std::system(
        absl::StrCat("gnuplot ", Quote(gp), " > ", Quote(log), " 2>&1").c_str());
    if (rc != 0) {
      std::string why;
      (void)ReadFile(log, &why);
      status = absl::FailedPreconditionError(absl::StrCat(
          WEXITSTATUS(rc) == 127
              ? "gnuplot not found: install gnuplot-nox (tools/setup.sh does)"
              : "gnuplot failed",
          why.empty() ? "" : ": ", why.substr(0, 400)));
    }
  }
  std::string bytes;
  for (const std::string& path : {png, pdf}) {
    if (!status.ok()) break;
    status = ReadFile(path, &bytes);
    if (status.ok()) batch->Add(std::filesystem::path(path).filename(), bytes);
  }
  if (status.ok()) {
    // The script kept in the output renders next to itself.
    std::string script = GnuplotScript(result, figure, title, stem + ".png",
                                       stem + ".pdf");
    batch->Add(stem + ".gp", script);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return status;
}

}  // namespace warmup
