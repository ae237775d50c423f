#ifndef WARMUP_LIB_CURVATURE_DOUBLE_BACKWARD_H_
#define WARMUP_LIB_CURVATURE_DOUBLE_BACKWARD_H_

namespace torch {
class Library;
}

namespace warmup {

// Which of this library's CPU second derivatives are installed in LibTorch's
// dispatcher (both, from the moment the library is linked). One turned off
// is unregistered: LibTorch's own formula runs again, exactly as in a
// process without this library. For benchmarks that measure both side by
// side; not thread-safe against HVPs running at the same time.
struct CustomSecondDerivatives {
  bool convolution = true;  // _convolution_double_backward
  bool batch_norm = true;   // native_batch_norm_backward while a graph is built
};
void SetCustomSecondDerivatives(const CustomSecondDerivatives& on);
CustomSecondDerivatives GetCustomSecondDerivatives();

namespace double_backward_internal {
// Each registers one kernel in an aten IMPL library for AutogradCPU.
void RegisterConvolutionDoubleBackward(torch::Library& library);
void RegisterBatchNormBackward(torch::Library& library);
}  // namespace double_backward_internal

}  // namespace warmup

#endif  // WARMUP_LIB_CURVATURE_DOUBLE_BACKWARD_H_
