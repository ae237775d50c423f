#include "lib/trainer/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>
#include <torch/version.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/curvature/hessian.h"
#include "lib/data/char_corpus.h"
#include "lib/data/cifar10.h"
#include "lib/data/data_folder.h"
#include "lib/io/provenance.h"
#include "lib/io/sha256.h"
#include "lib/nn/nanogpt.h"
#include "lib/nn/resnet.h"
#include "lib/schedule/schedule.h"

namespace warmup {
namespace {

// A model with its data: the next training loss, and the loss on the fixed
// measurement examples.
class Task {
 public:
  virtual ~Task() = default;
  virtual torch::nn::Module& module() = 0;
  virtual torch::Tensor TrainLoss(std::mt19937_64& rng) = 0;
  virtual torch::Tensor MeasurementLoss() = 0;
  // Model mode while measuring: BatchNorm on batch statistics or not.
  virtual void SetMeasurementMode(bool train_mode) = 0;
};

class CifarResNetTask : public Task {
 public:
  CifarResNetTask(const spec::Network& n, int64_t batch, int64_t examples,
                  Cifar10 data, torch::Device device)
      : model_(n.width() > 0 ? n.width() : 1.0), data_(std::move(data)),
        batch_(batch), augment_(n.augment()), device_(device) {
    model_->to(device);
    std::mt19937_64 unused(0);
    std::vector<int64_t> first(std::min<int64_t>(examples, data_.size()));
    for (size_t i = 0; i < first.size(); ++i) first[i] = static_cast<int64_t>(i);
    measure_x_ = CifarBatch(data_, first, false, unused).to(device);
    measure_y_ = data_.labels.slice(0, 0, first.size()).to(device);
  }
  torch::nn::Module& module() override { return *model_; }
  torch::Tensor TrainLoss(std::mt19937_64& rng) override {
    model_->train();
    std::vector<int64_t> idx(std::min<int64_t>(batch_, data_.size()));
    if (static_cast<int64_t>(idx.size()) == data_.size()) {
      for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);  // GD
    } else {
      std::uniform_int_distribution<int64_t> pick(0, data_.size() - 1);
      for (auto& i : idx) i = pick(rng);
    }
    const torch::Tensor x = CifarBatch(data_, idx, augment_, rng).to(device_);
    const torch::Tensor y = data_.labels.index_select(0, torch::tensor(idx)).to(device_);
    return torch::nn::functional::cross_entropy(model_->forward(x), y);
  }
  torch::Tensor MeasurementLoss() override {
    return torch::nn::functional::cross_entropy(model_->forward(measure_x_), measure_y_);
  }
  void SetMeasurementMode(bool train_mode) override { model_->train(train_mode); }

 private:
  ResNet18 model_;
  Cifar10 data_;
  int64_t batch_;
  bool augment_;
  torch::Device device_;
  torch::Tensor measure_x_, measure_y_;
};

class ShakespeareGptTask : public Task {
 public:
  ShakespeareGptTask(const GptConfig& config, int64_t batch, int64_t examples,
                     CharCorpus corpus, torch::Device device)
      : model_(config), corpus_(std::move(corpus)), batch_(batch),
        context_(config.context), device_(device) {
    model_->to(device);
    std::mt19937_64 fixed(12345);  // the same measurement windows every run
    auto [x, y] = SampleWindows(corpus_.train, std::max<int64_t>(examples, 1), context_, fixed);
    measure_x_ = x.to(device);
    measure_y_ = y.to(device);
  }
  torch::nn::Module& module() override { return *model_; }
  torch::Tensor TrainLoss(std::mt19937_64& rng) override {
    model_->train();
    auto [x, y] = SampleWindows(corpus_.train, batch_, context_, rng);
    return Loss(x.to(device_), y.to(device_));
  }
  torch::Tensor MeasurementLoss() override { return Loss(measure_x_, measure_y_); }
  // No BatchNorm; dropout stays off while measuring.
  void SetMeasurementMode(bool) override { model_->eval(); }

