#include "lib/plot/gnuplot.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
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

// ------------------------------------------------ colours, seeds, ranges

// Colour-blind-safe colours (Okabe and Ito, then Tableau's), one per schedule
// label; labels beyond the list get distinct generated hues.
const char* const kLabelColours[] = {"#0072b2", "#e69f00", "#009e73", "#d55e00",
                                     "#cc79a7", "#56b4e9", "#000000", "#8c564b",
                                     "#7f7f7f", "#bcbd22", "#17becf", "#9467bd"};

std::string GeneratedColour(int k) {
  // Golden-angle hues at fixed saturation and value: distinct for every k.
  const double h = std::fmod(k * 137.508, 360.0) / 60.0;
  const double c = 0.75, x = c * (1 - std::abs(std::fmod(h, 2.0) - 1)), m = 0.15;
  double r = 0, g = 0, b = 0;
  switch (static_cast<int>(h)) {
    case 0: r = c; g = x; break;
    case 1: r = x; g = c; break;
    case 2: g = c; b = x; break;
    case 3: g = x; b = c; break;
    case 4: r = x; b = c; break;
    default: r = c; b = x; break;
  }
  return absl::StrFormat("#%02x%02x%02x", static_cast<int>((r + m) * 255),
                         static_cast<int>((g + m) * 255), static_cast<int>((b + m) * 255));
}

}  // namespace

std::map<std::string, std::string> FigureColours(const spec::Result& result,
                                                 const spec::Figure& figure) {
  std::map<std::string, std::string> colours;
  std::set<std::string> used;
  int next = 0;
  for (const spec::Panel& panel : figure.panels()) {
    for (const spec::Series& s : result.series()) {
      if (!InPanel(panel, s) || colours.count(Label(s.run())) > 0) continue;
      std::string colour;
      do {
        colour = next < static_cast<int>(std::size(kLabelColours)) ? kLabelColours[next]
                                                                   : GeneratedColour(next);
        ++next;
      } while (used.count(colour) > 0);
      used.insert(colour);
      colours[Label(s.run())] = colour;
    }
  }
  return colours;
}

