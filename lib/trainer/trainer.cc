// The trainer: data, model, optimizer and schedule set up from a request;
// the training loop with its measurements, checkpoints and resumption.
// One file on purpose: each LibTorch translation unit costs about 40 s and
// 1.2 GB to compile, so the LibTorch code of training stays in one.
#include "lib/trainer/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>
#include <torch/version.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/curvature/hessian.h"
#include "lib/curvature/spectrum.h"
#include "lib/data/char_corpus.h"
#include "lib/data/cifar10.h"
#include "lib/data/data_folder.h"
#include "lib/distributed/collective.h"
#include "lib/io/output_batch.h"
#include "lib/io/provenance.h"
#include "lib/io/sha256.h"
#include "lib/nn/nanogpt.h"
#include "lib/nn/resnet.h"
#include "lib/schedule/schedule.h"
#include "lib/trainer/device.h"
#include "lib/trainer/gradient_check.h"
#include "lib/trainer/theory_warmup_lr.h"
#include "lib/trainer/trace_record.h"

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
  // The model's gradients on the first `examples` measurement examples
  // against a float64 copy (lib/trainer/gradient_check.h), in eval mode so
  // that neither copy draws dropout or touches running statistics.
  virtual GradientAgreement CheckGradients(int64_t examples) = 0;
};

// The gradient check of a model whose fresh copies `make()` builds; `loss`
// evaluates a model of that type on the given dtype.
template <typename Model>
GradientAgreement CheckModelGradients(
    Model& model, const std::function<Model()>& make, torch::Device device,
    const std::function<torch::Tensor(Model&, torch::Dtype)>& loss) {
  Model working = make(), reference = make();
  ToFloat64(*reference);
  working->to(device);
  reference->to(device);
  CopyModelState(*model, *working);
  CopyModelState(*model, *reference);
  working->eval();
  reference->eval();
  return CompareGradients(*working, [&] { return loss(working, torch::kFloat32); }, *reference,
                          [&] { return loss(reference, torch::kFloat64); });
}

class CifarResNetTask : public Task {
 public:
  CifarResNetTask(const spec::Network& n, int64_t batch, int64_t examples,
                  Cifar10 data, torch::Device device)
      : width_(n.width() > 0 ? n.width() : 1.0), model_(width_), data_(std::move(data)),
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
  GradientAgreement CheckGradients(int64_t examples) override {
    const torch::Tensor x = measure_x_.slice(0, 0, examples);
    const torch::Tensor y = measure_y_.slice(0, 0, examples);
    return CheckModelGradients<ResNet18>(
        model_, [&] { return ResNet18(width_); }, device_,
        [&](ResNet18& m, torch::Dtype dtype) {
          return torch::nn::functional::cross_entropy(m->forward(x.to(dtype)), y);
        });
  }

 private:
  double width_;
  ResNet18 model_;
  Cifar10 data_;
  int64_t batch_;
  bool augment_;
  torch::Device device_;
  torch::Tensor measure_x_, measure_y_;
};

// Which equal share of each batch a rank of a data-parallel run computes on.
struct Share {
  int index = 0, count = 1;
  // Rows [index n / count, (index + 1) n / count) of `t` (n divisible).
  torch::Tensor Of(const torch::Tensor& t) const {
    const int64_t rows = t.size(0) / count;
    return t.narrow(0, index * rows, rows);
  }
};