 private:
  torch::Tensor Loss(const torch::Tensor& x, const torch::Tensor& y) {
    const torch::Tensor logits = model_->forward(x);
    return torch::nn::functional::cross_entropy(logits.view({-1, logits.size(-1)}),
                                                y.reshape({-1}));
  }
  NanoGpt model_;
  CharCorpus corpus_;
  int64_t batch_, context_;
  torch::Device device_;
  torch::Tensor measure_x_, measure_y_;
};

absl::StatusOr<torch::Device> PickDevice(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  const bool cuda = torch::cuda::is_available();
  if (name == "cuda") {
    if (!cuda) {
      return absl::InvalidArgumentError(
          "--device=cuda, but this LibTorch build sees no CUDA device; use "
          "--device=cpu or auto");
    }
    return torch::Device(torch::kCUDA);
  }
  if (name == "auto" || name.empty()) {
    return torch::Device(cuda ? torch::kCUDA : torch::kCPU);
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("--device must be cpu, cuda or auto, got '%s'", name));
}

// Data sets are read (and checksummed) once per process: every seed and
// schedule of an experiment trains on the same copy.
template <typename T>
absl::StatusOr<T> Cached(const std::string& key, const std::function<absl::StatusOr<T>()>& load) {
  static auto* cache = new std::map<std::string, T>();
  auto it = cache->find(key);
  if (it != cache->end()) return it->second;
  absl::StatusOr<T> loaded = load();
  if (loaded.ok()) (*cache)[key] = *loaded;
  return loaded;
}

absl::StatusOr<std::unique_ptr<Task>> MakeTask(const TrainRequest& r, torch::Device device,
                                               std::vector<DataFile>* files_read) {
  const spec::Network& n = r.network;
  absl::StatusOr<std::string> folder = ResolveDataFolder(r.data_dir);
  if (!folder.ok()) return folder.status();
  const int64_t batch = r.optimizer.batch_size() > 0 ? r.optimizer.batch_size() : 32;
  const int64_t examples = r.profile.examples() > 0 ? r.profile.examples() : 256;
  if (n.model() == "resnet18") {
    if (n.dataset() != "cifar10") {
      return absl::InvalidArgumentError("network.model resnet18 needs dataset cifar10");
    }
    absl::StatusOr<Cifar10> data = Cached<Cifar10>(
        absl::StrCat(*folder, "|cifar10|", n.train_examples()),
        [&] { return LoadCifar10(*folder, true, n.train_examples()); });
    if (!data.ok()) return data.status();
    *files_read = data->files;
    const int64_t b = r.optimizer.kind() == spec::Optimizer::GD ? data->size() : batch;
    return std::unique_ptr<Task>(
        std::make_unique<CifarResNetTask>(n, b, examples, *std::move(data), device));
  }
  if (n.model() == "nanogpt") {
    if (n.dataset() != "tinyshakespeare") {
      return absl::InvalidArgumentError("network.model nanogpt needs dataset tinyshakespeare");
    }
    absl::StatusOr<CharCorpus> corpus = Cached<CharCorpus>(
        absl::StrCat(*folder, "|tinyshakespeare"), [&] { return LoadTinyShakespeare(*folder); });
    if (!corpus.ok()) return corpus.status();
    *files_read = corpus->files;
    GptConfig c;
    c.vocab = corpus->vocab_size();
    c.layers = n.layers() > 0 ? n.layers() : 4;
    c.heads = n.heads() > 0 ? n.heads() : 4;
    c.embedding = n.embedding() > 0 ? n.embedding() : 128;
    c.context = n.context() > 0 ? n.context() : 64;
    c.dropout = n.dropout();
    if (c.embedding % c.heads != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "network.embedding (%d) must be a multiple of network.heads (%d)", c.embedding,
          c.heads));
    }
    return std::unique_ptr<Task>(
        std::make_unique<ShakespeareGptTask>(c, batch, examples, *std::move(corpus), device));
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "network.model must be resnet18 or nanogpt, got '%s'", n.model()));
}

torch::Tensor ToTensor(const std::vector<double>& v) {
  return torch::tensor(v, torch::kDouble);
}

