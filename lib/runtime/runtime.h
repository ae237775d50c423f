#ifndef WARMUP_LIB_RUNTIME_RUNTIME_H_
#define WARMUP_LIB_RUNTIME_RUNTIME_H_

#include <string>

namespace warmup {

// Process-wide settings every LibTorch program here starts with:
// - glibc malloc keeps freed memory mapped (page faults cost ~12 us per
//   4 KiB page on the target machines; big tensors would be unmapped and
//   faulted in again every step);
// - LibTorch's intra-op threads set explicitly (its default here is 1);
// - OpenBLAS, where LibTorch uses it, pinned to one thread, so it does not
//   oversubscribe the cores LibTorch already uses (a small GPT step ran 2x
//   slower otherwise); the wheel's LibTorch uses its own MKL, which follows
//   LibTorch's thread count.
// Returns a one-line description for provenance (with the BLAS in use).
std::string ConfigureRuntime(int torch_threads);

// The instruction sets the numerical libraries dispatched to on this CPU,
// for provenance ("oneDNN: Intel AVX2; MKL: ...; ATen: AVX512"): machines
// whose kernels differ round differently, so a network run there is another
// draw from the same distribution. oneDNN and MKL say it only in their
// verbose output, which this reads from one small convolution and one
// matrix product with standard output redirected.
std::string KernelsInUse();

// The malloc part of ConfigureRuntime alone, for a main that sets it before
// it knows whether LibTorch will run.
void KeepFreedMemoryMapped();

}  // namespace warmup

#endif  // WARMUP_LIB_RUNTIME_RUNTIME_H_