class ShakespeareGptTask : public Task {
 public:
  // Every rank draws the whole batch (the same generator on every rank, so
  // the batch is the one a single process draws) and keeps its share.
  ShakespeareGptTask(const GptConfig& config, int64_t batch, int64_t examples,
                     CharCorpus corpus, torch::Device device, Share share)
      : config_(config), model_(config), corpus_(std::move(corpus)), batch_(batch),
        context_(config.context), device_(device), share_(share) {
    model_->to(device);
    std::mt19937_64 fixed(12345);  // the same measurement windows every run
    auto [x, y] = SampleWindows(corpus_.train, std::max<int64_t>(examples, 1), context_, fixed);
    measure_x_ = share_.Of(x).to(device);
    measure_y_ = share_.Of(y).to(device);
  }
  torch::nn::Module& module() override { return *model_; }
  torch::Tensor TrainLoss(std::mt19937_64& rng) override {
    model_->train();
    auto [x, y] = SampleWindows(corpus_.train, batch_, context_, rng);
    return Loss(share_.Of(x).to(device_), share_.Of(y).to(device_));
  }
  torch::Tensor MeasurementLoss() override { return Loss(measure_x_, measure_y_); }
  // No BatchNorm; dropout stays off while measuring.
  void SetMeasurementMode(bool) override { model_->eval(); }
  GradientAgreement CheckGradients(int64_t examples) override {
    const torch::Tensor x = measure_x_.slice(0, 0, examples);
    const torch::Tensor y = measure_y_.slice(0, 0, examples);
    return CheckModelGradients<NanoGpt>(
        model_, [&] { return NanoGpt(config_); }, device_,
        [&](NanoGpt& m, torch::Dtype) { return Loss(m, x, y); });
  }

 private:
  static torch::Tensor Loss(NanoGpt& model, const torch::Tensor& x, const torch::Tensor& y) {
    const torch::Tensor logits = model->forward(x);
    return torch::nn::functional::cross_entropy(logits.view({-1, logits.size(-1)}),
                                                y.reshape({-1}));
  }
  torch::Tensor Loss(const torch::Tensor& x, const torch::Tensor& y) { return Loss(model_, x, y); }
  GptConfig config_;
  NanoGpt model_;
  CharCorpus corpus_;
  int64_t batch_, context_;
  torch::Device device_;
  Share share_;
  torch::Tensor measure_x_, measure_y_;
};

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

// This rank's share of a run on r.ranks: the run needs a network without
// BatchNorm, and batches and measurement examples (when it measures) that
// split into equal shares, so that the mean of the shares' means is the
// batch's mean.
absl::StatusOr<Share> ShareOf(const TrainRequest& r, int64_t batch, int64_t examples) {
  if (r.ranks == nullptr || r.ranks->size() == 1) return Share{};
  const int ranks = r.ranks->size();
  const bool measures = !ProfileSteps(r.iterations, r.profile).empty() ||
                        r.profile.spectrum_steps_size() > 0;
  if (!measures) examples = 0;
  if (r.network.model() == "resnet18") {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--ranks_per_run=%d: network.model resnet18 normalises with BatchNorm over the batch; "
        "on %d ranks each would normalise over its own share, another computation than the "
        "spec's (no synchronised BatchNorm here): train its runs side by side instead "
        "(--ranks_per_run=1)", ranks, ranks));
  }
  for (const auto& [name, value] : {std::pair{"optimizer.batch_size", batch},
                                    {"profile.examples", examples}}) {
    if (value % ranks != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--ranks_per_run=%d: %s (%d) must split into %d equal shares", ranks, name, value,
          ranks));
    }
  }
  return Share{r.ranks->rank(), ranks};
}

absl::StatusOr<std::unique_ptr<Task>> MakeTask(const TrainRequest& r, torch::Device device,
                                               std::vector<DataFile>* files_read) {
  const spec::Network& n = r.network;
  absl::StatusOr<std::string> folder = ResolveDataFolder(r.data_dir);
  if (!folder.ok()) return folder.status();
  const int64_t batch = r.optimizer.batch_size() > 0 ? r.optimizer.batch_size() : 32;
  const int64_t examples = r.profile.examples() > 0 ? r.profile.examples() : 256;
  absl::StatusOr<Share> share = ShareOf(r, batch, examples);
  if (!share.ok()) return share.status();
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
    c.context = n.context() > 0 ? n.context() : 64;
    if (n.train_examples() > 0) {
      // A prefix of the training text (a small corpus the model can nearly
      // memorise, so the loss approaches its floor within a short run).
      if (n.train_examples() < 2 * (c.context + 1)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "network.train_examples (%d characters) must hold two windows of context + 1 "
            "(%d)", n.train_examples(), 2 * (c.context + 1)));
      }
      corpus->train = corpus->train.slice(0, 0, std::min<int64_t>(n.train_examples(),
                                                                   corpus->train.size(0)));
    }
    c.vocab = corpus->vocab_size();
    c.layers = n.layers() > 0 ? n.layers() : 4;
    c.heads = n.heads() > 0 ? n.heads() : 4;
    c.embedding = n.embedding() > 0 ? n.embedding() : 128;
    c.dropout = n.dropout();
    if (c.embedding % c.heads != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "network.embedding (%d) must be a multiple of network.heads (%d)", c.embedding,
          c.heads));
    }
    return std::unique_ptr<Task>(
        std::make_unique<ShakespeareGptTask>(c, batch, examples, *std::move(corpus), device,
                                             *share));
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

