// Exactness of the curvature tools in float64: random symmetric matrices
// against Eigen's eigensolver, closed-form Hessians of quadratic and logistic
// losses, a small MLP's full Hessian against finite differences of
// gradients, and Lanczos against power iteration on a small conv net.
#include "lib/curvature/hessian.h"

#include <cmath>

#include <Eigen/Eigenvalues>
#include <torch/torch.h>

#include "gtest/gtest.h"

namespace warmup {
namespace {

torch::TensorOptions F64() { return torch::TensorOptions().dtype(torch::kFloat64); }

Eigen::MatrixXd ToEigen(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous().to(torch::kFloat64);
  Eigen::MatrixXd m(c.size(0), c.size(1));
  for (int64_t i = 0; i < c.size(0); ++i)
    for (int64_t j = 0; j < c.size(1); ++j) m(i, j) = c[i][j].item<double>();
  return m;
}

// f(x) = x^T A x / 2, so H = A.
struct Quadratic {
  explicit Quadratic(torch::Tensor a) : a(std::move(a)) {
    x = torch::randn({this->a.size(0)}, F64()).requires_grad_(true);
  }
  LossFunction loss() {
    return [this] { return 0.5 * torch::dot(x, torch::mv(a, x)); };
  }
  torch::Tensor a, x;
};

torch::Tensor RandomSymmetric(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  torch::Tensor m = torch::randn({n, n}, F64());
  return 0.5 * (m + m.t());
}

TEST(LanczosTest, MatchesEigenOnRandomSymmetricMatrices) {
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Quadratic q(RandomSymmetric(60, seed));
    auto h = HessianOperator::Create(q.loss(), {q.x});
    ASSERT_TRUE(h.ok()) << h.status();
    const Eigen::VectorXd ev =
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(ToEigen(q.a)).eigenvalues();
    const double truth = std::max(std::abs(ev[0]), std::abs(ev[ev.size() - 1]));
    SpectralOptions o;
    o.tolerance = 1e-10;
    o.max_iterations = 60;
    const SpectralEstimate e = LanczosSpectralNorm(*h, o);
    EXPECT_TRUE(e.valid && e.converged);
    EXPECT_LE(std::abs(e.spectral_norm - truth) / truth, 1e-6) << "seed " << seed;
    EXPECT_NEAR(e.lambda_max, ev[ev.size() - 1], 1e-6 * truth);
    EXPECT_NEAR(e.lambda_min, ev[0], 1e-6 * truth);
  }
}

// PyHessian's stopping rule: Lanczos stops at the first HVP whose estimate
// moved by less than the tolerance (relative) from the previous one, which
// the per-iteration estimates show.
TEST(LanczosTest, RelativeChangeRuleStopsAtTheFirstSmallChange) {
  Quadratic q(RandomSymmetric(60, 3));
  auto h = HessianOperator::Create(q.loss(), {q.x});
  ASSERT_TRUE(h.ok()) << h.status();
  std::vector<double> estimates;
  SpectralOptions o;
  o.tolerance = 1e-3;
  o.max_iterations = 60;
  o.stop = SpectralOptions::Stop::kRelativeChange;
  o.on_iteration = [&](int, double estimate) { estimates.push_back(estimate); };
  const SpectralEstimate e = LanczosSpectralNorm(*h, o);
  ASSERT_TRUE(e.converged);
  ASSERT_GE(estimates.size(), 2u);
  auto changed_little = [&](size_t i) {
    return std::abs(estimates[i] - estimates[i - 1]) < 1e-3 * (std::abs(estimates[i - 1]) + 1e-6);
  };
  EXPECT_TRUE(changed_little(estimates.size() - 1));
  for (size_t i = 1; i + 1 < estimates.size(); ++i) EXPECT_FALSE(changed_little(i)) << i;
  EXPECT_EQ(e.iterations, static_cast<int>(estimates.size()));
}

TEST(PowerIterationTest, MatchesEigenWithASpectralGap) {
  // Eigenvalues 10, -3, and 58 values in [-1, 1]: power iteration converges.
  torch::manual_seed(3);
  torch::Tensor qmat = std::get<0>(at::linalg_qr(torch::randn({60, 60}, F64())));
  torch::Tensor d = torch::rand({60}, F64()) * 2 - 1;
  d[0] = 10.0;
  d[1] = -3.0;
  Quadratic q(qmat.mm(torch::diag(d)).mm(qmat.t()));
  auto h = HessianOperator::Create(q.loss(), {q.x});
  ASSERT_TRUE(h.ok());
  SpectralOptions o;
  o.tolerance = 1e-12;
  o.max_iterations = 200;
  const SpectralEstimate e = PowerIterationSpectralNorm(*h, o);
  EXPECT_TRUE(e.converged);
  EXPECT_LE(std::abs(e.spectral_norm - 10.0) / 10.0, 1e-6);
}

TEST(HvpTest, LogisticRegressionClosedForm) {
  // f(w) = mean log(1 + exp(-y x.w)): H = X^T diag(p (1 - p)) X / n.
  torch::manual_seed(5);
  const int64_t n = 200, d = 12;
  torch::Tensor x = torch::randn({n, d}, F64());
  torch::Tensor y = torch::randint(0, 2, {n}, F64()) * 2 - 1;
  torch::Tensor w = (0.3 * torch::randn({d}, F64())).requires_grad_(true);
  auto loss = [&] { return torch::softplus(-y * torch::mv(x, w)).mean(); };
  auto h = HessianOperator::Create(loss, {w});
  ASSERT_TRUE(h.ok());
  torch::Tensor p = torch::sigmoid(torch::mv(x, w.detach()));
  torch::Tensor exact = x.t().mm(torch::diag(p * (1 - p))).mm(x) / n;
  for (int k = 0; k < 5; ++k) {
    torch::Tensor v = torch::randn({d}, F64());
    EXPECT_LE((h->Apply(v) - torch::mv(exact, v)).abs().max().item<double>(), 1e-12);
  }
  SpectralOptions o;
  o.tolerance = 1e-10;
  const SpectralEstimate e = LanczosSpectralNorm(*h, o);
  const double truth =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(ToEigen(exact)).eigenvalues().maxCoeff();
  EXPECT_LE(std::abs(e.spectral_norm - truth) / truth, 1e-6);
}

TEST(HvpTest, SmallMlpHessianMatchesFiniteDifferencesOfGradients) {
  torch::manual_seed(7);
  torch::nn::Sequential mlp(torch::nn::Linear(4, 6), torch::nn::Tanh(),
                            torch::nn::Linear(6, 3));
  mlp->to(torch::kFloat64);
  torch::Tensor x = torch::randn({32, 4}, F64());
  torch::Tensor y = torch::randint(0, 3, {32});
  auto loss = [&] { return torch::nn::functional::cross_entropy(mlp->forward(x), y); };
  std::vector<torch::Tensor> params = mlp->parameters();
  auto h = HessianOperator::Create(loss, params);
  ASSERT_TRUE(h.ok());
  const int64_t n = h->dim();
  ASSERT_EQ(n, 4 * 6 + 6 + 6 * 3 + 3);
  // Column j of H from one HVP with e_j; finite differences of the gradient.
  auto flat_grad = [&] {
    auto g = torch::autograd::grad({loss()}, params);
    std::vector<torch::Tensor> flat;
    for (auto& t : g) flat.push_back(t.reshape(-1));
    return torch::cat(flat);
  };
  auto shift = [&](int64_t j, double delta) {
    torch::NoGradGuard guard;
    int64_t offset = 0;
    for (auto& p : params) {
      if (j < offset + p.numel()) {
        p.view(-1)[j - offset] += delta;
        return;
      }
      offset += p.numel();
    }
  };
  double worst = 0.0, scale = 0.0;
  torch::Tensor full = torch::zeros({n, n}, F64());
  for (int64_t j = 0; j < n; ++j) {
    torch::Tensor e = torch::zeros({n}, F64());
    e[j] = 1.0;
    full.select(1, j).copy_(h->Apply(e));
  }
  for (int64_t j = 0; j < n; ++j) {
    const double step = 1e-5;
    shift(j, step);
    const torch::Tensor up = flat_grad();
    shift(j, -2 * step);
    const torch::Tensor down = flat_grad();
    shift(j, step);
    const torch::Tensor fd = (up - down) / (2 * step);
    worst = std::max(worst, (fd - full.select(1, j)).abs().max().item<double>());
    scale = std::max(scale, fd.abs().max().item<double>());
  }
  std::printf("MLP Hessian: max |HVP - finite differences| = %.3g (scale %.3g)\n", worst, scale);
  EXPECT_LE(worst, 1e-7 * scale);
  EXPECT_LE((full - full.t()).abs().max().item<double>(), 1e-12 * scale);
}

TEST(SpectralTest, LanczosAndPowerAgreeOnASmallConvNet) {
  torch::manual_seed(9);
  torch::nn::Sequential net(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)), torch::nn::Tanh(),
      torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)), torch::nn::Flatten(),
      torch::nn::Linear(4 * 4 * 4, 10));
  net->to(torch::kFloat64);
  torch::Tensor x = torch::randn({64, 3, 8, 8}, F64());
  torch::Tensor y = torch::randint(0, 10, {64});
  auto loss = [&] { return torch::nn::functional::cross_entropy(net->forward(x), y); };
  auto h = HessianOperator::Create(loss, net->parameters());
  ASSERT_TRUE(h.ok());
  SpectralOptions o;
  o.tolerance = 1e-8;
  o.max_iterations = 300;
  const SpectralEstimate lanczos = LanczosSpectralNorm(*h, o);
  const SpectralEstimate power = PowerIterationSpectralNorm(*h, o);
  ASSERT_TRUE(lanczos.converged && power.converged);
  std::printf("conv net: Lanczos %.8g in %d HVPs, power %.8g in %d HVPs\n",
              lanczos.spectral_norm, lanczos.iterations, power.spectral_norm,
              power.iterations);
  EXPECT_LE(std::abs(lanczos.spectral_norm - power.spectral_norm) / lanczos.spectral_norm, 1e-5);
}

