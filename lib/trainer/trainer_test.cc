// Determinism, resumption and failure modes of the trainer, on a tiny GPT
// and ResNet over the real data sets (WARMUP_DATA_DIR; tools/test.sh and CI
// set it).
#include "lib/trainer/trainer.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace warmup {
namespace {

std::string Temp(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  return (t ? std::string(t) : std::string("/tmp")) + "/" + name;
}

TrainRequest TinyGpt() {
  TrainRequest r;
  spec::Network& n = r.network;
  n.set_model("nanogpt");
  n.set_dataset("tinyshakespeare");
  n.set_layers(1);
  n.set_heads(2);
  n.set_embedding(16);
  n.set_context(16);
  n.set_dropout(0.1);  // exercises the dropout RNG across a resume
  r.optimizer.set_kind(spec::Optimizer::SGD);
  r.optimizer.set_batch_size(4);
  r.optimizer.set_momentum(0.9);
  r.schedule.set_label("theory");
  auto* t = r.schedule.mutable_theory_warmup();
  t->set_c(0.5);
  t->set_k0(1.0);
  t->set_krho(1.0);
  t->set_rho(1.0);
  t->set_max_lr(0.3);
  t->set_ema(0.9);  // exercises the schedule state across a resume
  r.profile.set_every(10);
  r.profile.set_examples(4);
  r.profile.set_max_hvps(8);
  r.iterations = 40;
  r.seed = 3;
  return r;
}

TEST(TrainerTest, SameSeedSameThreadsSameLossSeries) {
  auto a = Train(TinyGpt());
  auto b = Train(TinyGpt());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a->loss.size(), 40u);
  EXPECT_EQ(a->loss, b->loss);
  EXPECT_EQ(a->lr, b->lr);
  EXPECT_EQ(a->profile_smoothness, b->profile_smoothness);
  TrainRequest other = TinyGpt();
  other.seed = 4;
  EXPECT_NE(Train(other)->loss, a->loss);
}

TEST(TrainerTest, ResumedRunEndsWhereAnUninterruptedOneDoes) {
  const auto whole = Train(TinyGpt());
  ASSERT_TRUE(whole.ok());
  TrainRequest first = TinyGpt();
  first.checkpoint_dir = Temp("ckpt");
  first.checkpoint_every = 10;
  first.stop_after = 25;  // "interrupted" after 25 steps: last checkpoint at 20
  auto part = Train(first);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ(part->steps_run, 25);
  TrainRequest second = TinyGpt();
  second.checkpoint_dir = first.checkpoint_dir;
  second.checkpoint_every = 10;
  second.resume = true;
  auto rest = Train(second);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->resumed_from, 20);
  EXPECT_EQ(rest->loss, whole->loss);
  EXPECT_EQ(rest->lr, whole->lr);
  EXPECT_EQ(rest->profile_smoothness, whole->profile_smoothness);
}

// The trace and density at chosen steps: recorded with the runs' HVPs,
// identical on a rerun and after a resume, and without effect on training
// (their probes come from their own generator; buffers are restored).
TrainRequest TinyGptWithSpectrum() {
  TrainRequest r = TinyGpt();
  for (int64_t step : {0, 15, 40}) r.profile.add_spectrum_steps(step);
  r.profile.set_trace_hvps(6);
  r.profile.set_density_runs(2);
  r.profile.set_density_lanczos_steps(5);
  return r;
}

TEST(TrainerTest, SpectrumAtChosenStepsLeavesTrainingUnchanged) {
  const auto plain = Train(TinyGpt());
  const auto a = Train(TinyGptWithSpectrum());
  ASSERT_TRUE(plain.ok() && a.ok()) << a.status();
  EXPECT_EQ(a->loss, plain->loss);
  EXPECT_EQ(a->profile_smoothness, plain->profile_smoothness);
  EXPECT_EQ(a->trace_step, (std::vector<double>{0, 15, 40}));
  ASSERT_EQ(a->trace.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_LE(a->trace_lo95[i], a->trace[i]);
    EXPECT_GE(a->trace_hi95[i], a->trace[i]);
  }
  EXPECT_EQ(a->quadrature_step, (std::vector<double>{0, 0, 15, 15, 40, 40}));
  for (const Quadrature& q : a->quadrature) {
    EXPECT_EQ(q.nodes.size(), 5u);
    double total = 0;
    for (double w : q.weights) total += w;
    EXPECT_NEAR(total, 1.0, 1e-5);  // float32 Lanczos
  }
  EXPECT_EQ(a->profile_invalid, 0);
  const auto b = Train(TinyGptWithSpectrum());
  EXPECT_EQ(a->trace, b->trace);
  EXPECT_EQ(a->quadrature.back().nodes, b->quadrature.back().nodes);
  // Resumed from step 20 (after the measurement at 15): the same spectra.
  TrainRequest first = TinyGptWithSpectrum();
  first.checkpoint_dir = Temp("ckpt_spectrum");
  first.checkpoint_every = 10;
  first.stop_after = 25;
  ASSERT_TRUE(Train(first).ok());
  TrainRequest second = TinyGptWithSpectrum();
  second.checkpoint_dir = first.checkpoint_dir;
  second.resume = true;
  const auto rest = Train(second);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->resumed_from, 20);
  EXPECT_EQ(rest->trace, a->trace);
  EXPECT_EQ(rest->quadrature_step, a->quadrature_step);
  EXPECT_EQ(rest->quadrature[2].weights, a->quadrature[2].weights);
}