// Bytes as a uint8 tensor for an archive, and back.
torch::Tensor BytesTensor(const std::string& s) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(s.size())}, torch::kUInt8);
  if (!s.empty()) std::memcpy(t.data_ptr(), s.data(), s.size());
  return t;
}

std::string TensorBytes(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kUInt8).contiguous();
  return {reinterpret_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel())};
}

// Sets the learning rate of each step: the theory warmup through the
// drop-in scheduler TheoryWarmupLR, every other schedule by its formula.
class RateControl {
 public:
  static absl::StatusOr<RateControl> Create(const spec::Schedule& spec, int64_t iterations,
                                            torch::optim::Optimizer& optimizer) {
    RateControl control(optimizer);
    if (spec.has_theory_warmup()) {
      const spec::TheoryWarmup& t = spec.theory_warmup();
      absl::StatusOr<TheoryWarmupLR> theory = TheoryWarmupLR::Create(
          optimizer, {t.k0(), t.krho(), t.rho(), t.c(), t.f_star(), t.max_lr(), t.ema()});
      if (!theory.ok()) return theory.status();
      control.theory_ = std::make_unique<TheoryWarmupLR>(*std::move(theory));
      return control;
    }
    absl::StatusOr<std::unique_ptr<LearningRateSchedule>> schedule =
        MakeSchedule(spec, iterations, 0.0);
    if (!schedule.ok()) return schedule.status();
    control.schedule_ = *std::move(schedule);
    return control;
  }
  // Sets every parameter group's rate for `step` at minibatch loss `loss`.
  double Set(int64_t step, double loss) {
    if (theory_ != nullptr) return theory_->step(loss);
    const double lr = schedule_->Rate(step, loss);
    SetLearningRate(*optimizer_, lr);
    return lr;
  }
  std::vector<double> State() const {
    return theory_ != nullptr ? theory_->State() : schedule_->State();
  }
  void SetState(const std::vector<double>& state) {
    if (theory_ != nullptr) theory_->SetState(state); else schedule_->SetState(state);
  }

 private:
  explicit RateControl(torch::optim::Optimizer& optimizer) : optimizer_(&optimizer) {}
  torch::optim::Optimizer* optimizer_;
  std::unique_ptr<TheoryWarmupLR> theory_;
  std::unique_ptr<LearningRateSchedule> schedule_;
};

// The first line of an exception message (LibTorch appends a backtrace).
std::string FirstLine(const std::string& what) { return what.substr(0, what.find('\n')); }

}  // namespace

std::string RunIdentity(const TrainRequest& r) {
  return Sha256Hex(absl::StrCat(
      r.network.SerializeAsString(), "|", r.optimizer.SerializeAsString(), "|",
      r.schedule.SerializeAsString(), "|", r.profile.SerializeAsString(), "|", r.iterations,
      "|", r.record_every, "|", r.seed));
}