std::vector<double> FromTensor(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

torch::Tensor StringTensor(const std::string& s) {
  return torch::tensor(std::vector<int64_t>(s.begin(), s.end()), torch::kLong);
}

std::string TensorString(const torch::Tensor& t) {
  std::string s;
  for (int64_t i = 0; i < t.numel(); ++i) s.push_back(static_cast<char>(t[i].item<int64_t>()));
  return s;
}

// The first line of an exception message (LibTorch appends a backtrace).
std::string FirstLine(const std::string& what) { return what.substr(0, what.find('\n')); }

// SHA-256 of everything that determines a run's trajectory: the network,
// optimizer, schedule, profile, length, recording and seed. Not the device,
// data folder or checkpoint settings.
std::string RunIdentity(const TrainRequest& r) {
  return Sha256Hex(absl::StrCat(
      r.network.SerializeAsString(), "|", r.optimizer.SerializeAsString(), "|",
      r.schedule.SerializeAsString(), "|", r.profile.SerializeAsString(), "|", r.iterations,
      "|", r.record_every, "|", r.seed));
}

// The device a run used, for provenance: the CPU model, or the GPU's name
// (from nvidia-smi) and the CUDA runtime LibTorch was built with.
std::string DescribeDevice(const torch::Device& device) {
  if (!device.is_cuda()) return absl::StrCat("cpu: ", CpuModel());
  std::string cuda = "unknown";
  try {
    const long v = at::detail::getCUDAHooks().versionCUDART();
    cuda = absl::StrCat(v / 1000, ".", (v % 1000) / 10);
  } catch (const c10::Error&) {
  }
  std::string name = "unknown GPU";
  if (FILE* pipe = popen("nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null", "r")) {
    char buf[256];
    if (std::fgets(buf, sizeof(buf), pipe) != nullptr) name = FirstLine(buf);
    pclose(pipe);
  }
  return absl::StrFormat("cuda:%d: %s, CUDA %s; host cpu: %s",
                         device.has_index() ? device.index() : 0, name, cuda, CpuModel());
}

// Everything a resumed run needs to continue exactly where it stopped.
// A checkpoint names the run it belongs to by `identity` (RunIdentity), so
// that --resume never continues a different spec's run.
struct Checkpointer {
  std::string path;
  std::string identity;
  void Save(Task& task, torch::optim::SGD& opt, const LearningRateSchedule& schedule,
            const std::mt19937_64& rng, const TrainTrace& trace, int64_t step) const {
    torch::serialize::OutputArchive a;
    task.module().save(a);
    opt.save(a);
    std::ostringstream rng_state;
    rng_state << rng;
    a.write("identity", StringTensor(identity));
    a.write("step", torch::tensor(step));
    a.write("rng", StringTensor(rng_state.str()));
    a.write("torch_rng", at::detail::getDefaultCPUGenerator().get_state());
    a.write("schedule", ToTensor(schedule.State()));
    a.write("trace_step", ToTensor(trace.step));
    a.write("trace_loss", ToTensor(trace.loss));
    a.write("trace_lr", ToTensor(trace.lr));
    a.write("profile_step", ToTensor(trace.profile_step));
    a.write("profile_gap", ToTensor(trace.profile_gap));
    a.write("profile_smoothness", ToTensor(trace.profile_smoothness));
    a.write("profile_lambda_max", ToTensor(trace.profile_lambda_max));
    a.write("profile_lambda_min", ToTensor(trace.profile_lambda_min));
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    const std::string tmp = path + ".tmp";
    a.save_to(tmp);
    std::filesystem::rename(tmp, path);
  }
  // False when there is no checkpoint. A file LibTorch cannot read, or one
  // written for another run, is InvalidArgument naming it.
  absl::StatusOr<bool> Load(Task& task, torch::optim::SGD& opt, LearningRateSchedule& schedule,
                            std::mt19937_64& rng, TrainTrace& trace, int64_t* step) const {
    if (!std::filesystem::exists(path)) return false;
    try {
      return LoadUnguarded(task, opt, schedule, rng, trace, step);
    } catch (const c10::Error& e) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "checkpoint '%s' cannot be read (%s); it is damaged or not a checkpoint of this "
          "artifact: delete it to start the run over, or run without --resume",
          path, FirstLine(e.what_without_backtrace())));
    }
  }
  absl::StatusOr<bool> LoadUnguarded(Task& task, torch::optim::SGD& opt,
                                     LearningRateSchedule& schedule, std::mt19937_64& rng,
                                     TrainTrace& trace, int64_t* step) const {
    torch::serialize::InputArchive a;
    a.load_from(path);
    torch::Tensor written_for;
    if (!a.try_read("identity", written_for) || TensorString(written_for) != identity) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "checkpoint '%s' was written by a different run (spec hash %s; this run's is %s): "
          "its spec, tier or seed changed since. Delete the checkpoint to start over, or "
          "run without --resume",
          path, written_for.defined() ? TensorString(written_for) : "none", identity));
    }
    task.module().load(a);
    opt.load(a);
    // Each read needs a fresh tensor: reading into one resizes it in place.
    auto read = [&](const char* key) {
      torch::Tensor t;
      a.read(key, t);
      return t;
    };
    *step = read("step").item<int64_t>();
    std::istringstream(TensorString(read("rng"))) >> rng;
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(read("torch_rng"));
    schedule.SetState(FromTensor(read("schedule")));
    for (auto [key, vec] : {std::pair{"trace_step", &trace.step}, {"trace_loss", &trace.loss},
                            {"trace_lr", &trace.lr}, {"profile_step", &trace.profile_step},
                            {"profile_gap", &trace.profile_gap},
                            {"profile_smoothness", &trace.profile_smoothness},
                            {"profile_lambda_max", &trace.profile_lambda_max},
                            {"profile_lambda_min", &trace.profile_lambda_min}}) {
      *vec = FromTensor(read(key));
    }
    return true;
  }
};

