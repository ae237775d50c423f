// bench:all: this artifact against the Python tools a user would otherwise
// run, measured side by side in one run with the two sides alternating:
// medians (min, max) over --repeats after a warm-up. Both sides do identical
// work, and each row says how: the same torch (LibTorch from the project's
// .venv, and its Python package), weights, batch, memory layout, iteration
// counts and stopping rule, with a warm-up inside every timed process. Writes
// a Markdown table and a CSV to out/bench/ (or --out) and prints the table.
// Never a test. Needs tools/setup.sh --full (the Python side). One file on
// purpose: it is a LibTorch translation unit (about 40 s and 1.2 GB to
// compile each), and its sections share the alternating-run harness.
//
//   bazel run //bench:all [-- --repeats=5 --threads=2 --sections=... --figures]
#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <torch/version.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/curvature/double_backward.h"
#include "lib/curvature/hessian.h"
#include "lib/curvature/spectrum.h"
#include "lib/engines/network.h"
#include "lib/io/markdown.h"
#include "lib/io/output_batch.h"
#include "lib/io/provenance.h"
#include "lib/nn/nanogpt.h"
#include "lib/nn/resnet.h"
#include "lib/optim/gradient_descent.h"
#include "lib/problems/river_valley.h"
#include "lib/runner/runner.h"
#include "lib/runtime/runtime.h"
#include "lib/schedule/schedule.h"
#include "bench/timing.h"

ABSL_FLAG(int, repeats, 5, "alternating repeats per measurement (after one warm-up)");
ABSL_FLAG(int, threads, 2, "LibTorch threads on both sides");
ABSL_FLAG(std::string, out, "", "output folder; default out/bench in the workspace");
ABSL_FLAG(std::string, sections, "optimizer,networks,spectrum",
          "comma-separated sections to run: optimizer, networks (training step, HVP with and "
          "without the custom kernels, curvature against PyHessian), spectrum (top-k "
          "eigenvalues, trace and density against PyHessian), scaling (C++ only)");
ABSL_FLAG(int, spectrum_k, 5, "spectrum section: eigenvalues of the top-k rows");
ABSL_FLAG(int, spectrum_probes, 100,
          "spectrum section: probes (HVPs) of the trace rows on both sides");
ABSL_FLAG(int, density_runs, 1, "spectrum section: SLQ runs on both sides (PyHessian's n_v)");
ABSL_FLAG(int, density_steps, 100,
          "spectrum section: Lanczos steps per run on both sides (PyHessian's iter)");
ABSL_FLAG(int, reference_hvps, 600,
          "spectrum section: probes of the untimed Hutchinson reference for the trace and the "
          "density's moments");
ABSL_FLAG(bool, figures, false,
          "also time every figure target at the cpu tier once (about 30 minutes; needs "
          "WARMUP_DATA_DIR)");