namespace {

// The device a run used, for provenance: the CPU model, or the GPU's model
// with the CUDA and cuDNN versions LibTorch loaded (lib/trainer/device.h).
std::string DeviceSummary(const torch::Device& device, const DeviceProvenance& where) {
  if (!device.is_cuda()) return absl::StrCat("cpu: ", CpuModel());
  return absl::StrFormat("%s, CUDA %s, cuDNN %s; host cpu: %s", where.gpu,
                         where.versions.at("cuda"), where.versions.at("cudnn"), CpuModel());
}

// Everything a resumed run needs to continue exactly where it stopped.
// A checkpoint names the run it belongs to by `identity` (RunIdentity), so
// that --resume never continues a different spec's run.
struct Checkpointer {
  std::string path;
  std::string identity;
  torch::Device device;  // whose generator state is saved beside the CPU's
  // Data parallel: rank 0 alone writes, and reads for every rank.
  Collective* ranks = nullptr;
  bool writes() const { return ranks == nullptr || ranks->rank() == 0; }
  void Save(Task& task, torch::optim::SGD& opt, const RateControl& schedule,
            const std::mt19937_64& rng, const TrainTrace& trace, int64_t step) const {
    torch::serialize::OutputArchive a;
    task.module().save(a);
    opt.save(a);
    std::ostringstream rng_state;
    rng_state << rng;
    a.write("identity", BytesTensor(identity));
    a.write("step", torch::tensor(step));
    a.write("rng", BytesTensor(rng_state.str()));
    a.write("torch_rng", at::detail::getDefaultCPUGenerator().get_state());
    if (device.is_cuda()) a.write("cuda_rng", GeneratorState(device));
    a.write("schedule", ToTensor(schedule.State()));
    // What the run recorded so far, as workers and finished runs hand it over.
    a.write("trace_record", BytesTensor(TraceRecord(trace).SerializeAsString()));
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    const std::string tmp = path + ".tmp";
    a.save_to(tmp);
    std::filesystem::rename(tmp, path);
  }
  // False when there is no checkpoint. A file LibTorch cannot read, or one
  // written for another run, is InvalidArgument naming it.
  absl::StatusOr<bool> Load(Task& task, torch::optim::SGD& opt, RateControl& schedule,
                            std::mt19937_64& rng, TrainTrace& trace, int64_t* step) const {
    // Rank 0 hands the others "" (no checkpoint), "C" and the checkpoint, or
    // "E" and why it could not read it, so that every rank decides alike.
    std::string bytes;
    if (writes() && std::filesystem::exists(path)) {
      const absl::Status read = ReadFile(path, &bytes);
      bytes = read.ok() ? "C" + bytes : "E" + std::string(read.message());
    }
    if (ranks != nullptr) ranks->Broadcast(&bytes);
    if (bytes.empty()) return false;
    if (bytes[0] == 'E') return absl::InvalidArgumentError(bytes.substr(1));
    bytes.erase(0, 1);
    try {
      return LoadUnguarded(bytes, task, opt, schedule, rng, trace, step);
    } catch (const c10::Error& e) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "checkpoint '%s' cannot be read (%s); it is damaged or not a checkpoint of this "
          "artifact: delete it to start the run over, or run without --resume",
          path, FirstLine(e.what_without_backtrace())));
    }
  }
  absl::StatusOr<bool> LoadUnguarded(const std::string& bytes, Task& task,
                                     torch::optim::SGD& opt, RateControl& schedule,
                                     std::mt19937_64& rng, TrainTrace& trace,
                                     int64_t* step) const {
    torch::serialize::InputArchive a;
    a.load_from(bytes.data(), bytes.size());
    torch::Tensor written_for;
    if (!a.try_read("identity", written_for) || TensorBytes(written_for) != identity) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "checkpoint '%s' was written by a different run (spec hash %s; this run's is %s): "
          "its spec, tier or seed changed since. Delete the checkpoint to start over, or "
          "run without --resume",
          path, written_for.defined() ? TensorBytes(written_for) : "none", identity));
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
    std::istringstream(TensorBytes(read("rng"))) >> rng;
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(read("torch_rng"));
    if (device.is_cuda()) SetGeneratorState(device, read("cuda_rng"));
    schedule.SetState(FromTensor(read("schedule")));
    spec::TrainTraceRecord record;
    torch::Tensor recorded;
    if (!a.try_read("trace_record", recorded) || !record.ParseFromString(TensorBytes(recorded))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "checkpoint '%s' has no readable trace record (an older version of this artifact "
          "wrote it): delete it to start the run over, or run without --resume", path));
    }
    // The measurements so far; where this process trains (device, data
    // files read, size) stays as it set them up.
    TrainTrace saved = TraceFromRecord(record);
    saved.device = std::move(trace.device);
    saved.gpu = std::move(trace.gpu);
    saved.versions = std::move(trace.versions);
    saved.data_files = std::move(trace.data_files);
    saved.parameters = trace.parameters;
    trace = std::move(saved);
    return true;
  }
};