// Spectral norm of the Hessian of the measurement loss, leaving the model's
// buffers (BatchNorm running statistics) as they were.
absl::Status Measure(Task& task, const spec::Profile& profile, int64_t step,
                     TrainTrace* trace) {
  std::vector<torch::Tensor> buffers = task.module().buffers();
  std::vector<torch::Tensor> saved;
  for (const auto& b : buffers) saved.push_back(b.detach().clone());
  task.SetMeasurementMode(profile.train_mode());
  absl::StatusOr<HessianOperator> h =
      HessianOperator::Create([&] { return task.MeasurementLoss(); }, task.module().parameters());
  if (h.ok()) {
    SpectralOptions o;
    o.max_iterations = profile.max_hvps() > 0 ? profile.max_hvps() : 30;
    o.tolerance = profile.tolerance() > 0 ? profile.tolerance() : 1e-3;
    o.seed = static_cast<uint64_t>(step);
    const SpectralEstimate e = LanczosSpectralNorm(*h, o);
    if (e.valid) {
      trace->profile_step.push_back(static_cast<double>(step));
      trace->profile_gap.push_back(h->loss());
      trace->profile_smoothness.push_back(e.spectral_norm);
      trace->profile_lambda_max.push_back(e.lambda_max);
      trace->profile_lambda_min.push_back(e.lambda_min);
      if (!e.converged) ++trace->profile_unconverged;
    }
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved[i]);
  return absl::OkStatus();  // a non-finite loss here shows up in training
}

void Progress(const TrainRequest& r, int64_t step, int64_t total, double seconds,
              double loss) {
  const double rate = step / std::max(seconds, 1e-9);
  const double eta = (total - step) / std::max(rate, 1e-9);
  std::fprintf(stderr, "\r%-24s step %6ld/%-6ld %6.2f it/s  ETA %4.0fm%02.0fs  loss %.4f ",
               r.label.c_str(), static_cast<long>(step), static_cast<long>(total), rate,
               std::floor(eta / 60), std::fmod(eta, 60.0), loss);
  if (step == total) std::fprintf(stderr, "\n");
}

