#include "lib/distributed/collective.h"

#include <cstdlib>
#include <functional>
#include <thread>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "gtest/gtest.h"

namespace warmup {
namespace {

// Runs `body(worker, collective)` for `world` workers, each on its own thread with its own
// process group, meeting at a store this test hosts on loopback.
void OnWorkers(int world, int ranks_per_run,
               const std::function<void(int, Collective&)>& body) {
  // c10d's flight recorder is one per process and not safe for several
  // process groups enqueueing from several threads at once (a job runs one
  // per process); off here.
  setenv("TORCH_FR_BUFFER_SIZE", "0", 1);
  c10d::TCPStoreOptions options;
  options.port = 0;  // any free port
  options.isServer = true;
  options.waitWorkers = false;
  c10d::TCPStore server("127.0.0.1", options);
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      WorkerPlace place;
      place.rank = r;
      place.world = world;
      place.host = "127.0.0.1";
      place.port = server.getPort();
      absl::StatusOr<std::unique_ptr<Collective>> c =
          JoinRunRanks(place, ranks_per_run, std::chrono::seconds(20));
      ASSERT_TRUE(c.ok()) << c.status();
      body(r, **c);
    });
  }
  for (std::thread& t : threads) t.join();
}

TEST(CollectiveTest, AveragesEveryTensorInPlaceAcrossBuckets) {
  OnWorkers(2, 2, [](int, Collective& c) {
    const float r = static_cast<float>(c.rank());
    // A tensor larger than a bucket, a transposed (non-contiguous) view, a
    // float64 scalar: each comes back as the mean of the ranks' values.
    const int64_t big = Collective::kBucketBytes / 4 + 5;
    at::Tensor large = at::full({big}, 1.0f + 2 * r);
    at::Tensor matrix = at::arange(6, at::kFloat).reshape({2, 3}).mul(r + 1);
    at::Tensor transposed = matrix.t();
    at::Tensor scalar = at::tensor(10.0 * (r + 1), at::kDouble);
    c.Average({large, transposed, scalar});
    EXPECT_EQ(large.min().item<float>(), 2.0f);  // (1 + 3) / 2, exact in binary
    EXPECT_EQ(large.max().item<float>(), 2.0f);
    EXPECT_TRUE(at::equal(matrix, at::arange(6, at::kFloat).reshape({2, 3}).mul(1.5)));
    EXPECT_EQ(scalar.item<double>(), 15.0);
  });
}

TEST(CollectiveTest, BroadcastsRankZerosBytes) {
  OnWorkers(2, 2, [](int, Collective& c) {
    std::string bytes = c.rank() == 0 ? std::string("a\0b\xff", 4) : "other";
    c.Broadcast(&bytes);
    EXPECT_EQ(bytes, std::string("a\0b\xff", 4));
    at::Tensor weights = at::full({3, 4}, 1.0f + c.rank()).t();  // non-contiguous
    at::Tensor step = at::tensor(c.rank() == 0 ? int64_t{7} : int64_t{9});
    c.Broadcast({weights, step});
    EXPECT_TRUE(at::equal(weights, at::ones({4, 3})));
    EXPECT_EQ(step.item<int64_t>(), 7);
    std::string empty = c.rank() == 0 ? "" : "not empty";
    c.Broadcast(&empty);
    EXPECT_EQ(empty, "");
  });
}

TEST(CollectiveTest, FourWorkersMakeTwoRunsOfTwoRanks) {
  OnWorkers(4, 2, [](int worker, Collective& c) {
    EXPECT_EQ(c.size(), 2);
    EXPECT_EQ(c.rank(), worker % 2);
    // Workers 0, 1 hold 0 and 1; workers 2, 3 hold 10 and 11: each pair
    // averages its own only.
    at::Tensor mine = at::tensor(worker < 2 ? worker : 8.0 + worker);
    c.Average({mine});
    EXPECT_EQ(mine.item<double>(), worker < 2 ? 0.5 : 10.5);
    std::string leader = std::to_string(worker);
    c.Broadcast(&leader);
    EXPECT_EQ(leader, worker < 2 ? "0" : "2");
  });
}

TEST(CollectiveTest, RanksPerRunMustDivideTheWorkers) {
  WorkerPlace place;
  place.world = 3;
  place.source = "torchrun (RANK, WORLD_SIZE)";
  absl::StatusOr<std::unique_ptr<Collective>> c =
      JoinRunRanks(place, 2, std::chrono::seconds(1));
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("--ranks_per_run=2 must divide the number of workers (3"),
            std::string::npos)
      << c.status();
}

}  // namespace
}  // namespace warmup