// |H v| / |v| for the fixed direction v ~ N(0, I) of generator seed 0.
double HessianVectorNorm(HessianOperator& h) {
  const torch::Tensor v =
      torch::randn({h.dim()}, at::detail::createCPUGenerator(0), torch::kFloat32)
          .to(h.options());
  return (h.Apply(v).norm() / v.norm()).item<double>();
}

using FailureReport = std::function<void(const std::string&)>;

// The Hessian's spectral norm by Lanczos, as one profile point.
void MeasureNorm(HessianOperator& h, const spec::Profile& profile, int64_t step,
                 const FailureReport& fail, TrainTrace* trace) {
  SpectralOptions o;
  o.max_iterations = profile.max_hvps() > 0 ? profile.max_hvps() : 30;
  o.tolerance = profile.tolerance() > 0 ? profile.tolerance() : 1e-3;
  o.seed = static_cast<uint64_t>(step);
  const SpectralEstimate e = LanczosSpectralNorm(h, o);
  if (!e.valid || !(std::isfinite(e.spectral_norm) && e.spectral_norm > 0)) {
    fail(absl::StrFormat("Lanczos gave no valid estimate (norm %g after %d HVPs)",
                         e.spectral_norm, e.iterations));
    return;
  }
  trace->profile_step.push_back(static_cast<double>(step));
  trace->profile_gap.push_back(h.loss());
  trace->profile_smoothness.push_back(e.spectral_norm);
  trace->profile_lambda_max.push_back(e.lambda_max);
  trace->profile_lambda_min.push_back(e.lambda_min);
  if (!e.converged) ++trace->profile_unconverged;
}

// The Hessian's trace (Hutch++) and density (stochastic Lanczos
// quadrature), as the profile asks, with probes seeded by the step.
void MeasureSpectrum(HessianOperator& h, const spec::Profile& profile, int64_t step,
                     const FailureReport& fail, TrainTrace* trace) {
  if (profile.trace_hvps() > 0) {
    TraceOptions o;
    o.hvps = profile.trace_hvps();
    o.seed = static_cast<uint64_t>(step);
    const absl::StatusOr<TraceEstimate> t = EstimateTrace(h, o);
    if (!t.ok() || !t->valid) {
      fail(absl::StrCat("trace: ", t.ok() ? t->error : std::string(t.status().message())));
    } else {
      trace->trace_step.push_back(static_cast<double>(step));
      trace->trace.push_back(t->trace.mean);
      trace->trace_lo95.push_back(t->trace.lo95);
      trace->trace_hi95.push_back(t->trace.hi95);
    }
  }
  if (profile.density_runs() > 0) {
    DensityOptions o;
    o.runs = profile.density_runs();
    o.lanczos_steps = profile.density_lanczos_steps() > 0 ? profile.density_lanczos_steps() : 100;
    o.seed = static_cast<uint64_t>(step);
    const absl::StatusOr<SpectralDensity> d = EstimateSpectralDensity(h, o);
    if (!d.ok() || !d->valid) {
      fail(absl::StrCat("density: ", d.ok() ? d->error : std::string(d.status().message())));
      return;
    }
    for (const Quadrature& q : d->runs) {
      trace->quadrature_step.push_back(static_cast<double>(step));
      trace->quadrature.push_back(q);
    }
  }
}

