#ifndef WARMUP_LIB_PLOT_GNUPLOT_H_
#define WARMUP_LIB_PLOT_GNUPLOT_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "lib/io/output_batch.h"
#include "proto/experiment.pb.h"
#include "proto/result.pb.h"

namespace warmup {

// The gnuplot script that draws `figure` from the Result's series, with the
// data inline, rendering PNG to `png_path` and PDF to `pdf_path`. Series on a
// log axis drop their non-positive points; diverged runs simply end early.
std::string GnuplotScript(const spec::Result& result, const spec::Figure& figure,
                          const std::string& title, const std::string& png_path,
                          const std::string& pdf_path);

// One colour per schedule label ("theory_warmup" for the runs
// "theory_warmup/seed0", "/seed1", ...) over the whole figure, so that a
// schedule keeps its colour in every panel and no two schedules share one.
std::map<std::string, std::string> FigureColours(const spec::Result& result,
                                                 const spec::Figure& figure);

// Renders the figure with gnuplot into a private temporary folder and adds
// <stem>.png, <stem>.pdf and <stem>.gp (the script, for reuse) to `batch`.
// FailedPrecondition when gnuplot is missing or fails.
absl::Status RenderFigure(const spec::Result& result, const spec::Figure& figure,
                          const std::string& title, const std::string& stem,
                          OutputBatch* batch);

}  // namespace warmup

#endif  // WARMUP_LIB_PLOT_GNUPLOT_H_
