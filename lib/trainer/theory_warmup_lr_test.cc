#include "lib/trainer/theory_warmup_lr.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <torch/torch.h>

#include "gtest/gtest.h"

namespace warmup {
namespace {

double Formula(const TheoryWarmupLROptions& o, double loss) {
  const double rate = o.c / (o.k0 + o.krho * std::pow(std::max(loss - o.f_star, 0.0), o.rho));
  return o.max_lr > 0 ? std::min(rate, o.max_lr) : rate;
}

// A small regression model trained the way a user's loop would call the
// scheduler: the rate it sets in every parameter group is the formula at
// the loss it was given, and the loss falls.
TEST(TheoryWarmupLRTest, SetsTheFormulasRateInEveryGroup) {
  torch::manual_seed(0);
  torch::nn::Sequential model(torch::nn::Linear(8, 16), torch::nn::Tanh(),
                              torch::nn::Linear(16, 1));
  const torch::Tensor x = torch::randn({64, 8});
  const torch::Tensor y = x.sum(1, true).sin();
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(model[0]->parameters());  // two groups: both must be set
  groups.emplace_back(model[2]->parameters());
  torch::optim::SGD optimizer(groups, torch::optim::SGDOptions(0.0).momentum(0.9));
  const TheoryWarmupLROptions options{/*k0=*/1.0, /*krho=*/200.0, /*rho=*/1.0, /*c=*/1.0,
                                      /*f_star=*/0.0, /*max_lr=*/0.05, /*ema=*/0.0};
  absl::StatusOr<TheoryWarmupLR> scheduler = TheoryWarmupLR::Create(optimizer, options);
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  double first_loss = 0.0, last_loss = 0.0, min_lr = 1.0, max_lr = 0.0;
  for (int step = 0; step < 200; ++step) {
    optimizer.zero_grad();
    const torch::Tensor loss = torch::mse_loss(model->forward(x), y);
    loss.backward();
    const double value = loss.item<double>();
    const double lr = scheduler->step(value);
    // Rule: the rate is the formula's value up to double rounding (1e-12
    // relative), in both groups.
    ASSERT_NEAR(lr, Formula(options, value), 1e-12 * lr) << "step " << step;
    for (auto& group : optimizer.param_groups()) {
      ASSERT_NEAR(group.options().get_lr(), lr, 1e-12 * lr);
    }
    optimizer.step();
    if (step == 0) first_loss = value;
    min_lr = std::min(min_lr, lr);
    max_lr = std::max(max_lr, lr);
    last_loss = value;
  }
  EXPECT_LT(last_loss, 0.5 * first_loss);  // it trains: the loss at least halves
  // It warms up: the rate at least doubles as the loss falls, within the cap.
  EXPECT_GT(max_lr, 2.0 * min_lr);
  EXPECT_LE(max_lr, options.max_lr);
}

// The smoothed loss survives a save and load, so a resumed run sets the
// same rates as an uninterrupted one.
TEST(TheoryWarmupLRTest, StateCheckpointsWithTheOptimizer) {
  torch::nn::Linear model(2, 1);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.0));
  const TheoryWarmupLROptions options{0.0, 4.0, 1.0, 1.0, 0.0, 0.3, 0.9};
  absl::StatusOr<TheoryWarmupLR> a = TheoryWarmupLR::Create(optimizer, options);
  ASSERT_TRUE(a.ok());
  for (double loss : {3.0, 2.5, 2.0}) a->step(loss);
  torch::serialize::OutputArchive out;
  a->save(out);
  optimizer.save(out);
  std::ostringstream bytes;
  out.save_to(bytes);

  absl::StatusOr<TheoryWarmupLR> b = TheoryWarmupLR::Create(optimizer, options);
  ASSERT_TRUE(b.ok());
  torch::serialize::InputArchive in;
  std::istringstream read(bytes.str());
  in.load_from(read);
  b->load(in);
  EXPECT_DOUBLE_EQ(b->step(1.5), a->step(1.5));
  // Without the state the ema restarts at the current loss: another rate.
  absl::StatusOr<TheoryWarmupLR> fresh = TheoryWarmupLR::Create(optimizer, options);
  EXPECT_NE(fresh->step(1.5), b->step(1.5));
}

TEST(TheoryWarmupLRTest, RejectsBadConstants) {
  torch::nn::Linear model(2, 1);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.0));
  EXPECT_FALSE(TheoryWarmupLR::Create(optimizer, {0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0}).ok())
      << "K0 = 0 without a cap";
  EXPECT_FALSE(TheoryWarmupLR::Create(optimizer, {1.0, 1.0, -1.0, 1.0, 0.0, 0.0, 0.0}).ok());
  EXPECT_FALSE(TheoryWarmupLR::Create(optimizer, {1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0}).ok());
}

}  // namespace
}  // namespace warmup