// Measures the Hessian of the measurement loss: its spectral norm (`norm`)
// and its trace and density (`spectrum`), leaving the model's buffers
// (BatchNorm running statistics) as they were. A measurement that yields no
// point is counted in profile_invalid with its reason.
void Measure(Task& task, const spec::Profile& profile, int64_t step, bool norm, bool spectrum,
             const RankAverage& average, TrainTrace* trace) {
  std::vector<torch::Tensor> buffers = task.module().buffers();
  std::vector<torch::Tensor> saved;
  for (const auto& b : buffers) saved.push_back(b.detach().clone());
  task.SetMeasurementMode(profile.train_mode());
  const FailureReport fail = [&](const std::string& why) {
    ++trace->profile_invalid;
    trace->profile_failure = absl::StrFormat("step %d: %s", step, why);
  };
  absl::StatusOr<HessianOperator> h =
      HessianOperator::Create([&] { return task.MeasurementLoss(); }, task.module().parameters(),
                              average);
  if (!h.ok()) {
    fail(absl::StrCat("Hessian operator: ", h.status().message()));
  } else if (!(std::isfinite(h->loss()) && h->loss() > 0)) {
    fail(absl::StrFormat("measurement loss %g is not finite and positive", h->loss()));
  } else {
    if (norm && step == 0) trace->initial_hvp_norm = HessianVectorNorm(*h);
    if (norm) MeasureNorm(*h, profile, step, fail, trace);
    if (spectrum) MeasureSpectrum(*h, profile, step, fail, trace);
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved[i]);
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

// The pieces of one run: the task, its optimizer and rate control, the
// generator of minibatches, and what has been recorded.
struct Run {
  std::unique_ptr<Task> task;
  std::unique_ptr<torch::optim::SGD> optimizer;
  std::unique_ptr<RateControl> rate;
  std::mt19937_64 rng;
  TrainTrace trace;
  int64_t start = 0;  // first step to run (after a resumed checkpoint)
};

// Parameters and buffers (BatchNorm's running statistics), in a fixed order.
std::vector<torch::Tensor> ModelState(torch::nn::Module& module) {
  std::vector<torch::Tensor> state = module.parameters();
  for (const torch::Tensor& b : module.buffers()) state.push_back(b);
  return state;
}

// The start-up gradient check, once per process for each network, batch and
// device (every seed and schedule of an experiment shares the kernels it
// checks): stops the run when a kernel computes a wrong gradient.
absl::Status CheckGradientsOnce(const TrainRequest& r, torch::Device device, Task& task) {
  static auto* checked = new std::map<std::string, GradientAgreement>();
  const int64_t batch = r.optimizer.batch_size() > 0 ? r.optimizer.batch_size() : 32;
  const std::string key =
      absl::StrCat(r.network.SerializeAsString(), "|", batch, "|", device.str());
  auto it = checked->find(key);
  if (it == checked->end()) {
    // The float64 copy draws its initial weights from the default generators:
    // put them back, or the first run of a process would train on other draws
    // than the next run with the same seed.
    const torch::Device cpu(torch::kCPU);
    const at::Tensor cpu_state = GeneratorState(cpu);
    const at::Tensor device_state = device.is_cpu() ? cpu_state : GeneratorState(device);
    it = checked->emplace(key, task.CheckGradients(batch)).first;
    SetGeneratorState(cpu, cpu_state);
    if (!device.is_cpu()) SetGeneratorState(device, device_state);
  }
  return CheckGradientAgreement(it->second, r.network.model());
}

// The gradient check, failed on every rank of a run when it failed on one
// (each checks its own share of the examples), so that all stop together.
absl::Status AgreedGradientCheck(const TrainRequest& r, torch::Device device, Task& task) {
  absl::Status st = CheckGradientsOnce(r, device, task);
  if (r.ranks == nullptr) return st;
  at::Tensor passed = at::tensor({st.ok() ? 1.0 : 0.0}, at::kDouble).to(device);
  r.ranks->Average({passed});
  if (st.ok() && passed.item<double>() < 1.0) {
    return absl::InternalError(
        "the start-up gradient check failed on another rank of this run (its log names the "
        "kernel)");
  }
  return st;
}

// Builds a run on the checkpointer's device, resumed from its checkpoint
// when the request says so.
absl::StatusOr<Run> SetUpRun(const TrainRequest& r, const Checkpointer& checkpointer) {
  const torch::Device device = checkpointer.device;
  PrepareDevice(device);
  torch::manual_seed(static_cast<uint64_t>(r.seed));
  Run run;
  absl::StatusOr<std::unique_ptr<Task>> task = MakeTask(r, device, &run.trace.data_files);
  if (!task.ok()) return task.status();
  run.task = *std::move(task);
  if (r.network.init_scale() > 0 && r.network.init_scale() != 1) {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : run.task->module().parameters()) {
      if (p.dim() >= 2) p.mul_(r.network.init_scale());
    }
  }
  run.optimizer = std::make_unique<torch::optim::SGD>(
      run.task->module().parameters(), torch::optim::SGDOptions(0.0)
                                           .momentum(r.optimizer.momentum())
                                           .weight_decay(r.optimizer.weight_decay()));
  absl::StatusOr<RateControl> rate = RateControl::Create(r.schedule, r.iterations, *run.optimizer);
  if (!rate.ok()) return rate.status();
  run.rate = std::make_unique<RateControl>(*std::move(rate));
  run.rng.seed(static_cast<uint64_t>(r.seed) * 7919 + 17);
  // Every rank starts from rank 0's weights (the same seed draws the same
  // weights on one machine; on several, kernels could differ).
  if (r.ranks != nullptr) r.ranks->Broadcast(ModelState(run.task->module()));
  if (absl::Status st = AgreedGradientCheck(r, device, *run.task); !st.ok()) return st;
  const DeviceProvenance where = DescribeDevice(device);
  run.trace.device = DeviceSummary(device, where);
  run.trace.gpu = where.gpu;
  run.trace.versions = where.versions;
  for (const auto& p : run.task->module().parameters()) run.trace.parameters += p.numel();
  if (r.resume) {
    absl::StatusOr<bool> resumed =
        r.checkpoint_dir.empty()
            ? false
            : checkpointer.Load(*run.task, *run.optimizer, *run.rate, run.rng, run.trace,
                                &run.start);
    if (!resumed.ok()) return resumed.status();
    if (*resumed) {
      run.trace.resumed_from = run.start;
    } else if (checkpointer.writes()) {
      // Not an error: runs of an experiment that had not started yet have
      // nothing to resume. Said once per run, and resumed_from stays 0.
      std::fprintf(stderr, "resume: no checkpoint at %s/last.pt; run %s starts from step 0\n",
                   r.checkpoint_dir.c_str(), r.label.c_str());
    }
  }
  return run;
}

