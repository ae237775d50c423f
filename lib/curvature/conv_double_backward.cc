// A faster CPU double backward for convolutions, registered with the
// dispatcher when this library is linked. It is what a Hessian-vector product
// of a conv net spends most of its time in.
//
// LibTorch 1.13 computes the double backward of y = conv(x, w) as a
// composite whose weight term is a convolution with the whole gradient map as
// its kernel and whose input term is a transposed convolution; on CPU both
// miss oneDNN and take 4-12x the time of the forward convolution. Given the
// upstream gradients ggI (of grad_input), ggW (of grad_weight) and ggb, the
// three results are, for a non-transposed convolution:
//   d/d grad_output: conv(ggI, w) + conv(x, ggW) + ggb
//   d/d input:       convolution_backward's input gradient of (gO, x, ggW)
//   d/d weight:      convolution_backward's weight gradient of (gO, ggI, w)
// (each a bilinear form's adjoint; docs/theory.md, "Hessian-vector products"),
// and convolution_backward runs the fast backward kernels. Every call goes
// through the dispatcher, so the result stays differentiable (third order).
// Transposed convolutions keep LibTorch's composite.
#include <array>
#include <tuple>

#include <ATen/ATen.h>
#include <ATen/ops/_convolution_double_backward_native.h>
#include <torch/library.h>

#include "lib/curvature/double_backward.h"

namespace warmup {
namespace {

using at::Tensor;

std::tuple<Tensor, Tensor, Tensor> ConvolutionDoubleBackward(
    const c10::optional<Tensor>& ggI_opt, const c10::optional<Tensor>& ggW_opt,
    const c10::optional<Tensor>& ggb_opt, const Tensor& gO, const Tensor& weight,
    const Tensor& input, at::IntArrayRef stride, at::IntArrayRef padding,
    at::IntArrayRef dilation, bool transposed, at::IntArrayRef output_padding,
    int64_t groups, std::array<bool, 3> output_mask) {
  if (transposed || input.numel() == 0) {
    return at::native::_convolution_double_backward(
        ggI_opt, ggW_opt, ggb_opt, gO, weight, input, stride, padding, dilation,
        transposed, output_padding, groups, output_mask);
  }
  // Every operand in the weight's layout: the model chose it (a ResNet keeps
  // a projection with few input channels in NCHW, where oneDNN's
  // channels-last kernel is defective), and LibTorch picks the kernel from
  // the layout of the input operand, which here is an upstream direction
  // that may arrive channels-last.
  const at::MemoryFormat format = weight.suggest_memory_format();
  auto laid_out = [&](const c10::optional<Tensor>& t) {
    return t.has_value() && t->defined() && t->dim() == weight.dim() ? t->contiguous(format)
                                                                      : t.value_or(Tensor());
  };
  const Tensor ggI = laid_out(ggI_opt);
  const Tensor ggW = laid_out(ggW_opt);
  const Tensor ggb = ggb_opt.value_or(Tensor());
  const Tensor gO_laid = gO.contiguous(format);
  const Tensor input_laid = input.contiguous(format);
  auto conv = [&](const Tensor& x, const Tensor& w) {
    return at::convolution(x, w, /*bias=*/{}, stride, padding, dilation,
                           /*transposed=*/false, output_padding, groups);
  };
  Tensor ggO, gI, gW;
  if (output_mask[0]) {
    if (ggI.defined()) ggO = conv(ggI, weight);
    if (ggW.defined()) {
      ggO = ggO.defined() ? ggO + conv(input_laid, ggW) : conv(input_laid, ggW);
    }
    if (ggb.defined()) {
      std::vector<int64_t> shape(gO.dim(), 1);
      shape[1] = ggb.size(0);
      const Tensor term = ggb.reshape(shape).expand(gO.sizes());
      ggO = ggO.defined() ? ggO + term : term.contiguous();
    }
  }
  if (output_mask[1] && ggW.defined()) {
    gI = std::get<0>(at::convolution_backward(gO_laid, input_laid, ggW, c10::nullopt, stride,
                                              padding, dilation, false, output_padding,
                                              groups, {true, false, false}));
  }
  if (output_mask[2] && ggI.defined()) {
    gW = std::get<1>(at::convolution_backward(gO_laid, ggI, weight, c10::nullopt, stride,
                                              padding, dilation, false, output_padding,
                                              groups, {false, true, false}));
  }
  return {ggO, gI, gW};
}

}  // namespace

namespace double_backward_internal {

// At the AutogradCPU key the kernel sits above autograd, as the composite it
// replaces does, so the operations it calls are recorded when a graph is
// being built.
void RegisterConvolutionDoubleBackward(torch::Library& library) {
  library.impl("_convolution_double_backward", ConvolutionDoubleBackward);
}

}  // namespace double_backward_internal
}  // namespace warmup
