#ifndef WARMUP_LIB_TRAINER_GRADIENT_CHECK_H_
#define WARMUP_LIB_TRAINER_GRADIENT_CHECK_H_

#include <functional>
#include <string>

#include <torch/nn/module.h>

#include "absl/status/status.h"

namespace warmup {

// The start-up check that no numerical kernel silently corrupts a figure:
// the gradient of a model's loss, and one Hessian-vector product, on the
// path training and profiling take (float32, with the kernels oneDNN, MKL or
// CUDA chose for this machine) are compared with those of a float64 copy of
// the same model at the same weights and data, which runs other kernels (on
// the CPU oneDNN has no float64, so convolutions run ATen's own). Float32
// rounding leaves a relative difference of 1e-7 to 1e-5 per parameter
// tensor; a defective kernel leaves one of order 1 (measured: 0.6 for
// oneDNN's AVX2 1x1 weight-gradient defect).

// The largest relative L2 difference between corresponding slices,
// |a32 - a64| / max(|a64|, 1e-6 |a64 over all parameters|), of the gradient
// or of H v (v a fixed Gaussian direction), and where.
struct GradientAgreement {
  std::string worst_parameter;
  std::string worst_quantity;  // "gradient" or "Hessian-vector product"
  double worst_error = 0;
};

// Compares the gradients and one Hessian-vector product of `working_loss()`
// and `reference_loss()` over the parameters of `working` and `reference`,
// matched by name. Both modules must have the same parameter names and
// shapes, and every parameter must require gradients.
GradientAgreement CompareGradients(torch::nn::Module& working,
                                   const std::function<torch::Tensor()>& working_loss,
                                   torch::nn::Module& reference,
                                   const std::function<torch::Tensor()>& reference_loss);

// Relative gradient difference above which the check stops a run: 1e-3,
// three orders above float32 rounding and far below a defect.
constexpr double kGradientTolerance = 1e-3;

// OK when `agreement.worst_error` is within kGradientTolerance; otherwise
// FailedPrecondition naming the parameter, the quantity, the difference and
// what to do.
// `model` says which network (for the message).
absl::Status CheckGradientAgreement(const GradientAgreement& agreement,
                                    const std::string& model);

// Copies every parameter and buffer of `from` into the same-named tensor of
// `to` (converting dtype and device). Both modules have the same structure.
void CopyModelState(torch::nn::Module& from, torch::nn::Module& to);

// Converts the floating-point parameters and buffers of `module` to float64
// in place, keeping their memory layout; integer and boolean buffers (masks,
// counters) stay as they are.
void ToFloat64(torch::nn::Module& module);

}  // namespace warmup

#endif  // WARMUP_LIB_TRAINER_GRADIENT_CHECK_H_