namespace {

// The seeds of one schedule and metric merged on their common steps: mean
// and min-max band. Seeds that ended early (diverged) shorten the band.
struct SeedBand {
  std::vector<double> x, mean, lo, hi;
  int seeds = 0;
};

SeedBand MergeSeeds(const std::vector<const spec::Series*>& seeds) {
  SeedBand band;
  band.seeds = seeds.size();
  const spec::Series& first = *seeds.front();
  for (int i = 0; i < std::min(first.x_size(), first.y_size()); ++i) {
    double sum = 0, lo = HUGE_VAL, hi = -HUGE_VAL;
    int n = 0;
    for (const spec::Series* s : seeds) {
      if (i >= s->x_size() || i >= s->y_size() || s->x(i) != first.x(i)) break;
      sum += s->y(i);
      lo = std::min(lo, s->y(i));
      hi = std::max(hi, s->y(i));
      ++n;
    }
    if (n != band.seeds) break;
    band.x.push_back(first.x(i));
    band.mean.push_back(sum / n);
    band.lo.push_back(lo);
    band.hi.push_back(hi);
  }
  return band;
}

// The extent of what a panel draws, per axis.
struct Extent {
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  void Add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

// Tic marks for a log axis spanning less than two decades, where gnuplot
// would label one power of ten or none: 1-2-5 steps, or 1..9 when sparse.
std::string NarrowLogTics(double lo, double hi) {
  for (const std::vector<int>& mantissas : {std::vector<int>{1, 2, 5},
                                            std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
    std::vector<std::string> tics;
    for (int e = static_cast<int>(std::floor(std::log10(lo))) - 1;
         e <= static_cast<int>(std::ceil(std::log10(hi))); ++e) {
      for (int m : mantissas) {
        const double v = m * std::pow(10.0, e);
        if (v >= lo && v <= hi) tics.push_back(absl::StrFormat("%g", v));
      }
    }
    if (tics.size() >= 3 || mantissas.size() == 9) {
      return absl::StrCat("(", absl::StrJoin(tics, ", "), ")");
    }
  }
  return "autofreq";
}

// Range, tics and format of one axis, fitted to the data: an index axis
// (step, horizon) exactly, a value axis with 5% of margin (linear) or a
// factor 1.15 (log).
std::string AxisCommands(const char* axis, const Extent& e, bool log, bool index_axis) {
  std::string out;
  if (e.empty()) {
    absl::StrAppend(&out, "set autoscale ", axis, "\nset ", axis, "tics autofreq\n");
    absl::StrAppend(&out, "set format ", axis, log ? " '10^{%L}'\n" : " '%g'\n");
    return out;
  }
  double lo = e.lo, hi = e.hi;
  if (log) {
    lo = index_axis ? lo : lo / 1.15;
    hi = index_axis ? hi : hi * 1.15;
    if (hi <= lo) hi = lo * 10;
  } else {
    const double pad = index_axis ? 0.0 : 0.05 * (hi - lo);
    lo -= pad;
    hi += pad;
    if (hi <= lo) {
      const double half = std::max(std::abs(lo) * 0.05, 1e-12);
      lo -= half;
      hi += half;
    }
  }
  absl::StrAppendFormat(&out, "set %srange [%.10g:%.10g]\n", axis, lo, hi);
  if (log && hi / lo < 100) {
    absl::StrAppend(&out, "set ", axis, "tics ", NarrowLogTics(lo, hi), "\nset format ", axis,
                    " '%g'\n");
  } else {
    absl::StrAppend(&out, "set ", axis, "tics autofreq\nset format ", axis,
                    log ? " '10^{%L}'\n" : " '%g'\n");
  }
  return out;
}

// Whether a point can be drawn on the panel's axes.
bool Drawable(const spec::Panel& panel, double x, double y) {
  return std::isfinite(x) && std::isfinite(y) && !(panel.log_x() && x <= 0) &&
         !(panel.log_y() && y <= 0);
}

// The panel's title, axis labels, scales and ranges (`index_x`: an index
// axis, drawn exactly), then its plot command (or "no data").
void EmitFrame(const spec::Panel& panel, const Extent& ex, const Extent& ey, bool index_x,
               const std::string& plots, std::string* body) {
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
  absl::StrAppend(body, AxisCommands("x", ex, panel.log_x(), index_x));
  absl::StrAppend(body, AxisCommands("y", ey, panel.log_y(), false));
  absl::StrAppend(body, panel.color_by_step() ? "set colorbox\nset cblabel 'iteration'\n"
                                              : "unset colorbox\n");
  if (plots.empty()) {
    absl::StrAppend(body, "set label 1 'no data' at graph 0.5, 0.5 center\n",
                    "plot [0:1][0:1] NaN notitle\nunset label 1\n");
  } else {
    absl::StrAppend(body, "plot ", plots, "\n");
  }
}

// The floor PyHessian's users add before drawing a density on a log axis
// (plt.semilogy(grids, density + 1e-7)), so that its tails stay drawn.
constexpr double kDensityFloor = 1e-7;

// A panel over x = eigenvalue: one curve per recorded density (run
// "<run>/step<k>", c = k), coloured by its step on the palette, one legend
// entry per step; on a log y axis drawn as density + 1e-7, as PyHessian's
// users plot it.
void EmitDensityPanel(const spec::Result& result, const spec::Panel& panel, int index,
                      std::string* data, std::string* body) {
  std::vector<const spec::Series*> curves;
  Extent steps;
  for (const spec::Series& s : result.series()) {
    if (!InPanel(panel, s)) continue;
    curves.push_back(&s);
    if (s.c_size() > 0) steps.Add(s.c(0));
  }
  const double floor = panel.log_y() ? kDensityFloor : 0.0;
  std::string plots;
  Extent ex, ey;
  std::set<double> titled;
  for (size_t k = 0; k < curves.size(); ++k) {
    const spec::Series& s = *curves[k];
    const double step = s.c_size() > 0 ? s.c(0) : 0.0;
    const std::string name = absl::StrFormat("$p%d_%d", index, k);
    absl::StrAppend(data, name, " << EOD\n");
    for (int i = 0; i < s.x_size() && i < s.y_size(); ++i) {
      if (!Drawable(panel, s.x(i), s.y(i) + floor)) continue;
      ex.Add(s.x(i));
      ey.Add(s.y(i) + floor);
      absl::StrAppendFormat(data, "%.10g %.10g\n", s.x(i), s.y(i) + floor);
    }
    absl::StrAppend(data, "EOD\n");
    const std::string legend = titled.insert(step).second
                                   ? absl::StrCat("title ", Literal(absl::StrFormat("step %.0f", step)))
                                   : std::string("notitle");
    absl::StrAppendFormat(&plots, "%s%s using 1:2 with lines lw 1.5 lc palette cb %.10g %s",
                          plots.empty() ? "" : ", \\\n  ", name, step, legend);
  }
  if (!steps.empty()) {
    const double pad = steps.hi > steps.lo ? 0.0 : 1.0;
    absl::StrAppendFormat(body, "set cbrange [%.10g:%.10g]\n", steps.lo - pad, steps.hi + pad);
  }
  EmitFrame(panel, ex, ey, false, plots, body);
  absl::StrAppend(body, "set autoscale cb\n");
}

// Data blocks and plot commands of one panel: one colour per schedule label
// (`colours`), seeds merged into a mean line and a min-max band, one legend
// entry per schedule and metric, axes fitted to the data.
// Writes one panel's data blocks and plot commands: each (label, metric)
// group of series as a scatter, a seed band with its mean, or a line, then
// the fitted envelopes. Blocks are named $p<panel>_<k> in order.
class PanelWriter {
 public:
  PanelWriter(const spec::Panel& panel, int index, std::string* data)
      : panel_(panel), index_(index), data_(data) {}

  // Every seed of a scatter group as its own block of points.
  void Scatter(const std::string& label, const std::string& title, const std::string& metric,
               const std::vector<const spec::Series*>& seeds, const std::string& colour) {
    if (point_type_.count(label) == 0) point_type_[label] = 7 + 2 * label_index_++;
    // Points of an early transient (metric "*_transient") get an open mark.
    const int mark = absl::EndsWith(metric, "_transient") ? 6 : point_type_[label];
    for (size_t k = 0; k < seeds.size(); ++k) {
      const spec::Series& s = *seeds[k];
      const bool colored = panel_.color_by_step() && s.c_size() == s.x_size();
      const std::string name = OpenBlock();
      for (int i = 0; i < s.x_size() && i < s.y_size(); ++i) {
        if (!Drawable(panel_, s.x(i), s.y(i))) continue;
        ex_.Add(s.x(i));
        ey_.Add(s.y(i));
        label_x_[label].Add(s.x(i));
        absl::StrAppendFormat(data_, "%.10g %.10g", s.x(i), s.y(i));
        if (colored) absl::StrAppendFormat(data_, " %.10g", s.c(i));
        absl::StrAppend(data_, "\n");
      }
      absl::StrAppend(data_, "EOD\n");
      const std::string legend =
          k == 0 ? absl::StrCat(" title ", Literal(seeds.size() > 1
                                                       ? absl::StrFormat("%s (%d seeds)", title,
                                                                         seeds.size())
                                                       : title))
                 : " notitle";
      AddPlot(colored ? absl::StrFormat("%s using 1:2:3 with points pt %d ps 0.6 palette%s",
                                        name, mark, legend)
                      : absl::StrFormat("%s using 1:2 with points pt %d ps 0.6 lc rgb '%s'%s",
                                        name, mark, colour, legend));
    }
  }

  // Several seeds of a curve: their mean, and their min-max range shaded.
  void Band(const std::string& title, const std::vector<const spec::Series*>& seeds,
            const std::string& colour, int dash) {
    const std::string name = OpenBlock();
    const SeedBand band = MergeSeeds(seeds);
    for (size_t i = 0; i < band.x.size(); ++i) {
      if (!Drawable(panel_, band.x[i], band.lo[i]) || !Drawable(panel_, band.x[i], band.hi[i])) {
        continue;
      }
      ex_.Add(band.x[i]);
      ey_.Add(band.lo[i]);
      ey_.Add(band.hi[i]);
      absl::StrAppendFormat(data_, "%.10g %.10g %.10g %.10g\n", band.x[i], band.lo[i],
                            band.hi[i], band.mean[i]);
    }
    absl::StrAppend(data_, "EOD\n");
    AddPlot(absl::StrFormat(
        "%s using 1:2:3 with filledcurves fc rgb '%s' fs transparent solid 0.2 noborder "
        "notitle",
        name, colour));
    AddPlot(absl::StrFormat("%s using 1:4 with lines lw 2 dt %d lc rgb '%s' title %s", name,
                            dash, colour,
                            Literal(absl::StrFormat("%s, mean and range of %d seeds", title,
                                                    band.seeds))));
  }

  // One seed's curve.
  void Line(const std::string& title, const spec::Series& s, const std::string& colour,
            int dash) {
    const std::string name = OpenBlock();
    for (int i = 0; i < s.x_size() && i < s.y_size(); ++i) {
      if (!Drawable(panel_, s.x(i), s.y(i))) continue;
      ex_.Add(s.x(i));
      ey_.Add(s.y(i));
      absl::StrAppendFormat(data_, "%.10g %.10g\n", s.x(i), s.y(i));
    }
    absl::StrAppend(data_, "EOD\n");
    AddPlot(absl::StrFormat("%s using 1:2 with %s lw 2 dt %d lc rgb '%s' title %s", name,
                            s.x_size() > 50 ? "lines" : "linespoints pt 7 ps 0.8", dash, colour,
                            Literal(title)));
  }

  // Each scattered label's envelope over the points it covers: the fitted
  // one when rho is identified, otherwise the envelope at rho = 1, labelled
  // as such.
  void Envelopes(const spec::Result& result) {
    std::map<std::string, double> scalars;
    for (const spec::Scalar& s : result.scalars()) scalars[s.name()] = s.value();
    for (const auto& [label, range] : label_x_) {
      auto get = [&](const std::string& q) {
        auto it = scalars.find(label + "." + q);
        return it == scalars.end() ? std::nan("") : it->second;
      };
      const bool identified = get("rho_identified") == 1.0;
      const double k0 = identified ? get("fit_k0") : get("env_rho1_k0");
      const double krho = identified ? get("fit_krho") : get("env_rho1_krho");
      const double rho = identified ? get("fit_rho") : 1.0;
      if (!std::isfinite(k0) || !std::isfinite(krho) || !std::isfinite(rho) || range.empty()) {
        continue;
      }
      const std::string name = OpenBlock();
      constexpr int kSamples = 60;
      for (int i = 0; i < kSamples; ++i) {
        const double t = i / (kSamples - 1.0);
        const double x = panel_.log_x() && range.lo > 0
                             ? range.lo * std::pow(range.hi / range.lo, t)
                             : range.lo + t * (range.hi - range.lo);
        const double y = k0 + krho * std::pow(x, rho);
        if (!Drawable(panel_, x, y)) continue;
        ey_.Add(y);
        absl::StrAppendFormat(data_, "%.10g %.10g\n", x, y);
      }
      absl::StrAppend(data_, "EOD\n");
      AddPlot(absl::StrFormat(
          "%s using 1:2 with lines lw 2 dt 2 lc rgb 'black' title %s", name,
          Literal(identified ? absl::StrFormat("%s envelope: K0=%.3g, Krho=%.3g, rho=%.2f",
                                               label, k0, krho, rho)
                             : absl::StrFormat("%s: rho not identified; rho=1 envelope "
                                               "K0=%.3g, Krho=%.3g", label, k0, krho))));
    }
  }

  void Frame(bool lines, std::string* body) const {
    EmitFrame(panel_, ex_, ey_, lines, plots_, body);
  }

 private:
  // Starts the next data block; returns its name.
  std::string OpenBlock() {
    const std::string name = absl::StrFormat("$p%d_%d", index_, block_++);
    absl::StrAppend(data_, name, " << EOD\n");
    return name;
  }

  void AddPlot(const std::string& command) {
    absl::StrAppend(&plots_, plots_.empty() ? "" : ", \\\n  ", command);
  }

  const spec::Panel& panel_;
  const int index_;
  std::string* data_;
  std::string plots_;
  Extent ex_, ey_;
  std::map<std::string, Extent> label_x_;  // for the envelopes
  int block_ = 0, label_index_ = 0;
  std::map<std::string, int> point_type_;
};

void EmitPanel(const spec::Result& result, const spec::Panel& panel, int index,
               const std::map<std::string, std::string>& colours, std::string* data,
               std::string* body) {
  if (panel.x() == "eigenvalue") {
    EmitDensityPanel(result, panel, index, data, body);
    return;
  }
  // Series grouped by (label, metric), in order of first appearance.
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::vector<const spec::Series*>> groups;
  for (const spec::Series& s : result.series()) {
    if (!InPanel(panel, s)) continue;
    const auto key = std::make_pair(Label(s.run()), s.metric());
    if (groups[key].empty()) order.push_back(key);
    groups[key].push_back(&s);
  }
  // A curve over step, horizon or rho; any other x is a scatter.
  const bool scatter = !panel.x().empty() && panel.x() != "step" && panel.x() != "horizon" &&
                       panel.x() != "rho";
  PanelWriter writer(panel, index, data);
  for (const auto& [label, metric] : order) {
    const std::vector<const spec::Series*>& seeds = groups[{label, metric}];
    const std::string colour = colours.count(label) ? colours.at(label) : "#000000";
    // The panel's own metric solid; `also` metrics dashed in the same hue.
    int dash = 1;
    for (int i = 0; i < panel.also_size(); ++i) {
      if (panel.also(i) == metric) dash = i + 2;
    }
    const std::string title = metric == panel.metric() ? label : label + " (" + metric + ")";
    if (scatter) {
      writer.Scatter(label, title, metric, seeds, colour);
    } else if (seeds.size() > 1) {
      writer.Band(title, seeds, colour, dash);
    } else {
      writer.Line(title, *seeds.front(), colour, dash);
    }
  }
  if (panel.envelope()) writer.Envelopes(result);
  writer.Frame(!scatter, body);
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
  const std::map<std::string, std::string> colours = FigureColours(result, figure);
  for (int i = 0; i < figure.panels_size(); ++i) {
    EmitPanel(result, figure.panels(i), i, colours, &data, &body);
  }
  absl::StrAppend(&body, "unset multiplot\n");
  std::string script = "# Generated by the runner from the Result; data inline.\n";
  absl::StrAppend(&script, data);
  // The legend goes below each panel, where it never hides data.
  absl::StrAppend(&script,
                  "set key below font ',9'\nset grid\nset mxtics\n"
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
