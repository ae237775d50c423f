#include "lib/trainer/gradient_check.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "absl/strings/str_format.h"
#include "lib/curvature/hessian.h"
#include "lib/runtime/runtime.h"

namespace warmup {

namespace {

// The gradient and H v of `loss` over the parameters of `module`, one flat
// slice per parameter (in named_parameters order), on the CPU in float64.
struct FlatDerivatives {
  std::vector<std::string> names;
  std::vector<torch::Tensor> gradient, hvp;
};

FlatDerivatives Derivatives(torch::nn::Module& module, const std::function<torch::Tensor()>& loss,
                            const torch::Tensor& direction) {
  FlatDerivatives out;
  std::vector<torch::Tensor> params;
  for (const auto& p : module.named_parameters()) {
    out.names.push_back(p.key());
    params.push_back(p.value());
  }
  absl::StatusOr<HessianOperator> h = HessianOperator::Create(loss, params);
  if (!h.ok()) return out;  // no slices: the caller reports the mismatch
  const torch::Tensor v = direction.to(params.front().device(), params.front().scalar_type());
  const torch::Tensor gradient = h->gradient().to(torch::kCPU, torch::kFloat64);
  const torch::Tensor hvp = h->Apply(v).to(torch::kCPU, torch::kFloat64);
  int64_t offset = 0;
  for (const torch::Tensor& p : params) {
    out.gradient.push_back(gradient.slice(0, offset, offset + p.numel()));
    out.hvp.push_back(hvp.slice(0, offset, offset + p.numel()));
    offset += p.numel();
  }
  return out;
}

// The worst relative difference of `a` against `b`, slice by slice.
void Worst(const std::vector<std::string>& names, const std::vector<torch::Tensor>& a,
           const std::vector<torch::Tensor>& b, const char* quantity, GradientAgreement* out) {
  double total = 0;
  for (const torch::Tensor& t : b) total += t.square().sum().item<double>();
  const double floor = std::max(1e-6 * std::sqrt(total), 1e-300);
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const double error =
        (a[i] - b[i]).norm().item<double>() / std::max(b[i].norm().item<double>(), floor);
    if (!(error <= out->worst_error)) {  // NaN counts as the worst
      out->worst_error = error;
      out->worst_parameter = names[i];
      out->worst_quantity = quantity;
    }
  }
}

}  // namespace

GradientAgreement CompareGradients(torch::nn::Module& working,
                                   const std::function<torch::Tensor()>& working_loss,
                                   torch::nn::Module& reference,
                                   const std::function<torch::Tensor()>& reference_loss) {
  int64_t dim = 0;
  for (const torch::Tensor& p : working.parameters()) dim += p.numel();
  const torch::Tensor direction = torch::randn(
      {dim}, at::detail::createCPUGenerator(/*seed_val=*/20251209),
      torch::TensorOptions().dtype(torch::kFloat64));
  const FlatDerivatives a = Derivatives(working, working_loss, direction);
  const FlatDerivatives b = Derivatives(reference, reference_loss, direction);
  GradientAgreement agreement;
  if (a.names != b.names || a.gradient.size() != a.names.size() ||
      b.gradient.size() != b.names.size()) {
    agreement.worst_error = std::numeric_limits<double>::infinity();
    agreement.worst_parameter = "(the two copies could not be differentiated alike)";
    agreement.worst_quantity = "gradient";
    return agreement;
  }
  Worst(a.names, a.gradient, b.gradient, "gradient", &agreement);
  Worst(a.names, a.hvp, b.hvp, "Hessian-vector product", &agreement);
  return agreement;
}

absl::Status CheckGradientAgreement(const GradientAgreement& agreement,
                                    const std::string& model) {
  if (agreement.worst_error <= kGradientTolerance) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrFormat(
      "gradient check: the %s of %s parameter '%s' differs from its float64 reference "
      "by %.3g (relative; float32 rounding gives 1e-7 to 1e-5, the check allows %g): a "
      "numerical kernel this machine dispatched to (%s) computes it wrongly, so nothing "
      "was trained. Another instruction set may avoid the defect (for oneDNN, "
      "ONEDNN_MAX_CPU_ISA=AVX2 or AVX512_CORE)",
      agreement.worst_quantity, model, agreement.worst_parameter, agreement.worst_error,
      kGradientTolerance, KernelsInUse()));
}

void CopyModelState(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  const auto params = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(params[p.key()]);
  const auto buffers = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(buffers[b.key()]);
}

void ToFloat64(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : module.parameters()) {
    p.set_data(p.to(torch::kFloat64, /*non_blocking=*/false, /*copy=*/false,
                    at::MemoryFormat::Preserve));
  }
  for (torch::Tensor& b : module.buffers()) {
    if (b.is_floating_point()) b.set_data(b.to(torch::kFloat64));
  }
}

}  // namespace warmup