TEST(TrainerTest, ResNetRunsAndRecordsItsProfile) {
  TrainRequest r;
  r.network.set_model("resnet18");
  r.network.set_dataset("cifar10");
  r.network.set_width(0.0625);
  r.network.set_train_examples(256);
  r.network.set_augment(true);
  r.optimizer.set_kind(spec::Optimizer::SGD);
  r.optimizer.set_batch_size(8);
  r.schedule.set_label("c");
  r.schedule.mutable_constant()->set_lr(0.05);
  r.profile.set_every(5);
  r.profile.set_examples(16);
  r.profile.set_train_mode(true);
  r.profile.set_max_hvps(6);
  r.iterations = 10;
  auto a = Train(r);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->profile_step, (std::vector<double>{0, 5, 10}));
  for (double s : a->profile_smoothness) EXPECT_GT(s, 0.0);
  EXPECT_EQ(a->parameters, 44622);  // ResNet-18 at 1/16 width (4..32 channels)
  auto b = Train(r);  // BatchNorm statistics restored after each measurement
  EXPECT_EQ(a->loss, b->loss);
}

TEST(TrainerTest, DivergenceIsAnOutcome) {
  TrainRequest r = TinyGpt();
  r.schedule.Clear();
  r.schedule.set_label("huge");
  r.schedule.mutable_constant()->set_lr(1e6);
  r.profile.set_every(0);
  auto t = Train(r);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->diverged);
  EXPECT_LT(t->steps_run, 40);
}

TEST(TrainerTest, BadSettingsAreErrors) {
  TrainRequest r = TinyGpt();
  r.device = "tpu";
  EXPECT_EQ(Train(r).status().code(), absl::StatusCode::kInvalidArgument);
  r = TinyGpt();
  r.network.set_model("vgg");
  EXPECT_NE(Train(r).status().message().find("resnet18 or nanogpt"), std::string::npos);
  r = TinyGpt();
  r.data_dir = Temp("no_data_here");
  const absl::Status missing = Train(r).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("download_data.sh"), std::string::npos);
}

// A checkpoint LibTorch cannot read is an error naming it, not an abort.
TEST(TrainerTest, CorruptCheckpointIsAnErrorNamingIt) {
  TrainRequest r = TinyGpt();
  r.checkpoint_dir = Temp("corrupt_ckpt");
  r.checkpoint_every = 10;
  r.resume = true;
  std::filesystem::create_directories(r.checkpoint_dir);
  std::ofstream(r.checkpoint_dir + "/last.pt") << "not a checkpoint";
  const absl::Status st = Train(r).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("last.pt' cannot be read"), std::string::npos) << st;
}

// --resume with a checkpoint another run wrote (here: another seed) is
// refused, naming both runs' hashes.
TEST(TrainerTest, CheckpointOfAnotherRunIsRefused) {
  TrainRequest first = TinyGpt();
  first.checkpoint_dir = Temp("other_ckpt");
  first.checkpoint_every = 10;
  first.stop_after = 10;
  ASSERT_TRUE(Train(first).ok());
  TrainRequest second = first;
  second.stop_after = 0;
  second.resume = true;
  second.seed = 4;
  const absl::Status st = Train(second).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("was written by a different run"), std::string::npos) << st;
  second.seed = first.seed;  // the same run resumes
  auto same = Train(second);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->resumed_from, 10);
}

// --resume with nothing to resume starts from step 0 and says so.
TEST(TrainerTest, ResumeWithoutCheckpointSaysSo) {
  TrainRequest r = TinyGpt();
  r.label = "fresh";
  r.checkpoint_dir = Temp("empty_ckpt");
  r.checkpoint_every = 10;
  r.resume = true;
  testing::internal::CaptureStderr();
  auto t = Train(r);
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->resumed_from, 0);
  EXPECT_EQ(t->steps_run, 40);
  EXPECT_NE(err.find("resume: no checkpoint at " + r.checkpoint_dir +
                     "/last.pt; run fresh starts from step 0"),
            std::string::npos)
      << err;
}

// An exception LibTorch throws inside a run (here: a dropout probability
// above 1, which torch::nn::Dropout refuses) comes back as a Status.
TEST(TrainerTest, LibTorchErrorsBecomeAStatus) {
  TrainRequest r = TinyGpt();
  r.network.set_dropout(2.0);
  r.iterations = 2;
  const absl::Status st = Train(r).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal) << st;
  EXPECT_NE(st.message().find("LibTorch failed"), std::string::npos) << st;
  EXPECT_NE(st.message().find("dropout probability"), std::string::npos) << st;
}

TEST(TrainerTest, RecordsTheDeviceAndTheFilesItRead) {
  TrainRequest r = TinyGpt();
  r.iterations = 2;
  r.profile.set_every(0);
  auto t = Train(r);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->device.rfind("cpu: ", 0), 0u) << t->device;
  ASSERT_EQ(t->data_files.size(), 1u);
  EXPECT_EQ(t->data_files[0].path, "tinyshakespeare/input.txt");
  EXPECT_EQ(t->data_files[0].bytes, 1115394);
}

}  // namespace
}  // namespace warmup