namespace warmup {
namespace {

// A value of one JSON line printed by bench/py/reference.py.
double JsonNumber(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return std::nan("");
  return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

std::string JsonString(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\": \"");
  if (at == std::string::npos) return "?";
  const size_t start = at + key.size() + 5;
  return json.substr(start, json.find('"', start) - start);
}

// A flat array of numbers of one JSON line printed by bench/py/reference.py.
std::vector<double> JsonNumbers(const std::string& json, const std::string& key) {
  std::vector<double> out;
  const size_t at = json.find("\"" + key + "\": [");
  if (at == std::string::npos) return out;
  const char* p = json.c_str() + at + key.size() + 5;
  while (*p != ']' && *p != '\0') {
    char* end = nullptr;
    const double v = std::strtod(p, &end);
    if (end == p) break;
    out.push_back(v);
    p = end;
    while (*p == ',' || *p == ' ') ++p;
  }
  return out;
}

// The project's .venv Python (tools/setup.sh --full): the same torch 2.11.0
// the C++ side links.
std::string& PythonBinary() {
  static auto* path = new std::string(".venv/bin/python");
  return *path;
}

// Runs the Python reference with the same thread and allocator settings and
// returns its JSON line. A failing reference is an error: the benchmark stops
// with its output and exit status 2.
std::string Python(const std::string& args) {
  const std::string command = absl::StrCat(
      "OPENBLAS_NUM_THREADS=1 MALLOC_MMAP_THRESHOLD_=1073741824 "
      "MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=536870912 '",
      PythonBinary(), "' bench/py/reference.py ", args, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  std::string out, last;
  char buf[4096];
  // A JSON line (a density's nodes and weights) can be longer than the
  // buffer: the last line that starts with '{' is kept whole.
  size_t line_start = 0;
  while (pipe != nullptr && std::fgets(buf, sizeof(buf), pipe) != nullptr) {
    out += buf;
    if (out.back() != '\n') continue;
    if (out[line_start] == '{') last = out.substr(line_start);
    line_start = out.size();
  }
  if (line_start < out.size() && out[line_start] == '{') last = out.substr(line_start);
  const int status = pipe != nullptr ? pclose(pipe) : -1;
  if (status != 0 || last.empty()) {
    std::fprintf(stderr, "bench: the Python reference failed (status %d): %s\n%s\n", status,
                 command.c_str(), out.c_str());
    std::exit(2);
  }
  return last;
}

struct Row {
  std::string section, item, cpp, python, ratio, goal, met;
};

std::string Cell(const Stats& s, double scale, const char* unit) {
  return absl::StrFormat("%.3g %s (%.3g-%.3g)", s.median * scale, unit, s.min * scale,
                         s.max * scale);
}

class Bench {
 public:
  Bench(int repeats, int threads) : repeats_(repeats), threads_(threads) {}
  std::vector<Row> rows;
  std::map<std::string, std::string> versions;

  // Runs every side in turn, `repeats` rounds (after one dropped round when
  // `drop_first`), and summarises each side's seconds.
  std::vector<Stats> AlternateAll(const std::vector<std::function<double()>>& sides,
                                  bool drop_first) {
    std::vector<std::vector<double>> seconds(sides.size());
    for (int r = drop_first ? -1 : 0; r < repeats_; ++r) {
      for (size_t i = 0; i < sides.size(); ++i) {
        const double t = sides[i]();
        if (r >= 0) seconds[i].push_back(t);
      }
    }
    std::vector<Stats> stats;
    for (const std::vector<double>& t : seconds) stats.push_back(Summarize(t));
    return stats;
  }

  // Alternates cpp() and python() repeats + 1 times, dropping the first.
  std::pair<Stats, Stats> Alternate(const std::function<double()>& cpp,
                                    const std::function<double()>& python) {
    const std::vector<Stats> s = AlternateAll({cpp, python}, /*drop_first=*/true);
    return {s[0], s[1]};
  }

  void Optimizer() {
    double copy_gbs = 0, gd_gbs = 0;
    for (int d : {2, 10, 1000, 100000}) {
      // The same iterations on both sides.
      const int64_t iters = d <= 10 ? 200000 : d <= 1000 ? 50000 : 1000;
      Eigen::VectorXd init = Eigen::VectorXd::Constant(d, 0.5 / std::sqrt(d - 1.0));
      init[0] = 40.0;
      RiverValley f(0.05, 1.0, 1.0, init);
      auto [cpp, py] = Alternate(
          [&] {
            TheoryWarmupSchedule schedule(f.Smoothness(), 1.0, 0.0, 0.0, 0.0);
            DescentOptions o;
            o.iterations = iters;
            o.record_every = 0;
            return Seconds([&] { RunGradientDescent(f, schedule, o); }) / iters;
          },
          [&] {
            const std::string json =
                Python(absl::StrFormat("optimizer --dim %d --iterations %d", d, iters));
            return JsonNumber(json, "seconds_per_iteration");
          });
      const double ratio = py.median / cpp.median;
      Row row{"optimizer engine",
              absl::StrFormat("GD + theory warmup, river valley, d = %d; %d iterations each", d,
                              iters),
              Cell(cpp, 1e6, "us/it"), Cell(py, 1e6, "us/it"),
              absl::StrFormat("%.0fx", ratio), "", ""};
      if (d <= 10) {
        row.goal = ">= 100x";
        row.met = ratio >= 100 ? "yes" : "no";
      }
      if (d == 100000) {
        // Bytes one iteration moves: the fused step reads and writes w and
        // grad once (4 d doubles); a plain copy of w moves 2 d doubles. Both
        // work on 2 d doubles, so they run from the same cache level.
        std::vector<double> src(d, 1.0), dst(d);
        std::vector<double> copies;
        for (int r = 0; r < 2000; ++r) {
          copies.push_back(Seconds([&] { std::memcpy(dst.data(), src.data(), d * 8); }));
        }
        copy_gbs = 2.0 * d * 8 / Summarize(copies).median / 1e9;
        gd_gbs = 4.0 * d * 8 / cpp.median / 1e9;
        row.goal = "within 2x of a copy's GB/s";
        row.met = gd_gbs * 2 >= copy_gbs ? "yes" : "no";
        row.item += absl::StrFormat(" (%.1f GB/s; plain copy %.1f GB/s)", gd_gbs, copy_gbs);
      }
      rows.push_back(row);
    }
  }

  // FLOPs of one forward pass, counted from the architectures.
  static double ResNetForwardFlops(double width, int64_t batch) {
    auto ch = [&](int64_t base) { return std::max<int64_t>(1, std::lround(base * width)); };
    double flops = 2.0 * 3 * ch(64) * 9 * 32 * 32;
    int64_t cin = ch(64), size = 32;
    const int64_t bases[4] = {64, 128, 256, 512};
    for (int s = 0; s < 4; ++s) {
      const int64_t cout = ch(bases[s]);
      if (s > 0) size /= 2;
      const double hw = static_cast<double>(size * size);
      flops += 2.0 * cin * cout * 9 * hw + 2.0 * cout * cout * 9 * hw;  // block 1
      if (s > 0 || cin != cout) flops += 2.0 * cin * cout * hw;         // projection
      flops += 2 * 2.0 * cout * cout * 9 * hw;                          // block 2
      cin = cout;
    }
    return batch * (flops + 2.0 * cin * 10);
  }
  static double GptForwardFlops(const GptConfig& c, int64_t batch) {
    const double bt = static_cast<double>(batch * c.context), e = c.embedding;
    return c.layers * (24 * bt * e * e + 4 * bt * c.context * e) + 2 * bt * e * c.vocab;
  }

  double MatmulGflops() {
    const torch::Tensor a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
    std::vector<double> t;
    for (int r = 0; r < 7; ++r) t.push_back(Seconds([&] { torch::mm(a, b); }));
    return 2.0 * 1024 * 1024 * 1024 / Summarize(t).median / 1e9;
  }

  struct Model {
    std::string name, py_args;
    torch::nn::Module* module;
    std::function<torch::Tensor()> loss;
    double forward_flops;
    bool resnet;
  };

  // Parameters, then floating-point buffers (BatchNorm's running statistics),
  // in registration order: what bench/py/models.py load_raw reads.
  static std::vector<torch::Tensor> State(torch::nn::Module& m) {
    std::vector<torch::Tensor> state = m.parameters();
    for (const auto& b : m.buffers()) {
      if (b.is_floating_point()) state.push_back(b);
    }
    return state;
  }

  static std::vector<torch::Tensor> Snapshot(torch::nn::Module& m) {
    std::vector<torch::Tensor> saved;
    for (const auto& t : State(m)) saved.push_back(t.detach().clone());
    return saved;
  }

  static void Restore(torch::nn::Module& m, const std::vector<torch::Tensor>& saved) {
    torch::NoGradGuard g;
    std::vector<torch::Tensor> state = State(m);
    for (size_t i = 0; i < state.size(); ++i) state[i].copy_(saved[i]);
  }

  void WriteInputs(const std::string& dir, torch::nn::Module& m,
                   const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
    std::filesystem::create_directories(dir);
    std::vector<torch::Tensor> flat;
    for (const auto& p : State(m)) flat.push_back(p.detach().reshape(-1));
    const torch::Tensor all = torch::cat(flat).contiguous();
    std::ofstream(dir + "/params.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(all.data_ptr<float>()), all.numel() * 4);
    for (const auto& [name, t] : tensors) {
      const torch::Tensor c = t.contiguous();
      std::ofstream(dir + "/" + name, std::ios::binary)
          .write(reinterpret_cast<const char*>(c.data_ptr()), c.nbytes());
    }
  }

  // The network rows: `comparisons` the training step, HVP and top
  // eigenvalue rows, `spectrum` the top-k, trace and density rows.
  void Networks(const std::string& dir, bool comparisons, bool spectrum) {
    const double peak = MatmulGflops();
    versions["matmul_gflops_1024"] = absl::StrFormat("%.1f", peak);
    torch::manual_seed(0);
    ResNet18 resnet(0.25);
    const torch::Tensor x = torch::randn({32, 3, 32, 32});
    const torch::Tensor y = torch::randint(0, 10, {32});
    GptConfig gc;
    NanoGpt gpt(gc);
    const torch::Tensor tokens = torch::randint(0, 65, {12, gc.context + 1});
    const std::string rdir = dir + "/resnet", gdir = dir + "/gpt";
    WriteInputs(rdir, *resnet, {{"x.bin", x}, {"y.bin", y}});
    WriteInputs(gdir, *gpt, {{"tokens.bin", tokens}});
    resnet->train();
    gpt->train();
    const torch::Tensor gx = tokens.slice(1, 0, gc.context), gy = tokens.slice(1, 1);
    std::vector<Model> models = {
        {"ResNet-18 x0.25, batch 32, channels-last (cpu tier)",
         absl::StrFormat("--model resnet --width 0.25 --batch 32 --threads %d --dir %s", threads_,
                         rdir),
         resnet.get(),
         [&] { return torch::nn::functional::cross_entropy(resnet->forward(x), y); },
         ResNetForwardFlops(0.25, 32), true},
        {"NanoGPT 4x4x128, context 64, batch 12 (cpu tier)",
         absl::StrFormat("--model gpt --batch 12 --threads %d --dir %s", threads_, gdir),
         gpt.get(),
         [&] {
           return torch::nn::functional::cross_entropy(gpt->forward(gx).reshape({-1, 65}),
                                                       gy.reshape({-1}));
         },
         GptForwardFlops(gc, 12), false}};
    for (Model& m : models) {
      const std::vector<torch::Tensor> initial = Snapshot(*m.module);
      if (comparisons) {
        TrainingStep(m, peak);
        Restore(*m.module, initial);
        SecondDerivatives(m);
        Restore(*m.module, initial);
        Curvature(m);
        Restore(*m.module, initial);
      }
      if (spectrum) SpectrumRows(m);
    }
  }

  // Both sides: the same weights, batch and layout, 5 timed SGD steps after
  // one untimed step in the same process, median.
  void TrainingStep(Model& m, double peak) {
    const double cpp_initial = m.loss().item<double>();
    const std::string first = Python("step --steps 1 " + m.py_args);
    torch::optim::SGD opt(m.module->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
    auto [cpp, py] = Alternate(
        [&] {
          std::vector<double> t;
          for (int s = 0; s < 6; ++s) {
            t.push_back(Seconds([&] {
              opt.zero_grad();
              m.loss().backward();
              opt.step();
            }));
          }
          t.erase(t.begin());
          return Summarize(t).median;
        },
        [&] { return JsonNumber(Python("step --steps 5 " + m.py_args), "seconds"); });
    const double gflops = 3 * m.forward_flops / cpp.median / 1e9;
    const double goal = m.resnet ? 1.0 : 0.8;
    rows.push_back({"training step", m.name, Cell(cpp, 1e3, "ms"), Cell(py, 1e3, "ms"),
                    absl::StrFormat("%.2f (C++/Python)", cpp.median / py.median),
                    absl::StrFormat("<= %.1f", goal), cpp.median / py.median <= goal ? "yes" : "no"});
    rows.back().item += absl::StrFormat(
        "; same weights, batch and layout, 5 steps after a warm-up step on each side; %.1f "
        "GFLOP/s = %.0f%% of matmul %.0f GFLOP/s; initial loss C++ %.5f, Python %.5f",
        gflops, 100 * gflops / peak, peak, cpp_initial, JsonNumber(first, "initial_loss"));
    versions["torch (Python)"] = JsonString(first, "torch");
    versions["numpy"] = JsonString(first, "numpy");
  }

  // One HVP in train mode (the profiler's setting for Figure 1), in units of
  // one gradient, as a Lanczos iteration pays it: C++ with each combination
  // of the custom second derivatives against Python's reverse-over-reverse
  // (LibTorch's own formulas, the same kernels as C++ with none), both
  // differentiating a gradient graph built once; and against
  // forward-over-reverse (torch.func), which needs a full pass per HVP.
  void SecondDerivatives(Model& m) {
    struct Variant {
      std::string name;
      CustomSecondDerivatives kernels;
    };
    std::vector<Variant> variants = {{"no custom kernels (LibTorch's own)", {false, false}}};
    if (m.resnet) {
      variants.insert(variants.begin(), {{"custom conv + batch-norm kernels", {true, true}},
                                         {"custom conv kernel only", {true, false}},
                                         {"custom batch-norm kernel only", {false, true}}});
    }
    const std::vector<torch::Tensor> params = m.module->parameters();
    int64_t n = 0;
    for (const auto& p : params) n += p.numel();
    torch::manual_seed(1);
    const torch::Tensor v = torch::randn({n});
    std::vector<std::vector<double>> cpp(variants.size());
    std::vector<double> cpp_grad, py_grad, py_ror, py_for;
    double py_difference = 0;
    for (int r = 0; r <= repeats_; ++r) {
      std::vector<double> times;
      for (const Variant& variant : variants) {
        SetCustomSecondDerivatives(variant.kernels);
        // The gradient's graph is built once, as in a Lanczos run; each HVP
        // differentiates it again.
        auto h = HessianOperator::Create(m.loss, params);
        h->Apply(v);  // warm-up
        std::vector<double> t;
        for (int k = 0; k < 3; ++k) t.push_back(Seconds([&] { h->Apply(v); }));
        times.push_back(Summarize(t).median);
      }
      SetCustomSecondDerivatives({});
      std::vector<double> g;
      for (int k = 0; k < 4; ++k) {
        g.push_back(Seconds([&] { torch::autograd::grad({m.loss()}, params); }));
      }
      const std::string json = Python("hvp --repeats 3 " + m.py_args);
      if (r == 0) continue;
      for (size_t i = 0; i < variants.size(); ++i) cpp[i].push_back(times[i]);
      cpp_grad.push_back(Summarize(g).median);
      py_grad.push_back(JsonNumber(json, "gradient"));
      py_ror.push_back(JsonNumber(json, "reverse_over_reverse"));
      py_for.push_back(JsonNumber(json, "forward_over_reverse"));
      py_difference = JsonNumber(json, "max_relative_difference");
    }
    const double grad_cpp = Summarize(cpp_grad).median, grad_py = Summarize(py_grad).median;
    const Stats ror = Summarize(py_ror), fwd = Summarize(py_for);
    auto in_gradients = [](const Stats& s, double grad) {
      return absl::StrFormat(" = %.2f gradients", s.median / grad);
    };
    for (size_t i = 0; i < variants.size(); ++i) {
      const Stats c = Summarize(cpp[i]);
      rows.push_back({"HVP", absl::StrFormat("%s, train mode; C++ %s vs Python reverse-over-"
                                             "reverse, same weights, batch and direction",
                                             m.name, variants[i].name),
                      Cell(c, 1e3, "ms") + in_gradients(c, grad_cpp),
                      Cell(ror, 1e3, "ms") + in_gradients(ror, grad_py),
                      absl::StrFormat("%.2f (C++/Python)", c.median / ror.median), "", ""});
    }
    const Stats best = Summarize(cpp.front());
    rows.push_back({"HVP", absl::StrFormat("%s, train mode; C++ %s vs Python forward-over-reverse "
                                           "(torch.func.jvp of grad; max rel. difference from "
                                           "reverse-over-reverse %.1e)",
                                           m.name, variants.front().name, py_difference),
                    Cell(best, 1e3, "ms") + in_gradients(best, grad_cpp),
                    Cell(fwd, 1e3, "ms") + in_gradients(fwd, grad_py),
                    absl::StrFormat("%.2f (C++/Python)", best.median / fwd.median), "", ""});
  }

  // The top |eigenvalue| in eval mode (PyHessian puts the model in eval mode):
  // C++ Lanczos against PyHessian's power iteration, same weights, batch and
  // buffers, both stopping at PyHessian's rule (relative change < 1e-3, at
  // most 100 HVPs), both timed from the create-graph pass on after an untimed
  // run of the same in the same process; errors against a reference Lanczos
  // run to a residual of 1e-9.
  void Curvature(Model& m) {
    m.module->eval();
    auto h = HessianOperator::Create(m.loss, m.module->parameters());
    SpectralOptions ref;
    ref.tolerance = 1e-9;
    ref.max_iterations = 100;
    const double truth = LanczosSpectralNorm(*h, ref).spectral_norm;
    int cpp_hvps = 0, py_hvps = 0;
    double cpp_value = 0, py_value = 0;
    const std::string py_args = "pyhessian --tolerance 1e-3 --max_iterations 100 " + m.py_args;
    auto [cpp, py] = Alternate(
        [&] {
          return Seconds([&] {
            auto op = HessianOperator::Create(m.loss, m.module->parameters());
            SpectralOptions o;
            o.tolerance = 1e-3;
            o.max_iterations = 100;
            o.stop = SpectralOptions::Stop::kRelativeChange;
            o.seed = 1;
            const SpectralEstimate e = LanczosSpectralNorm(*op, o);
            cpp_hvps = e.iterations;
            cpp_value = e.spectral_norm;
          });
        },
        [&] {
          const std::string json = Python(py_args);
          py_hvps = static_cast<int>(JsonNumber(json, "hvps"));
          py_value = JsonNumber(json, "eigenvalue");
          return JsonNumber(json, "seconds");
        });
    m.module->train();
    auto error = [&](double v) { return std::abs(std::abs(v) - truth) / truth; };
    rows.push_back(
        {"curvature",
         m.name + absl::StrFormat(", eval mode: top |eigenvalue| %.4g (reference Lanczos); both "
                                  "stop at relative change < 1e-3",
                                  truth),
         Cell(cpp, 1, "s") + absl::StrFormat(", Lanczos %d HVPs (%.4g, rel. error %.1e)", cpp_hvps,
                                             cpp_value, error(cpp_value)),
         Cell(py, 1, "s") + absl::StrFormat(", PyHessian power %d HVPs (%.4g, rel. error %.1e)",
                                            py_hvps, py_value, error(py_value)),
         absl::StrFormat("%.1fx faster", py.median / cpp.median), "", ""});
  }

  // The Hessian of the model's loss at its current weights (the create-graph
  // pass).
  static HessianOperator Hessian(const Model& m) {
    return HessianOperator::Create(m.loss, m.module->parameters()).value();
  }

  // A timed C++ side: the create-graph pass, then `estimate` on the Hessian.
  static std::function<double()> TimedOnHessian(
      const Model& m, const std::function<void(HessianOperator&)>& estimate) {
    return [&m, estimate] {
      return Seconds([&] {
        HessianOperator h = Hessian(m);
        estimate(h);
      });
    };
  }

  // The rest of what PyHessian reports, in eval mode as PyHessian sets the
  // model: the top-k eigenvalues, the trace and the density. Both sides run
  // on the same weights, batch and buffers, alternating, each timed from the
  // create-graph pass on after an untimed warm-up in its process (the pass
  // and two HVPs); errors are against a reference computed here, untimed.
  void SpectrumRows(Model& m) {
    m.module->eval();
    {
      HessianOperator warm = Hessian(m);
      const torch::Tensor v = torch::ones({warm.dim()});
      warm.Apply(v);
      warm.Apply(v);
    }
    const SpectrumReference reference = Reference(m);
    TopKRow(m, reference);
    TraceRows(m, reference);
    DensityRow(m, reference);
    m.module->train();
  }

  // Untimed references: the top-k by Lanczos to residual 1e-5 (eigenvalue
  // errors near 1e-10 relative), and the trace and tr(H^2) by Hutchinson
  // with --reference_hvps probes, with their standard errors (Hutch++ is no
  // better on these spectra: the trace rows show it).
  struct SpectrumReference {
    std::vector<double> top;  // largest |lambda| first
    std::string top_status;
    MeanInterval trace, squared_frobenius;
    int64_t dim = 0;
  };

  SpectrumReference Reference(Model& m) {
    HessianOperator h = Hessian(m);
    SpectrumReference r;
    r.dim = h.dim();
    TopEigenOptions top;
    top.k = absl::GetFlag(FLAGS_spectrum_k);
    top.max_hvps = 400;
    top.tolerance = 1e-5;
    top.seed = 7;
    const Eigenpairs e = TopEigenpairs(h, top).value();
    r.top = MagnitudeOrder(e.values);
    r.top_status = absl::StrFormat("%s in %d HVPs", e.converged ? "converged" : "NOT converged",
                                   e.hvps);
    TraceOptions t;
    t.method = TraceOptions::Method::kHutchinson;
    t.hvps = absl::GetFlag(FLAGS_reference_hvps);
    t.seed = 8;
    const TraceEstimate trace = EstimateTrace(h, t).value();
    r.trace = trace.trace;
    r.squared_frobenius = trace.squared_frobenius;
    return r;
  }

  static std::vector<double> MagnitudeOrder(std::vector<double> v) {
    std::stable_sort(v.begin(), v.end(),
                     [](double a, double b) { return std::abs(a) > std::abs(b); });
    return v;
  }

  // Largest relative error of `values` (in magnitude order) against the
  // reference's, value by value; infinite when values are missing.
  static double TopKError(const std::vector<double>& values, const std::vector<double>& truth) {
    const std::vector<double> ordered = MagnitudeOrder(values);
    if (ordered.size() < truth.size()) return HUGE_VAL;
    double worst = 0;
    for (size_t i = 0; i < truth.size(); ++i) {
      worst = std::max(worst, std::abs(ordered[i] - truth[i]) / std::abs(truth[i]));
    }
    return worst;
  }

  static std::string Values(const std::vector<double>& v) {
    std::vector<std::string> parts;
    for (double x : v) parts.push_back(absl::StrFormat("%.4g", x));
    return absl::StrJoin(parts, ", ");
  }

  // Met when C++ is at least 2x faster and its error is not larger.
  static std::string Met(double ratio, double cpp_error, double py_error) {
    return ratio >= 2.0 && cpp_error <= py_error ? "yes" : "no";
  }

  void TopKRow(Model& m, const SpectrumReference& ref) {
    const int k = absl::GetFlag(FLAGS_spectrum_k);
    Eigenpairs cpp_result;
    std::vector<double> py_values;
    int py_hvps = 0;
    const std::vector<Stats> t = AlternateAll(
        {TimedOnHessian(m,
                        [&](HessianOperator& h) {
                          TopEigenOptions o;
                          o.k = k;
                          o.max_hvps = 100 * k;  // PyHessian's cap: 100 per eigenvalue
                          // The residual rule: each value is then within
                          // 1e-3 |theta| of an eigenvalue (a bound, which
                          // PyHessian's relative-change rule does not give).
                          o.tolerance = 1e-3;
                          o.stop = SpectralOptions::Stop::kResidual;
                          o.seed = 1;
                          cpp_result = TopEigenpairs(h, o).value();
                        }),
         [&] {
           const std::string json = Python(absl::StrFormat(
               "spectrum --quantity topk --k %d --tolerance 1e-3 --max_iterations 100 %s", k,
               m.py_args));
           versions.emplace("torch (Python)", JsonString(json, "torch"));
           versions.emplace("numpy", JsonString(json, "numpy"));
           py_values = JsonNumbers(json, "values");
           py_hvps = static_cast<int>(JsonNumber(json, "hvps"));
           return JsonNumber(json, "seconds");
         }},
        /*drop_first=*/false);
    const double cpp_error = TopKError(cpp_result.values, ref.top);
    const double py_error = TopKError(py_values, ref.top);
    const double ratio = t[1].median / t[0].median;
    rows.push_back(
        {"spectrum",
         absl::StrFormat("%s, eval mode: top-%d eigenvalues by |lambda| (reference Lanczos to "
                         "residual 1e-5, %s: %s); C++ stops when every Ritz pair's residual is "
                         "below 1e-3 |theta|, PyHessian when every value changed by < 1e-3 "
                         "relative (its rule); error = largest relative error of the %d; "
                         "met when C++ is 2x faster at no larger error",
                         m.name, k, ref.top_status, Values(ref.top), k),
         Cell(t[0], 1, "s") + absl::StrFormat(", Lanczos %d HVPs (%s; error %.1e)",
                                              cpp_result.hvps, Values(cpp_result.values),
                                              cpp_error),
         Cell(t[1], 1, "s") +
             absl::StrFormat(", PyHessian power iteration with deflation %d HVPs (%s; error "
                             "%.1e)",
                             py_hvps, Values(py_values), py_error),
         absl::StrFormat("%.1fx faster", ratio), ">= 2x at equal error",
         Met(ratio, cpp_error, py_error)});
  }

  void TraceRows(Model& m, const SpectrumReference& ref) {
    const int probes = absl::GetFlag(FLAGS_spectrum_probes);
    TraceEstimate hutchinson, plus;
    std::vector<double> py_samples;
    auto cpp_side = [&](TraceOptions::Method method, TraceEstimate* out) {
      return TimedOnHessian(m, [probes, method, out](HessianOperator& h) {
        TraceOptions o;
        o.method = method;
        o.hvps = probes;
        o.seed = 1;
        *out = EstimateTrace(h, o).value();
      });
    };
    const std::vector<Stats> t = AlternateAll(
        {cpp_side(TraceOptions::Method::kHutchinson, &hutchinson),
         cpp_side(TraceOptions::Method::kHutchPlusPlus, &plus),
         [&] {
           const std::string json = Python(absl::StrFormat(
               "spectrum --quantity trace --probes %d %s", probes, m.py_args));
           py_samples = JsonNumbers(json, "samples");
           return JsonNumber(json, "seconds");
         }},
        /*drop_first=*/false);
    const MeanInterval py = StudentInterval(py_samples);
    auto error = [&](const MeanInterval& e) {
      return absl::StrFormat("%.5g, error %.2g, stated standard error %.2g", e.mean,
                             std::abs(e.mean - ref.trace.mean), e.standard_error);
    };
    const std::string py_cell =
        Cell(t[2], 1, "s") + absl::StrFormat(", PyHessian Hutchinson, %d HVPs (%s)",
                                             static_cast<int>(py_samples.size()), error(py));
    for (int side = 0; side < 2; ++side) {
      const TraceEstimate& e = side == 0 ? hutchinson : plus;
      const double ratio = t[2].median / t[side].median;
      rows.push_back(
          {"spectrum",
           absl::StrFormat("%s, eval mode: trace, %d Rademacher probes (HVPs) on both sides; "
                           "reference Hutchinson with %d probes: %.5g (standard error %.2g)",
                           m.name, probes, absl::GetFlag(FLAGS_reference_hvps), ref.trace.mean,
                           ref.trace.standard_error),
           Cell(t[side], 1, "s") +
               absl::StrFormat(", %s, %d HVPs (%s)", side == 0 ? "Hutchinson" : "Hutch++",
                               e.hvps, error(e.trace)),
           py_cell, absl::StrFormat("%.1fx faster", ratio),
           ">= 2x at equal error (stated standard error)",
           Met(ratio, e.trace.standard_error, py.standard_error)});
    }
  }

  // Moments 1 and 2 of a density as errors against the reference's trace
  // and tr(H^2) (each times 1 / dim), relative.
  static std::string MomentErrors(const std::vector<Quadrature>& runs,
                                  const SpectrumReference& ref) {
    const std::vector<MeanInterval> m = DensityMoments(runs, 2);
    const double n = static_cast<double>(ref.dim);
    return absl::StrFormat(
        "moment errors: trace %.2g, tr(H^2) %.2g (relative)",
        std::abs(n * m[0].mean - ref.trace.mean) / std::abs(ref.trace.mean),
        std::abs(n * m[1].mean - ref.squared_frobenius.mean) / ref.squared_frobenius.mean);
  }

  void DensityRow(Model& m, const SpectrumReference& ref) {
    const int runs = absl::GetFlag(FLAGS_density_runs), steps = absl::GetFlag(FLAGS_density_steps);
    SpectralDensity cpp_result;
    std::vector<Quadrature> py_runs;
    int py_hvps = 0;
    const std::vector<Stats> t = AlternateAll(
        {TimedOnHessian(m,
                        [&](HessianOperator& h) {
                          DensityOptions o;
                          o.runs = runs;
                          o.lanczos_steps = steps;
                          o.seed = 1;
                          cpp_result = EstimateSpectralDensity(h, o).value();
                        }),
         [&] {
           const std::string json = Python(absl::StrFormat(
               "spectrum --quantity density --runs %d --lanczos_steps %d %s", runs, steps, m.py_args));
           py_runs = PythonQuadratures(json);
           py_hvps = static_cast<int>(JsonNumber(json, "hvps"));
           return JsonNumber(json, "seconds");
         }},
        /*drop_first=*/false);
    const double ratio = t[1].median / t[0].median;
    rows.push_back(
        {"spectrum",
         absl::StrFormat("%s, eval mode: eigenvalue density, stochastic Lanczos quadrature with "
                         "%d run(s) x %d Lanczos steps on both sides (the same estimator: its "
                         "error has one distribution); reference trace %.5g and tr(H^2) %.5g "
                         "(Hutchinson, %d probes, standard errors %.2g and %.2g)",
                         m.name, runs, steps, ref.trace.mean, ref.squared_frobenius.mean,
                         absl::GetFlag(FLAGS_reference_hvps), ref.trace.standard_error,
                         ref.squared_frobenius.standard_error),
         Cell(t[0], 1, "s") + absl::StrFormat(", %d HVPs, full reorthogonalisation (%s)",
                                              cpp_result.hvps,
                                              MomentErrors(cpp_result.runs, ref)),
         Cell(t[1], 1, "s") + absl::StrFormat(", PyHessian %d HVPs (%s)", py_hvps,
                                              MomentErrors(py_runs, ref)),
         absl::StrFormat("%.1fx faster", ratio), ">= 2x at equal error",
         ratio >= 2.0 ? "yes" : "no"});
  }

  // PyHessian's density as quadratures: flat nodes and weights, run sizes.
  static std::vector<Quadrature> PythonQuadratures(const std::string& json) {
    const std::vector<double> nodes = JsonNumbers(json, "nodes");
    const std::vector<double> weights = JsonNumbers(json, "weights");
    std::vector<Quadrature> runs;
    size_t offset = 0;
    for (double size : JsonNumbers(json, "run_sizes")) {
      const size_t n = static_cast<size_t>(size);
      if (offset + n > nodes.size() || offset + n > weights.size()) break;
      runs.push_back({{nodes.begin() + offset, nodes.begin() + offset + n},
                      {weights.begin() + offset, weights.begin() + offset + n}});
      offset += n;
    }
    return runs;
  }

  void Scaling() {
    for (double width : {0.125, 0.25, 0.5}) {
      for (int64_t batch : {16, 32, 64}) {
        torch::manual_seed(0);
        ResNet18 net(width);
        net->train();
        const torch::Tensor x = torch::randn({batch, 3, 32, 32});
        const torch::Tensor y = torch::randint(0, 10, {batch});
        torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
        std::vector<double> t;
        for (int s = 0; s <= repeats_; ++s) {
          const double sec = Seconds([&] {
            opt.zero_grad();
            torch::nn::functional::cross_entropy(net->forward(x), y).backward();
            opt.step();
          });
          if (s > 0) t.push_back(sec);
        }
        const Stats st = Summarize(t);
        rows.push_back({"scaling", absl::StrFormat("ResNet-18 width %.3g, batch %d", width, batch),
                        Cell(st, 1e3, "ms/step"), "", "", "", ""});
        rows.back().item += absl::StrFormat(" (%.2f GFLOP/s)",
                                            3 * ResNetForwardFlops(width, batch) / st.median / 1e9);
      }
    }
  }

  void Figures() {
    for (const char* name : {"fig2_river_valley", "table_speedup", "fig1a_resnet18_cifar10",
                             "fig1b_nanogpt_shakespeare", "fig3_warmup_schedules"}) {
      RunRequest r;
      r.spec_path = absl::StrCat("experiments/", name, ".textproto");
      r.options.tier = "cpu";
      r.out_dir = (std::filesystem::temp_directory_path() / "warmup_bench_figures" / name).string();
      r.options.threads = threads_;
      absl::StatusOr<RunReport> report;
      const double s = Seconds([&] { report = RunSpec(r, AllEngines()); });
      rows.push_back({"figure wall time", absl::StrCat("//figures:", name, " (cpu tier)"),
                      report.ok() ? absl::StrFormat("%.3g s", s)
                                  : std::string(report.status().message()),
                      "", "", "", ""});
    }
  }

 private:
  int repeats_, threads_;
};

// The sections --sections names; InvalidArgument for an unknown one.
absl::StatusOr<std::vector<std::string>> ParseSections(const std::string& flag) {
  const std::vector<std::string> sections = absl::StrSplit(flag, ',');
  for (const std::string& s : sections) {
    if (s != "optimizer" && s != "networks" && s != "spectrum" && s != "scaling") {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--sections: unknown section \"%s\"; expected optimizer, networks, spectrum or "
          "scaling",
          s));
    }
  }
  return sections;
}

// Runs the chosen sections (and the figures' wall times with --figures).
void RunSections(const std::vector<std::string>& sections, Bench& bench) {
  auto wanted = [&](const char* name) {
    return std::find(sections.begin(), sections.end(), name) != sections.end();
  };
  if (wanted("optimizer")) {
    std::fprintf(stderr, "bench: optimizer engine\n");
    bench.Optimizer();
  }
  if (wanted("networks") || wanted("spectrum")) {
    std::fprintf(stderr, "bench: %s\n",
                 wanted("networks") ? "training steps and curvature" : "spectrum");
    bench.Networks((std::filesystem::temp_directory_path() / "warmup_bench_inputs").string(),
                   wanted("networks"), wanted("spectrum"));
  }
  if (wanted("scaling")) {
    std::fprintf(stderr, "bench: scaling\n");
    bench.Scaling();
  }
  if (absl::GetFlag(FLAGS_figures)) bench.Figures();
}

// The clock /proc/cpuinfo reports (virtual machines often report the base).
std::string ReportedClock() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("cpu MHz", 0) == 0) return line.substr(line.find(':') + 2) + " MHz (as reported)";
  }
  return "unknown";
}