// Data parallel: the loss, the gradient and every product pass through the
// ranks' average. A stand-in average that triples every value shows each
// one does (the spectral norm of 3 A comes out); a quantity that bypassed
// it would keep the factor 1.
TEST(HvpTest, EveryQuantityPassesThroughTheRanksAverage) {
  Quadratic q(RandomSymmetric(20, 5));
  int calls = 0;
  const RankAverage triple = [&](const std::vector<at::Tensor>& tensors) {
    ++calls;
    for (const at::Tensor& t : tensors) t.mul_(3);
  };
  auto plain = HessianOperator::Create(q.loss(), {q.x});
  auto h = HessianOperator::Create(q.loss(), {q.x}, triple);
  ASSERT_TRUE(plain.ok() && h.ok());
  EXPECT_NEAR(h->loss(), 3 * plain->loss(), 1e-12 * std::abs(plain->loss()));
  EXPECT_TRUE(torch::allclose(h->gradient(), 3 * plain->gradient(), 1e-12, 0));
  const torch::Tensor v = torch::randn({20}, F64());
  EXPECT_TRUE(torch::allclose(h->Apply(v), 3 * torch::mv(q.a, v), 1e-12, 1e-12));
  SpectralOptions o;
  o.max_iterations = 20;  // the whole space: exact
  o.tolerance = 1e-12;
  const double expected = 3 * torch::linalg_eigvalsh(q.a).abs().max().item<double>();
  EXPECT_NEAR(LanczosSpectralNorm(*h, o).spectral_norm, expected, 1e-8 * expected);
  EXPECT_GE(calls, 4);
}