// The L2 norm of every parameter's gradient together.
double GradientNorm(torch::nn::Module& module) {
  double squares = 0;
  for (const torch::Tensor& p : module.parameters()) {
    if (p.grad().defined()) squares += p.grad().square().sum().item<double>();
  }
  return std::sqrt(squares);
}

// SplitMix64's finaliser: distinct inputs give unrelated seeds.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The backward pass of one data-parallel step: each rank's share, then the
// mean over the ranks of the gradients and losses, which is the whole
// batch's (equal shares). Each rank draws its dropout from a stream of its
// own, seeded by run, rank and step, so that resuming needs no saved state.
// Returns the batch's loss (the same on every rank).
double AveragedStep(const TrainRequest& r, int64_t step, Run& run) {
  torch::manual_seed(Mix(Mix(Mix(static_cast<uint64_t>(r.seed)) ^ r.ranks->rank()) ^
                         static_cast<uint64_t>(step)));
  const torch::Tensor loss = run.task->TrainLoss(run.rng);
  loss.backward();
  std::vector<torch::Tensor> averaged;
  for (const torch::Tensor& p : run.task->module().parameters()) {
    if (p.grad().defined()) averaged.push_back(p.grad());
  }
  averaged.push_back(loss.detach().reshape({1}).clone());
  r.ranks->Average(averaged);
  return averaged.back().item<double>();
}