// The 1-, 5- and 15-minute load averages the kernel reports (other jobs
// on a shared machine slow both sides alike).
std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = 0, five = 0, fifteen = 0;
  if (!(in >> one >> five >> fifteen)) return "unknown";
  return absl::StrFormat("%.2f, %.2f, %.2f", one, five, fifteen);
}

// all.md: the machine, settings and versions, then one table row per case.
std::string MarkdownReport(const Bench& bench, const std::string& runtime) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char date[64];
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  auto version = [&](const char* key) {
    const auto it = bench.versions.find(key);
    return it == bench.versions.end() ? std::string("unknown") : it->second;
  };
  std::string md = absl::StrFormat(
      "# bench:all, %s\n\n- machine: %s, %u cores, %s\n- load average (1, 5, 15 min): %s at "
      "the start, %s at the end\n- %s\n- repeats: %d alternating "
      "(C++, Python) after one warm-up (spectrum rows: a warm-up inside each timed process "
      "instead); medians (min-max)\n- LibTorch %s (C++) and torch %s "
      "(Python) from the same .venv, NumPy %s, PyHessian 0.1, Eigen %d.%d.%d; 1024^3 fp32 "
      "matmul %s GFLOP/s\n\n",
      date, CpuModel(), std::thread::hardware_concurrency(), ReportedClock(),
      version("load at start"), LoadAverage(), runtime,
      absl::GetFlag(FLAGS_repeats), TORCH_VERSION, version("torch (Python)"),
      version("numpy"), EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION,
      version("matmul_gflops_1024"));
  std::vector<std::vector<std::string>> rows;
  for (const Row& r : bench.rows) {
    rows.push_back({r.section, r.item, r.cpp, r.python, r.ratio, r.goal, r.met});
  }
  return md + MarkdownTable({"section", "case", "C++ (this artifact)", "Python reference",
                             "ratio", "goal", "met"},
                            rows);
}

