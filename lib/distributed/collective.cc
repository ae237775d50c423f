// The ranks of one data-parallel run over a c10d backend (collective.h):
// ProcessGroupGloo for runs on the CPU, ProcessGroupNCCL (nccl_backend.h)
// for runs on GPUs. Gloo's headers come from Debian's libgloo-dev (LibTorch
// links Gloo in but does not ship its headers); only the types this file
// names cross that boundary, through shared pointers.
#include "lib/distributed/collective.h"

#include <cstring>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/distributed/nccl_backend.h"

namespace warmup {
namespace {

class C10dCollective final : public Collective {
 public:
  // `device`: where the backend's tensors live (the CPU for Gloo, the
  // rank's GPU for NCCL).
  C10dCollective(c10::intrusive_ptr<c10d::Backend> group, at::Device device, int rank, int size)
      : group_(std::move(group)), device_(device), rank_(rank), size_(size) {}
  // With Gloo, waits for the other ranks first: a rank that tore its
  // connections down while another still received from it would fail that
  // one. Not with NCCL, whose watchdog ends the process when a collective
  // times out (rank 0 may still be writing the output folder).
  ~C10dCollective() override {
    if (device_.is_cuda()) return;
    try {
      group_->barrier()->wait();
    } catch (const std::exception&) {
      // A rank is gone already: there is nothing left to wait for.
    }
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void Average(const std::vector<at::Tensor>& tensors) override {
    InBuckets(tensors, [&](std::vector<at::Tensor>& flat) { return group_->allreduce(flat); },
              size_);
  }

  void Broadcast(const std::vector<at::Tensor>& tensors) override {
    InBuckets(tensors, [&](std::vector<at::Tensor>& flat) { return group_->broadcast(flat); },
              1);
  }

  void Broadcast(std::string* bytes) override {
    std::vector<at::Tensor> length = {
        at::tensor({static_cast<int64_t>(bytes->size())}).to(device_)};
    group_->broadcast(length)->wait();
    const int64_t n = length[0].item<int64_t>();
    if (n == 0) {
      bytes->clear();
      return;
    }
    at::Tensor host = at::empty({n}, at::kByte);
    if (rank_ == 0) std::memcpy(host.data_ptr(), bytes->data(), n);
    std::vector<at::Tensor> data = {host.to(device_)};
    group_->broadcast(data)->wait();
    host = data[0].cpu();
    bytes->assign(reinterpret_cast<const char*>(host.data_ptr()), n);
  }

 private:
  // Sends the tensors flattened in buckets through `op`, all buckets in
  // flight together, and copies each result, divided by `divisor`, back.
  template <typename Op>
  void InBuckets(const std::vector<at::Tensor>& tensors, Op op, int divisor) {
    const std::vector<std::vector<at::Tensor>> buckets = Buckets(tensors);
    std::vector<std::vector<at::Tensor>> flats;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (const std::vector<at::Tensor>& bucket : buckets) {
      std::vector<at::Tensor> parts;
      for (const at::Tensor& t : bucket) parts.push_back(t.detach().reshape(-1));
      flats.push_back({at::cat(parts)});
      works.push_back(op(flats.back()));
    }
    for (size_t b = 0; b < buckets.size(); ++b) {
      works[b]->wait();
      at::Tensor flat = flats[b][0];
      if (divisor != 1) flat.div_(divisor);
      int64_t offset = 0;
      for (const at::Tensor& t : buckets[b]) {
        t.detach().copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
        offset += t.numel();
      }
    }
  }

  // Consecutive tensors of one dtype and device, up to kBucketBytes each (a
  // larger tensor is a bucket of its own).
  static std::vector<std::vector<at::Tensor>> Buckets(const std::vector<at::Tensor>& tensors) {
    std::vector<std::vector<at::Tensor>> buckets;
    int64_t bytes = 0;
    for (const at::Tensor& t : tensors) {
      const int64_t size = t.numel() * static_cast<int64_t>(t.element_size());
      const bool fits = !buckets.empty() && bytes + size <= kBucketBytes &&
                        buckets.back()[0].scalar_type() == t.scalar_type() &&
                        buckets.back()[0].device() == t.device();
      if (!fits) {
        buckets.emplace_back();
        bytes = 0;
      }
      buckets.back().push_back(t);
      bytes += size;
    }
    return buckets;
  }

  c10::intrusive_ptr<c10d::Backend> group_;
  at::Device device_;
  int rank_, size_;
};

c10::intrusive_ptr<c10d::Backend> GlooBackend(const c10::intrusive_ptr<c10d::Store>& store,
                                              int rank, int size, std::chrono::seconds timeout) {
  auto options = c10d::ProcessGroupGloo::Options::create_default(timeout);
  options->threads = 1;  // the training thread waits on every collective anyway
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Collective>> JoinRunRanks(const WorkerPlace& place,
                                                        int ranks_per_run,
                                                        std::chrono::seconds timeout,
                                                        std::optional<at::Device> gpu) {
  if (ranks_per_run < 1 || place.world % ranks_per_run != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--ranks_per_run=%d must divide the number of workers (%d, from %s)", ranks_per_run,
        place.world, place.source));
  }
  const int group = place.rank / ranks_per_run, rank = place.rank % ranks_per_run;
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(place.port);
    options.isServer = false;  // worker 0 or torchrun's agent hosts it already
    options.timeout = timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(place.host, options);
    auto store = c10::make_intrusive<c10d::PrefixStore>(
        absl::StrCat(place.key_prefix, "/ranks/", group), tcp);
    if (!gpu.has_value()) {
      return std::unique_ptr<Collective>(new C10dCollective(
          GlooBackend(store, rank, ranks_per_run, timeout), at::kCPU, rank, ranks_per_run));
    }
    absl::StatusOr<c10::intrusive_ptr<c10d::Backend>> nccl =
        NcclBackend(store, rank, ranks_per_run, timeout);
    if (!nccl.ok()) return nccl.status();
    return std::unique_ptr<Collective>(
        new C10dCollective(*std::move(nccl), *gpu, rank, ranks_per_run));
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return absl::DeadlineExceededError(absl::StrFormat(
        "worker %d of %d could not join the %d ranks of its run at %s:%d within %d s: %s",
        place.rank, place.world, ranks_per_run, place.host, place.port, timeout.count(),
        what.substr(0, what.find('\n'))));
  }
}

}  // namespace warmup