// One SGD step at `step`; false when the minibatch loss was not finite (the
// run diverged and stops).
bool TrainStep(const TrainRequest& r, int64_t step, Run& run, double* loss_value,
               double* lr) {
  run.optimizer->zero_grad();
  if (r.ranks == nullptr) {
    const torch::Tensor loss = run.task->TrainLoss(run.rng);
    *loss_value = loss.item<double>();
    if (!std::isfinite(*loss_value)) return false;
    loss.backward();
  } else {
    *loss_value = AveragedStep(r, step, run);
    if (!std::isfinite(*loss_value)) return false;
  }
  if (step == 0) run.trace.initial_grad_norm = GradientNorm(run.task->module());
  *lr = run.rate->Set(step, *loss_value);
  run.optimizer->step();
  const int64_t every = r.record_every > 0 ? r.record_every : 1;
  if (step % every == 0 || step + 1 == r.iterations) {
    run.trace.step.push_back(static_cast<double>(step));
    run.trace.loss.push_back(*loss_value);
    run.trace.lr.push_back(*lr);
  }
  return true;
}

absl::StatusOr<TrainTrace> TrainUnguarded(const TrainRequest& r) {
  if (r.iterations <= 0) return absl::InvalidArgumentError("iterations must be > 0");
  absl::StatusOr<torch::Device> device = SelectDevice(r.device);
  if (!device.ok()) return device.status();
  const Checkpointer checkpointer{r.checkpoint_dir + "/last.pt", RunIdentity(r), *device,
                                  r.ranks};
  absl::StatusOr<Run> set_up = SetUpRun(r, checkpointer);
  if (!set_up.ok()) return set_up.status();
  Run& run = *set_up;
  const std::set<int64_t> profile_steps = ProfileSteps(r.iterations, r.profile);
  const std::set<int64_t> spectrum_steps(r.profile.spectrum_steps().begin(),
                                         r.profile.spectrum_steps().end());
  RankAverage average;
  if (r.ranks != nullptr) average = [&](const std::vector<at::Tensor>& t) { r.ranks->Average(t); };
  auto measure = [&](int64_t step) {
    const bool norm = profile_steps.count(step) > 0, spectrum = spectrum_steps.count(step) > 0;
    if (norm || spectrum) Measure(*run.task, r.profile, step, norm, spectrum, average, &run.trace);
  };
  const bool tty = r.progress && checkpointer.writes() && isatty(STDERR_FILENO);
  const auto began = std::chrono::steady_clock::now();
  int64_t step = run.start;
  for (; step < r.iterations; ++step) {
    if (r.stop_after > 0 && step >= r.stop_after) break;
    measure(step);
    double loss = 0.0, lr = 0.0;
    if (!TrainStep(r, step, run, &loss, &lr)) {
      run.trace.diverged = true;
      break;
    }
    if (tty && (step % 10 == 0 || step + 1 == r.iterations)) {
      Progress(r, step + 1 - run.start, r.iterations - run.start,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count(),
               loss);
    }
    if (r.checkpoint_every > 0 && !r.checkpoint_dir.empty() && checkpointer.writes() &&
        (step + 1) % r.checkpoint_every == 0) {
      checkpointer.Save(*run.task, *run.optimizer, *run.rate, run.rng, run.trace, step + 1);
    }
  }
  run.trace.steps_run = step;
  run.trace.nondeterministic_operations = NondeterministicOperations();
  if (!run.trace.diverged && step == r.iterations) measure(step);
  return std::move(run.trace);
}

}  // namespace

std::set<int64_t> ProfileSteps(int64_t iterations, const spec::Profile& profile) {
  std::set<int64_t> steps;
  if (profile.every() > 0 || profile.log_points() > 0) {
    steps.insert(0);
    steps.insert(iterations);
  }
  if (profile.every() > 0) {
    for (int64_t s = 0; s <= iterations; s += profile.every()) steps.insert(s);
  }
  for (int k = 0; k < profile.log_points(); ++k) {
    const double frac = profile.log_points() > 1 ? double(k) / (profile.log_points() - 1) : 1.0;
    steps.insert(static_cast<int64_t>(std::llround(std::pow(double(iterations), frac))));
  }
  return steps;
}

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