// all.csv: the same rows, every cell quoted.
std::string CsvReport(const Bench& bench) {
  std::string csv = "section,case,cpp,python,ratio,goal,met\n";
  auto quote = [](const std::string& s) { return "\"" + s + "\""; };
  for (const Row& r : bench.rows) {
    csv += absl::StrCat(quote(r.section), ",", quote(r.item), ",", quote(r.cpp), ",",
                        quote(r.python), ",", quote(r.ratio), ",", quote(r.goal), ",",
                        quote(r.met), "\n");
  }
  return csv;
}

}  // namespace
}  // namespace warmup

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace warmup;
  const int threads = absl::GetFlag(FLAGS_threads);
  const std::string runtime = ConfigureRuntime(threads);
  const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) out = std::string(ws ? ws : ".") + "/out/bench";
  absl::StatusOr<std::vector<std::string>> sections = ParseSections(absl::GetFlag(FLAGS_sections));
  absl::Status st = !sections.ok() ? sections.status() : CheckReplaceable(out);
  if (st.ok()) st = EnsureWritableDirectory(out);
  if (!st.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(st.message()).c_str());
    return 2;
  }
  PythonBinary() = std::string(ws ? ws : ".") + "/.venv/bin/python";
  Bench bench(absl::GetFlag(FLAGS_repeats), threads);
  bench.versions["load at start"] = LoadAverage();
  RunSections(*sections, bench);
  const std::string md = MarkdownReport(bench, runtime);
  OutputBatch batch;
  batch.Add("all.md", md);
  batch.Add("all.csv", CsvReport(bench));
  if (st = batch.Commit(out); !st.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(st.message()).c_str());
    return 2;
  }
  std::printf("%s\nwrote %s/all.md and all.csv\n", md.c_str(), out.c_str());
  return 0;
}
