#include "lib/runtime/runtime.h"

#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/native/verbose_wrapper.h>
#include <torch/torch.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace warmup {

namespace {

// OpenBLAS's name for the kernels it runs (its own choice for the CPU, or
// OPENBLAS_CORETYPE), for provenance: they set the speed of every matmul.
std::string BlasCore() {
  using CoreName = char* (*)();
  auto* name = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return name != nullptr ? name() : "";
}

// Runs `work` with this process's standard output going to a temporary
// file, and returns what was written there.
template <typename Work>
std::string CaptureStdout(Work work) {
  std::fflush(stdout);
  std::FILE* capture = std::tmpfile();
  const int saved = dup(STDOUT_FILENO);
  if (capture == nullptr || saved < 0) {
    work();
    if (capture != nullptr) std::fclose(capture);
    return "";
  }
  dup2(fileno(capture), STDOUT_FILENO);
  work();
  std::fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  std::string text;
  std::rewind(capture);
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, capture)) > 0;) text.append(buffer, n);
  std::fclose(capture);
  return text;
}

// The text after `key` on the first line of `text` that contains it.
std::string AfterKey(const std::string& text, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t at = line.find(key);
    if (at != absl::string_view::npos) return std::string(line.substr(at + key.size()));
  }
  return "";
}

std::string ProbeKernels() {
  torch::NoGradGuard no_grad;
  const std::string onednn = CaptureStdout([] {
    torch::verbose::_mkldnn_set_verbose(1);
    const torch::Tensor x =
        torch::ones({4, 16, 16, 16}).contiguous(at::MemoryFormat::ChannelsLast);
    const torch::Tensor w =
        torch::ones({16, 16, 3, 3}).contiguous(at::MemoryFormat::ChannelsLast);
    torch::conv2d(x, w);
    torch::verbose::_mkldnn_set_verbose(0);
  });
  const std::string mkl = CaptureStdout([] {
    torch::verbose::_mkl_set_verbose(1);
    torch::mm(torch::ones({64, 64}), torch::ones({64, 64}));
    torch::verbose::_mkl_set_verbose(0);
  });
  // "onednn_verbose,v1,info,cpu,isa:Intel AVX2"; "MKL_VERBOSE oneMKL 2024.0
  // ... for Intel(R) 64 architecture <code path> processors, Lnx ...".
  std::string isa = AfterKey(onednn, "cpu,isa:");
  std::string path = AfterKey(mkl, "64 architecture ");
  path = path.substr(0, path.find(','));
  return absl::StrFormat("oneDNN: %s; MKL: %s; ATen: %s", isa.empty() ? "unknown" : isa,
                         path.empty() ? "unknown" : path, at::get_cpu_capability());
}

}  // namespace

// The libraries print their dispatch choice once per process, so the probe
// runs once and its answer is kept.
std::string KernelsInUse() {
  static const std::string* kernels = new std::string(ProbeKernels());
  return *kernels;
}

void KeepFreedMemoryMapped() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 512 << 20);
}

std::string ConfigureRuntime(int torch_threads) {
  KeepFreedMemoryMapped();
  at::set_num_threads(torch_threads);
  // LibTorch's wheel does its matrix products with MKL, linked in, whose
  // threads follow at::set_num_threads. An OpenBLAS loaded beside it (a
  // LibTorch built against the system BLAS) is looked up at run time so the
  // build does not depend on it.
  std::string blas = at::globalContext().hasMKL() ? "blas MKL (LibTorch's, torch threads)"
                                                  : "blas threads unchanged (not OpenBLAS)";
  using SetThreads = void (*)(int);
  if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(1);
    blas = "openblas threads 1, kernels " + BlasCore();
  }
  return absl::StrFormat("torch threads %d, %s, malloc mmap/trim threshold 1 GiB, top pad 512 MiB",
                         at::get_num_threads(), blas);
}

}  // namespace warmup
