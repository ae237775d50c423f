// The faster second derivatives of convolution and batch norm, in float64:
// the convolution's against LibTorch's own composite, and Hessian-vector
// products (and third derivatives) of small conv + batch-norm nets against
// the same nets with batch norm written out in elementary operations, whose
// derivatives never reach these kernels. Plus finite differences and
// forward-mode tangents.
#include <ATen/ops/_convolution_double_backward_native.h>
#include <torch/csrc/autograd/forward_grad.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "lib/curvature/double_backward.h"
#include "lib/curvature/hessian.h"

namespace warmup {
namespace {

torch::TensorOptions F64() { return torch::TensorOptions().dtype(torch::kFloat64); }

double RelativeError(const torch::Tensor& a, const torch::Tensor& b) {
  if (!a.defined() || !b.defined()) return a.defined() == b.defined() ? 0.0 : INFINITY;
  return (a - b).abs().max().item<double>() / (1e-300 + b.abs().max().item<double>());
}

struct ConvCase {
  int64_t c_in, c_out, size, kernel, stride, padding, dilation, groups;
};

// Both kernels are registered (else the comparisons below compare LibTorch
// with itself).
TEST(DoubleBackwardTest, KernelsAreRegistered) {
  for (const char* name : {"aten::_convolution_double_backward", "aten::native_batch_norm_backward"}) {
    const auto op = c10::Dispatcher::singleton().findSchema({name, ""});
    ASSERT_TRUE(op.has_value()) << name;
    EXPECT_TRUE(op->hasKernelForDispatchKey(c10::DispatchKey::AutogradCPU)) << name;
  }
}

TEST(ConvDoubleBackwardTest, MatchesLibTorchsComposite) {
  torch::manual_seed(1);
  const std::vector<ConvCase> cases = {
      {3, 4, 8, 3, 1, 1, 1, 1}, {4, 6, 9, 3, 2, 1, 1, 1}, {4, 4, 8, 1, 2, 0, 1, 1},
      {4, 6, 10, 3, 1, 2, 2, 2}, {6, 6, 7, 5, 3, 2, 1, 3}, {2, 3, 6, 2, 1, 0, 1, 1}};
  for (const ConvCase& c : cases) {
    const torch::Tensor x = torch::randn({3, c.c_in, c.size, c.size}, F64());
    const torch::Tensor w = torch::randn({c.c_out, c.c_in / c.groups, c.kernel, c.kernel}, F64());
    const std::vector<int64_t> stride = {c.stride, c.stride}, padding = {c.padding, c.padding},
                               dilation = {c.dilation, c.dilation}, none = {0, 0};
    const torch::Tensor y =
        at::convolution(x, w, {}, stride, padding, dilation, false, none, c.groups);
    const torch::Tensor g = torch::randn_like(y), ggi = torch::randn_like(x),
                        ggw = torch::randn_like(w), ggb = torch::randn({c.c_out}, F64());
    for (int mask = 1; mask < 8; ++mask) {
      const std::array<bool, 3> out = {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
      const auto ours = at::_convolution_double_backward(ggi, ggw, ggb, g, w, x, stride, padding,
                                                         dilation, false, none, c.groups, out);
      const auto theirs = at::native::_convolution_double_backward(
          ggi, ggw, ggb, g, w, x, stride, padding, dilation, false, none, c.groups, out);
      for (int k = 0; k < 3; ++k) {
        if (!out[k]) continue;
        const torch::Tensor a = k == 0 ? std::get<0>(ours) : k == 1 ? std::get<1>(ours)
                                                                    : std::get<2>(ours);
        const torch::Tensor b = k == 0 ? std::get<0>(theirs) : k == 1 ? std::get<1>(theirs)
                                                                      : std::get<2>(theirs);
        EXPECT_LE(RelativeError(a, b), 1e-12) << "output " << k << " mask " << mask;
      }
    }
    // Upstream gradients for only some outputs, as autograd passes them.
    const auto ours = at::_convolution_double_backward({}, ggw, {}, g, w, x, stride, padding,
                                                       dilation, false, none, c.groups,
                                                       {true, true, true});
    const auto theirs = at::native::_convolution_double_backward(
        {}, ggw, {}, g, w, x, stride, padding, dilation, false, none, c.groups,
        {true, true, true});
    EXPECT_LE(RelativeError(std::get<0>(ours), std::get<0>(theirs)), 1e-12);
    EXPECT_LE(RelativeError(std::get<1>(ours), std::get<1>(theirs)), 1e-12);
    EXPECT_FALSE(std::get<2>(ours).defined());
  }
}

// Batch norm written out, so that autograd differentiates elementary ops.
torch::Tensor ElementaryBatchNorm(const torch::Tensor& x, const torch::Tensor& gamma,
                                  const torch::Tensor& beta, const torch::Tensor& running_mean,
                                  const torch::Tensor& running_var, bool train) {
  const std::vector<int64_t> shape = {1, x.size(1), 1, 1};
  torch::Tensor mean = running_mean.reshape(shape), var = running_var.reshape(shape);
  if (train) {
    mean = x.mean({0, 2, 3}, true);
    var = (x - mean).pow(2).mean({0, 2, 3}, true);
  }
  return (x - mean) * (var + 1e-5).rsqrt() * gamma.reshape(shape) + beta.reshape(shape);
}

// conv -> BN -> tanh -> conv (stride 2) -> BN -> mean -> linear -> cross
// entropy, with either batch norm.
struct SmallNet {
  SmallNet() {
    torch::manual_seed(3);
    params = {torch::randn({4, 3, 3, 3}, F64()) * 0.4, 1 + 0.3 * torch::randn({4}, F64()),
              0.3 * torch::randn({4}, F64()),           torch::randn({5, 4, 3, 3}, F64()) * 0.3,
              1 + 0.3 * torch::randn({5}, F64()),       0.3 * torch::randn({5}, F64()),
              torch::randn({3, 5}, F64())};
    for (auto& p : params) p.requires_grad_(true);
    x = torch::randn({6, 3, 8, 8}, F64());
    y = torch::randint(0, 3, {6});
    mean4 = 0.1 * torch::randn({4}, F64());
    var4 = 1 + 0.2 * torch::rand({4}, F64());
    mean5 = 0.1 * torch::randn({5}, F64());
    var5 = 1 + 0.2 * torch::rand({5}, F64());
  }
  torch::Tensor Loss(bool native, bool train) const {
    auto bn = [&](const torch::Tensor& h, const torch::Tensor& g, const torch::Tensor& b,
                  const torch::Tensor& rm, const torch::Tensor& rv) {
      return native ? torch::batch_norm(h, g, b, rm.clone(), rv.clone(), train, 0.1, 1e-5, false)
                    : ElementaryBatchNorm(h, g, b, rm, rv, train);
    };
    torch::Tensor h = torch::conv2d(x, params[0], {}, 1, 1);
    h = torch::tanh(bn(h, params[1], params[2], mean4, var4));
    h = torch::conv2d(h, params[3], {}, 2, 1);
    h = bn(h, params[4], params[5], mean5, var5).mean({2, 3});
    return torch::nn::functional::cross_entropy(torch::matmul(h, params[6].t()), y);
  }
  std::vector<torch::Tensor> params;
  torch::Tensor x, y, mean4, var4, mean5, var5;
};

torch::Tensor Flat(const std::vector<torch::Tensor>& parts) {
  std::vector<torch::Tensor> flat;
  for (const auto& t : parts) flat.push_back(t.reshape(-1));
  return torch::cat(flat);
}

TEST(BatchNormSecondOrderTest, HvpMatchesElementaryBatchNormAndFiniteDifferences) {
  SmallNet net;
  for (bool train : {true, false}) {
    auto native = HessianOperator::Create([&] { return net.Loss(true, train); }, net.params);
    auto elementary = HessianOperator::Create([&] { return net.Loss(false, train); }, net.params);
    ASSERT_TRUE(native.ok() && elementary.ok());
    torch::manual_seed(4);
    const torch::Tensor v = torch::randn({native->dim()}, F64());
    const torch::Tensor hv = native->Apply(v);
    EXPECT_LE(RelativeError(hv, elementary->Apply(v)), 1e-10) << "train " << train;
    // Central differences of the gradient along v.
    auto grad_at = [&](double t) {
      std::vector<torch::Tensor> shifted;
      int64_t offset = 0;
      for (const auto& p : net.params) {
        shifted.push_back(p.detach() + t * v.slice(0, offset, offset + p.numel()).view_as(p));
        offset += p.numel();
      }
      SmallNet moved = net;
      for (auto& p : shifted) p.requires_grad_(true);
      moved.params = shifted;
      return Flat(torch::autograd::grad({moved.Loss(true, train)}, shifted));
    };
    const double h = 1e-5;
    EXPECT_LE(RelativeError(hv, (grad_at(h) - grad_at(-h)) / (2 * h)), 1e-6) << "train " << train;
  }
}

// d/dparams <w, H v>: the kernels' results must themselves be differentiable.
TEST(BatchNormSecondOrderTest, ThirdDerivativesMatchElementaryBatchNorm) {
  SmallNet net;
  torch::manual_seed(5);
  int64_t n = 0;
  for (const auto& p : net.params) n += p.numel();
  const torch::Tensor v = torch::randn({n}, F64()), w = torch::randn({n}, F64());
  auto third = [&](bool native) {
    const auto g = torch::autograd::grad({net.Loss(native, true)}, net.params, {}, true, true);
    const auto hv = torch::autograd::grad({torch::dot(Flat(g), v)}, net.params, {}, true, true);
    return Flat(torch::autograd::grad({torch::dot(Flat(hv), w)}, net.params));
  };
  EXPECT_LE(RelativeError(third(true), third(false)), 1e-9);
}

// Forward-mode tangents through batch norm's backward are kept (the fused
// kernel alone would drop them): the tangent of grad_input along a direction
// of the input, against central differences.
TEST(BatchNormSecondOrderTest, ForwardModeTangentsSurvive) {
  torch::manual_seed(6);
  const torch::Tensor x = torch::randn({4, 3, 5, 5}, F64()), dx = torch::randn_like(x);
  const torch::Tensor g = torch::randn_like(x), gamma = torch::randn({3}, F64());
  auto grad_input = [&](const torch::Tensor& input) {
    const auto stats = at::native_batch_norm(input, gamma, {}, {}, {}, true, 0.1, 1e-5);
    return std::get<0>(at::native_batch_norm_backward(g, input, gamma, {}, {},
                                                      std::get<1>(stats), std::get<2>(stats),
                                                      true, 1e-5, {true, false, false}));
  };
  const uint64_t level = torch::autograd::ForwardADLevel::get_next_idx();
  const torch::Tensor dual = at::_make_dual(x, dx, static_cast<int64_t>(level));
  const torch::Tensor tangent = std::get<1>(at::_unpack_dual(grad_input(dual), level));
  torch::autograd::ForwardADLevel::release_idx(level);
  ASSERT_TRUE(tangent.defined());
  const double h = 1e-5;
  const torch::Tensor fd = (grad_input(x + h * dx) - grad_input(x - h * dx)) / (2 * h);
  EXPECT_LE(RelativeError(tangent, fd), 1e-6);
}

}  // namespace
}  // namespace warmup

namespace warmup {
namespace {

// Whether the dispatcher lists this library's registration for `op`.
bool OursListed(const char* op) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(op, "").dumpState().find(
             "double_backward.cc") != std::string::npos;
}

// Each switch unregisters its own kernel only, and turning it on restores it.
TEST(CustomSecondDerivativesTest, SwitchUnregistersAndRestoresEachKernel) {
  const char* conv = "aten::_convolution_double_backward";
  const char* bn = "aten::native_batch_norm_backward";
  ASSERT_TRUE(OursListed(conv));
  ASSERT_TRUE(OursListed(bn));
  SetCustomSecondDerivatives({/*convolution=*/false, /*batch_norm=*/true});
  EXPECT_FALSE(OursListed(conv));
  EXPECT_TRUE(OursListed(bn));
  SetCustomSecondDerivatives({/*convolution=*/true, /*batch_norm=*/false});
  EXPECT_TRUE(OursListed(conv));
  EXPECT_FALSE(OursListed(bn));
  EXPECT_FALSE(GetCustomSecondDerivatives().batch_norm);
  SetCustomSecondDerivatives({});
  EXPECT_TRUE(OursListed(conv) && OursListed(bn));
}

// With both kernels off, LibTorch's own second derivatives give the same HVP
// (float64, relative 1e-10: two exact formulas, rounding apart).
TEST(CustomSecondDerivativesTest, HvpIsTheSameWithAndWithout) {
  SmallNet net;
  auto h = HessianOperator::Create([&] { return net.Loss(true, true); }, net.params);
  ASSERT_TRUE(h.ok());
  torch::manual_seed(5);
  const torch::Tensor v = torch::randn({h->dim()}, F64());
  const torch::Tensor with = h->Apply(v);
  SetCustomSecondDerivatives({false, false});
  auto plain = HessianOperator::Create([&] { return net.Loss(true, true); }, net.params);
  ASSERT_TRUE(plain.ok());
  const torch::Tensor without = plain->Apply(v);
  SetCustomSecondDerivatives({});
  EXPECT_LE(RelativeError(with, without), 1e-10);
}

}  // namespace
}  // namespace warmup
