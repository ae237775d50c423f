#include "lib/distributed/worker_group.h"

#include <atomic>
#include <cstdlib>
#include <map>
#include <thread>
#include <vector>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/distributed/collective.h"

namespace warmup {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kHeartbeatEvery{1000};
constexpr std::chrono::milliseconds kPollEvery{200};

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string Text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

// An environment variable as a non-negative integer; absent: -1.
absl::StatusOr<int> IntFromEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return -1;
  int n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s='%s': expected a non-negative integer", name, value));
  }
  return n;
}

// host:port from `rendezvous`, else from MASTER_ADDR and MASTER_PORT.
absl::Status SetRendezvous(const std::string& rendezvous, WorkerPlace* place) {
  std::string host, port;
  if (!rendezvous.empty()) {
    const std::vector<std::string> parts = absl::StrSplit(rendezvous, absl::MaxSplits(':', 1));
    if (parts.size() == 2) host = parts[0], port = parts[1];
  } else if (std::getenv("MASTER_ADDR") != nullptr && std::getenv("MASTER_PORT") != nullptr) {
    host = std::getenv("MASTER_ADDR");
    port = std::getenv("MASTER_PORT");
  }
  if (host.empty() || !absl::SimpleAtoi(port, &place->port) || place->port <= 0 ||
      place->port > 65535) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %d workers need a rendezvous: MASTER_ADDR and MASTER_PORT (torchrun sets them) "
        "or --rendezvous=host:port, got '%s'",
        place->source, place->world, rendezvous.empty() ? host + ":" + port : rendezvous));
  }
  place->host = host;
  return absl::OkStatus();
}

class StoreWorkerGroup final : public WorkerGroup {
 public:
  StoreWorkerGroup(const WorkerPlace& place, std::chrono::seconds silent,
                   c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<c10d::Store> heart)
      : place_(place), silent_(silent), store_(std::move(store)), heart_(std::move(heart)) {
    beating_ = std::thread([this] {
      while (!stop_) {
        try {
          heart_->add(absl::StrCat("heartbeat/", place_.rank), 1);
        } catch (const std::exception&) {
          return;  // the store is gone: the job is over
        }
        std::this_thread::sleep_for(kHeartbeatEvery);
      }
    });
  }
  ~StoreWorkerGroup() override {
    stop_ = true;
    beating_.join();
  }

  int rank() const override { return place_.rank; }
  int world() const override { return place_.world; }
  Collective* ranks() const override { return ranks_.get(); }
  void set_ranks(std::unique_ptr<Collective> ranks) { ranks_ = std::move(ranks); }

  // Best effort: the activity only improves another worker's message.
  void SetActivity(const std::string& activity) override {
    Guard([&] { store_->set(absl::StrCat("activity/", place_.rank), Bytes(activity)); })
        .IgnoreError();
  }

  absl::Status Publish(const std::string& key, const std::string& value) override {
    return Guard([&] { store_->set("value/" + key, Bytes(value)); });
  }

  // Best effort: this worker is failing anyway and reports its own error;
  // without the store the others see the rendezvous lost.
  void PublishError(const std::string& key, const std::string& message) override {
    Guard([&] {
      store_->set("failed", Bytes(absl::StrFormat("worker %d of %d failed on %s: %s", place_.rank,
                                                  place_.world, key, message)));
    }).IgnoreError();
  }

  absl::StatusOr<std::string> Fetch(const std::string& key, int owner) override {
    absl::Status waited = WaitFor("value/" + key, {owner});
    if (!waited.ok()) return waited;
    std::string value;
    absl::Status got = Guard([&] { value = Text(store_->get("value/" + key)); });
    if (!got.ok()) return got;
    return value;
  }

  absl::Status Barrier(const std::string& name) override {
    int64_t arrived = 0;
    absl::Status st = Guard([&] { arrived = store_->add("barrier/" + name, 1); });
    if (!st.ok()) return st;
    if (arrived == place_.world) {
      st = Guard([&] { store_->set("barrier/" + name + "/all", Bytes("1")); });
      if (!st.ok()) return st;
    }
    std::vector<int> everyone;
    for (int r = 0; r < place_.world; ++r) everyone.push_back(r);
    return WaitFor("barrier/" + name + "/all", everyone);
  }

 private:
  // Runs a store operation; a store error (the rendezvous host went away)
  // becomes Unavailable.
  template <typename Op>
  absl::Status Guard(Op op) {
    try {
      op();
      return absl::OkStatus();
    } catch (const std::exception& e) {
      const std::string what = e.what();
      return absl::UnavailableError(absl::StrFormat(
          "worker %d of %d lost the rendezvous at %s:%d: %s", place_.rank, place_.world,
          place_.host, place_.port, what.substr(0, what.find('\n'))));
    }
  }

