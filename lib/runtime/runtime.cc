#include "lib/runtime/runtime.h"

#include <dlfcn.h>
#include <malloc.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include "absl/strings/str_format.h"

namespace warmup {

namespace {

// OpenBLAS's name for the kernels it runs (its own choice for the CPU, or
// OPENBLAS_CORETYPE), for provenance: they set the speed of every matmul.
std::string BlasCore() {
  using CoreName = char* (*)();
  auto* name = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return name != nullptr ? name() : "";
}

}  // namespace

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