absl::StatusOr<TrainTrace> TrainUnguarded(const TrainRequest& r) {
  if (r.iterations <= 0) return absl::InvalidArgumentError("iterations must be > 0");
  absl::StatusOr<torch::Device> device = PickDevice(r.device);
  if (!device.ok()) return device.status();
  torch::manual_seed(static_cast<uint64_t>(r.seed));
  TrainTrace trace;
  absl::StatusOr<std::unique_ptr<Task>> task = MakeTask(r, *device, &trace.data_files);
  if (!task.ok()) return task.status();
  Task& t = **task;
  absl::StatusOr<std::unique_ptr<LearningRateSchedule>> schedule =
      MakeSchedule(r.schedule, r.iterations, 0.0);
  if (!schedule.ok()) return schedule.status();
  torch::optim::SGD opt(t.module().parameters(),
                        torch::optim::SGDOptions(0.0)
                            .momentum(r.optimizer.momentum())
                            .weight_decay(r.optimizer.weight_decay()));
  std::mt19937_64 rng(static_cast<uint64_t>(r.seed) * 7919 + 17);
  trace.device = DescribeDevice(*device);
  for (const auto& p : t.module().parameters()) trace.parameters += p.numel();
  const Checkpointer checkpointer{r.checkpoint_dir + "/last.pt", RunIdentity(r)};
  int64_t start = 0;
  if (r.resume) {
    absl::StatusOr<bool> resumed =
        r.checkpoint_dir.empty() ? false
                                 : checkpointer.Load(t, opt, **schedule, rng, trace, &start);
    if (!resumed.ok()) return resumed.status();
    if (*resumed) {
      trace.resumed_from = start;
    } else {
      // Not an error: runs of an experiment that had not started yet have
      // nothing to resume. Said once per run, and resumed_from stays 0.
      std::fprintf(stderr, "resume: no checkpoint at %s/last.pt; run %s starts from step 0\n",
                   r.checkpoint_dir.c_str(), r.label.c_str());
    }
  }
  const int64_t every = r.record_every > 0 ? r.record_every : 1;
  const int64_t profile_every = r.profile.every();
  // Measurement steps: multiples of `every`, plus `log_points` geometrically
  // spaced steps, plus the first and the last.
  std::set<int64_t> profile_steps;
  if (profile_every > 0 || r.profile.log_points() > 0) {
    profile_steps.insert(0);
    profile_steps.insert(r.iterations);
  }
  if (profile_every > 0) {
    for (int64_t s = 0; s <= r.iterations; s += profile_every) profile_steps.insert(s);
  }
  for (int k = 0; k < r.profile.log_points(); ++k) {
    const double frac = r.profile.log_points() > 1 ? double(k) / (r.profile.log_points() - 1) : 1.0;
    profile_steps.insert(static_cast<int64_t>(std::llround(std::pow(double(r.iterations), frac))));
  }
  const bool tty = r.progress && isatty(STDERR_FILENO);
  const auto began = std::chrono::steady_clock::now();
  int64_t step = start;
  for (; step < r.iterations; ++step) {
    if (r.stop_after > 0 && step >= r.stop_after) break;
    if (profile_steps.count(step) > 0) {
      if (absl::Status st = Measure(t, r.profile, step, &trace); !st.ok()) return st;
    }
    opt.zero_grad();
    const torch::Tensor loss = t.TrainLoss(rng);
    const double value = loss.item<double>();
    if (!std::isfinite(value)) {
      trace.diverged = true;
      break;
    }
    loss.backward();
    const double lr = (*schedule)->Rate(step, value);
    for (auto& group : opt.param_groups()) {
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    }
    opt.step();
    if (step % every == 0 || step + 1 == r.iterations) {
      trace.step.push_back(static_cast<double>(step));
      trace.loss.push_back(value);
      trace.lr.push_back(lr);
    }
    if (tty && (step % 10 == 0 || step + 1 == r.iterations)) {
      Progress(r, step + 1 - start, r.iterations - start,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count(),
               value);
    }
    if (r.checkpoint_every > 0 && !r.checkpoint_dir.empty() &&
        (step + 1) % r.checkpoint_every == 0) {
      checkpointer.Save(t, opt, **schedule, rng, trace, step + 1);
    }
  }
  trace.steps_run = step;
  if (!trace.diverged && step == r.iterations && profile_steps.count(step) > 0) {
    if (absl::Status st = Measure(t, r.profile, step, &trace); !st.ok()) return st;
  }
  return trace;
}

}  // namespace

absl::StatusOr<TrainTrace> Train(const TrainRequest& r) {
  // LibTorch reports errors by throwing (c10::Error; std::bad_alloc for a
  // network too big for memory): they end the run with a Status here.
  try {
    return TrainUnguarded(r);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrFormat("run '%s': LibTorch failed: %s", r.label,
                                               FirstLine(e.what_without_backtrace())));
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrFormat("run '%s': training failed: %s", r.label, FirstLine(e.what())));
  }
}

}  // namespace warmup