  // Waits until `key` exists; fails when a worker published a failure or
  // one of `owners` stopped beating.
  absl::Status WaitFor(const std::string& key, const std::vector<int>& owners) {
    std::map<int, std::pair<int64_t, Clock::time_point>> last;  // beat, when it moved
    for (;;) {
      bool ready = false, failed = false;
      absl::Status st = Guard([&] {
        ready = store_->check({key});
        failed = !ready && store_->check({"failed"});
      });
      if (!st.ok()) return st;
      if (ready) return absl::OkStatus();
      if (failed) {
        std::string why;
        if (st = Guard([&] { why = Text(store_->get("failed")); }); !st.ok()) return st;
        return absl::AbortedError(why);
      }
      for (int owner : owners) {
        if (owner == place_.rank) continue;
        if (st = CheckAlive(owner, &last); !st.ok()) return st;
      }
      std::this_thread::sleep_for(kPollEvery);
    }
  }

  absl::Status CheckAlive(int owner,
                          std::map<int, std::pair<int64_t, Clock::time_point>>* last) {
    int64_t beat = 0;
    absl::Status st = Guard([&] { beat = store_->add(absl::StrCat("heartbeat/", owner), 0); });
    if (!st.ok()) return st;
    const auto now = Clock::now();
    auto [it, fresh] = last->try_emplace(owner, beat, now);
    if (fresh || it->second.first != beat) {
      it->second = {beat, now};
      return absl::OkStatus();
    }
    if (now - it->second.second < silent_) return absl::OkStatus();
    std::string activity = "starting";
    Guard([&] {
      const std::string key = absl::StrCat("activity/", owner);
      if (store_->check({key})) activity = Text(store_->get(key));
    }).IgnoreError();  // the message below says enough without it
    return absl::AbortedError(absl::StrFormat(
        "worker %d of %d stopped responding (no heartbeat for %d s) while %s; the finished "
        "runs are kept: rerun the same command with --resume to finish the rest",
        owner, place_.world, silent_.count(), activity));
  }

  WorkerPlace place_;
  std::chrono::seconds silent_;
  c10::intrusive_ptr<c10d::Store> store_, heart_;
  std::unique_ptr<Collective> ranks_;
  std::atomic<bool> stop_{false};
  std::thread beating_;
};

}  // namespace

absl::StatusOr<WorkerPlace> WorkerPlaceFromEnvironment(const std::string& rendezvous) {
  WorkerPlace place;
  absl::StatusOr<int> rank = IntFromEnv("RANK"), world = IntFromEnv("WORLD_SIZE");
  place.source = "torchrun (RANK, WORLD_SIZE)";
  if (rank.ok() && world.ok() && *rank < 0 && *world < 0) {
    rank = IntFromEnv("SLURM_PROCID");
    world = IntFromEnv("SLURM_NTASKS");
    place.source = "Slurm (SLURM_PROCID, SLURM_NTASKS)";
  }
  if (!rank.ok()) return rank.status();
  if (!world.ok()) return world.status();
  if (*rank < 0 && *world < 0) return WorkerPlace{};  // no launcher: one worker
  if (*rank < 0 || *world < 1 || *rank >= *world) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: rank %d of %d; expected both set, with 0 <= rank < world size", place.source,
        *rank, *world));
  }
  place.rank = *rank;
  place.world = *world;
  if (place.world == 1) return place;
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  place.agent_store = agent != nullptr && std::string(agent) == "True";
  const char* restart = std::getenv("TORCHELASTIC_RESTART_COUNT");
  place.key_prefix = absl::StrCat("warmup/", restart == nullptr ? "0" : restart);
  if (absl::Status st = SetRendezvous(rendezvous, &place); !st.ok()) return st;
  return place;
}

absl::StatusOr<std::unique_ptr<WorkerGroup>> WorkerGroup::Join(const WorkerPlace& place,
                                                               std::chrono::seconds timeout,
                                                               std::chrono::seconds silent,
                                                               int ranks_per_run, int gpu) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(place.port);
  options.isServer = place.rank == 0 && !place.agent_store;
  options.numWorkers = place.world;
  options.waitWorkers = true;
  options.timeout = timeout;
  try {
    auto tcp = c10::make_intrusive<c10d::TCPStore>(place.host, options);
    auto store = c10::make_intrusive<c10d::PrefixStore>(place.key_prefix, tcp);
    auto heart = c10::make_intrusive<c10d::PrefixStore>(place.key_prefix, tcp->clone());
    auto group = std::make_unique<StoreWorkerGroup>(place, silent, store, heart);
    if (ranks_per_run != 1) {
      absl::StatusOr<std::unique_ptr<Collective>> ranks =
          JoinRunRanks(place, ranks_per_run, timeout,
                       gpu < 0 ? std::nullopt
                               : std::optional<at::Device>(at::Device(
                                     at::kCUDA, static_cast<c10::DeviceIndex>(gpu))));
      if (!ranks.ok()) return ranks.status();
      group->set_ranks(*std::move(ranks));
    }
    return std::unique_ptr<WorkerGroup>(std::move(group));
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return absl::DeadlineExceededError(absl::StrFormat(
        "worker %d of %d could not meet the others at %s:%d within %d s (%s): %s", place.rank,
        place.world, place.host, place.port, timeout.count(), place.source,
        what.substr(0, what.find('\n'))));
  }
}

}  // namespace warmup