TEST(DirectionalTest, ExactOnAQuadratic) {
  Quadratic q(RandomSymmetric(10, 1));
  torch::Tensor prev = torch::randn({10}, F64());
  torch::Tensor next = prev + 0.1 * torch::randn({10}, F64());
  const torch::Tensor before = q.x.detach().clone();
  auto s = DirectionalSmoothness(q.loss(), {q.x}, {prev}, {next});
  ASSERT_TRUE(s.ok()) << s.status();
  const torch::Tensor d = next - prev;
  EXPECT_NEAR(*s, (torch::mv(q.a, d).norm() / d.norm()).item<double>(), 1e-10);
  EXPECT_TRUE(torch::equal(q.x.detach(), before));  // parameters restored
  EXPECT_FALSE(DirectionalSmoothness(q.loss(), {q.x}, {prev}, {prev}).ok());
}

TEST(BadInputTest, EmptyParametersNanLossAndNonFiniteHvp) {
  auto empty = HessianOperator::Create([] { return torch::zeros({}); }, {});
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  torch::Tensor w = torch::ones({3}, F64()).requires_grad_(true);
  auto nan_loss = HessianOperator::Create(
      [&] { return (w * std::nan("")).sum(); }, {w});
  EXPECT_EQ(nan_loss.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(nan_loss.status().message().find("not finite"), std::string::npos);
  // Finite loss and gradient, infinite curvature: sum z^1.5 at z = 0.
  torch::Tensor z = torch::zeros({3}, F64()).requires_grad_(true);
  auto h = HessianOperator::Create([&] { return torch::pow(z, 1.5).sum(); }, {z});
  ASSERT_TRUE(h.ok()) << h.status();
  const SpectralEstimate e = LanczosSpectralNorm(*h, SpectralOptions());
  EXPECT_FALSE(e.valid);
  EXPECT_NE(e.error.find("non-finite"), std::string::npos);
}

}  // namespace
}  // namespace warmup
