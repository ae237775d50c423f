// bench:all: this artifact against the Python tools a user would otherwise
// run, measured side by side in one run with the two sides alternating:
// medians (min, max) over --repeats after a warm-up. Writes a Markdown table
// and a CSV to out/bench/ (or --out) and prints the table. Never a test.
//
//   bazel run //bench:all [-- --repeats=5 --threads=2 --figures]
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
#include "absl/strings/str_split.h"
#include "lib/curvature/hessian.h"
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
ABSL_FLAG(std::string, sections, "optimizer,networks,scaling",
          "comma-separated sections to run: optimizer, networks (training step and "
          "curvature), scaling");
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

// Runs the Python reference with the same thread and allocator settings.
std::string Python(const std::string& args) {
  const std::string command = absl::StrCat(
      "OPENBLAS_NUM_THREADS=1 MALLOC_MMAP_THRESHOLD_=1073741824 "
      "MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=536870912 "
      "/usr/bin/python3 bench/py/reference.py ",
      args, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (pipe != nullptr && std::fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
  if (pipe != nullptr) pclose(pipe);
  return out;
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

  // Alternates cpp() and python() repeats + 1 times, dropping the first.
  std::pair<Stats, Stats> Alternate(const std::function<double()>& cpp,
                                    const std::function<double()>& python) {
    std::vector<double> a, b;
    for (int r = 0; r <= repeats_; ++r) {
      const double x = cpp(), y = python();
      if (r == 0) continue;
      a.push_back(x);
      b.push_back(y);
    }
    return {Summarize(a), Summarize(b)};
  }

  void Optimizer() {
    double copy_gbs = 0, gd_gbs = 0;
    for (int d : {2, 10, 1000, 100000}) {
      const int64_t cpp_iters = d <= 10 ? 1000000 : d <= 1000 ? 100000 : 2000;
      const int64_t py_iters = d <= 10 ? 100000 : d <= 1000 ? 20000 : 500;
      Eigen::VectorXd init = Eigen::VectorXd::Constant(d, 0.5 / std::sqrt(d - 1.0));
      init[0] = 40.0;
      RiverValley f(0.05, 1.0, 1.0, init);
      auto [cpp, py] = Alternate(
          [&] {
            TheoryWarmupSchedule schedule(f.Smoothness(), 1.0, 0.0, 0.0, 0.0);
            DescentOptions o;
            o.iterations = cpp_iters;
            o.record_every = 0;
            return Seconds([&] { RunGradientDescent(f, schedule, o); }) / cpp_iters;
          },
          [&] {
            const std::string json =
                Python(absl::StrFormat("optimizer --dim %d --iterations %d", d, py_iters));
            return JsonNumber(json, "seconds_per_iteration");
          });
      const double ratio = py.median / cpp.median;
      Row row{"optimizer engine", absl::StrFormat("GD + theory warmup, river valley, d = %d", d),
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
  };

  void WriteInputs(const std::string& dir, torch::nn::Module& m,
                   const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
    std::filesystem::create_directories(dir);
    std::vector<torch::Tensor> flat;
    for (const auto& p : m.parameters()) flat.push_back(p.detach().reshape(-1));
    const torch::Tensor all = torch::cat(flat).contiguous();
    std::ofstream(dir + "/params.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(all.data_ptr<float>()), all.numel() * 4);
    for (const auto& [name, t] : tensors) {
      const torch::Tensor c = t.contiguous();
      std::ofstream(dir + "/" + name, std::ios::binary)
          .write(reinterpret_cast<const char*>(c.data_ptr()), c.nbytes());
    }
  }

  void Networks(const std::string& dir) {
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
        {"ResNet-18 x0.25, batch 32 (cpu tier)",
         absl::StrFormat("--model resnet --width 0.25 --batch 32 --threads %d --dir %s", threads_,
                         rdir),
         resnet.get(),
         [&] { return torch::nn::functional::cross_entropy(resnet->forward(x), y); },
         ResNetForwardFlops(0.25, 32)},
        {"NanoGPT 4x4x128, context 64, batch 12 (cpu tier)",
         absl::StrFormat("--model gpt --batch 12 --threads %d --dir %s", threads_, gdir),
         gpt.get(),
         [&] {
           return torch::nn::functional::cross_entropy(gpt->forward(gx).reshape({-1, 65}),
                                                       gy.reshape({-1}));
         },
         GptForwardFlops(gc, 12)}};
    for (Model& m : models) {
      const double cpp_initial = m.loss().item<double>();
      const std::string first = Python("step --steps 1 " + m.py_args);
      std::vector<torch::Tensor> saved;
      for (const auto& p : m.module->parameters()) saved.push_back(p.detach().clone());
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
      {
        torch::NoGradGuard g;  // the same weights for the curvature section
        auto params = m.module->parameters();
        for (size_t i = 0; i < params.size(); ++i) params[i].copy_(saved[i]);
      }
      const bool gpt_model = m.name.rfind("NanoGPT", 0) == 0;
      const double gflops = 3 * m.forward_flops / cpp.median / 1e9;
      rows.push_back({"training step", m.name, Cell(cpp, 1e3, "ms"), Cell(py, 1e3, "ms"),
                      absl::StrFormat("%.2f (C++/Python)", cpp.median / py.median),
                      gpt_model ? "<= 0.8" : "<= 1.0",
                      cpp.median / py.median <= (gpt_model ? 0.8 : 1.0) ? "yes" : "no"});
      rows.back().item += absl::StrFormat(
          "; %.1f GFLOP/s = %.0f%% of matmul %.0f GFLOP/s; initial loss C++ %.5f, Python %.5f",
          gflops, 100 * gflops / peak, peak, cpp_initial, JsonNumber(first, "initial_loss"));
      versions["python3-torch"] = JsonString(first, "torch");
      versions["python3-numpy"] = JsonString(first, "numpy");
      Curvature(m);
    }
  }

  void Curvature(Model& m) {
    auto h = HessianOperator::Create(m.loss, m.module->parameters());
    SpectralOptions ref;
    ref.tolerance = 1e-9;
    ref.max_iterations = 100;
    const double truth = LanczosSpectralNorm(*h, ref).spectral_norm;
    int cpp_hvps = 0, py_hvps = 0;
    double py_value = 0;
    const std::string py_args = "power " + m.py_args;
    auto [cpp, py] = Alternate(
        [&] {
          return Seconds([&] {
            auto op = HessianOperator::Create(m.loss, m.module->parameters());
            SpectralOptions o;
            o.tolerance = 1e-3;
            o.max_iterations = 60;
            o.seed = 1;
            cpp_hvps = LanczosSpectralNorm(*op, o).iterations;
          });
        },
        [&] {
          const std::string json = Python(py_args);
          py_hvps = static_cast<int>(JsonNumber(json, "hvps"));
          py_value = JsonNumber(json, "eigenvalue");
          return JsonNumber(json, "seconds");
        });
    std::vector<double> grad_t, hvp_t;
    torch::Tensor v = torch::randn({h->dim()});
    for (int r = 0; r < 5; ++r) {
      grad_t.push_back(Seconds([&] { torch::autograd::grad({m.loss()}, m.module->parameters()); }));
      hvp_t.push_back(Seconds([&] { h->Apply(v); }));
    }
    rows.push_back(
        {"curvature", m.name + absl::StrFormat(": top |eigenvalue| %.4g", truth),
         Cell(cpp, 1, "s") + absl::StrFormat(", Lanczos %d HVPs", cpp_hvps),
         Cell(py, 1, "s") +
             absl::StrFormat(", power %d HVPs (%.4g, rel. error %.1e)", py_hvps, py_value,
                             std::abs(std::abs(py_value) - truth) / truth),
         absl::StrFormat("%.1fx faster; HVP = %.2f gradients", py.median / cpp.median,
                         Summarize(hvp_t).median / Summarize(grad_t).median),
         "HVP <= 2.5 gradients",
         Summarize(hvp_t).median / Summarize(grad_t).median <= 2.5 ? "yes" : "no"});
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
      r.tier = "cpu";
      r.out_dir = (std::filesystem::temp_directory_path() / "warmup_bench_figures" / name).string();
      r.threads = threads_;
      absl::StatusOr<RunReport> report;
      const double s = Seconds([&] { report = RunSpec(r); });
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
    if (s != "optimizer" && s != "networks" && s != "scaling") {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--sections: unknown section \"%s\"; expected optimizer, networks or scaling", s));
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
  if (wanted("networks")) {
    std::fprintf(stderr, "bench: training steps and curvature\n");
    bench.Networks(
        (std::filesystem::temp_directory_path() / "warmup_bench_inputs").string());
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
      "# bench:all, %s\n\n- machine: %s, %u cores, %s\n- %s\n- repeats: %d alternating "
      "(C++, Python) after one warm-up; medians (min-max)\n- LibTorch %s (C++), python3-torch %s, "
      "python3-numpy %s, Eigen %d.%d.%d; 1024^3 fp32 matmul %s GFLOP/s\n\n",
      date, CpuModel(), std::thread::hardware_concurrency(), ReportedClock(), runtime,
      absl::GetFlag(FLAGS_repeats), TORCH_VERSION, version("python3-torch"),
      version("python3-numpy"), EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION,
      version("matmul_gflops_1024"));
  md += "| section | case | C++ (this artifact) | Python reference | ratio | goal | met |\n";
  md += "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const Row& r : bench.rows) {
    md += absl::StrFormat("| %s | %s | %s | %s | %s | %s | %s |\n", r.section, r.item, r.cpp,
                          r.python, r.ratio, r.goal, r.met);
  }
  return md;
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
  Bench bench(absl::GetFlag(FLAGS_repeats), threads);
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
