#include "lib/distributed/worker_group.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace warmup {
namespace {

// A port free on loopback now (the kernel's pick for port 0).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t size = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  close(fd);
  return ntohs(addr.sin_port);
}

void ClearLauncherEnvironment() {
  for (const char* name : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID",
                           "SLURM_NTASKS"}) {
    unsetenv(name);
  }
}

TEST(WorkerPlaceTest, ReadsTorchrunAndSlurmAndNamesWhatIsMissing) {
  ClearLauncherEnvironment();
  absl::StatusOr<WorkerPlace> alone = WorkerPlaceFromEnvironment("");
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(alone->world, 1);

  setenv("RANK", "1", 1);
  setenv("WORLD_SIZE", "2", 1);
  absl::StatusOr<WorkerPlace> no_address = WorkerPlaceFromEnvironment("");
  EXPECT_EQ(no_address.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_address.status().message().find("need a rendezvous: MASTER_ADDR and MASTER_PORT"),
            std::string::npos)
      << no_address.status();
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", "29511", 1);
  absl::StatusOr<WorkerPlace> torchrun = WorkerPlaceFromEnvironment("");
  ASSERT_TRUE(torchrun.ok()) << torchrun.status();
  EXPECT_EQ(torchrun->rank, 1);
  EXPECT_EQ(torchrun->world, 2);
  EXPECT_EQ(torchrun->host, "127.0.0.1");
  EXPECT_EQ(torchrun->port, 29511);
  setenv("RANK", "2", 1);
  EXPECT_NE(WorkerPlaceFromEnvironment("").status().message().find("rank 2 of 2"),
            std::string::npos);

  ClearLauncherEnvironment();
  setenv("SLURM_PROCID", "3", 1);
  setenv("SLURM_NTASKS", "4", 1);
  absl::StatusOr<WorkerPlace> slurm = WorkerPlaceFromEnvironment("node7:29600");
  ASSERT_TRUE(slurm.ok()) << slurm.status();
  EXPECT_EQ(slurm->rank, 3);
  EXPECT_EQ(slurm->host, "node7");
  EXPECT_EQ(slurm->port, 29600);
  setenv("SLURM_NTASKS", "four", 1);
  EXPECT_NE(WorkerPlaceFromEnvironment("").status().message().find(
                "SLURM_NTASKS='four': expected a non-negative integer"),
            std::string::npos);
  ClearLauncherEnvironment();
}

// Two workers in one process on loopback: a value handed over, a barrier,
// and a failure that stops the other at once.
TEST(WorkerGroupTest, TwoWorkersHandOverValuesAndFailTogether) {
  const int port = FreePort();
  absl::StatusOr<std::unique_ptr<WorkerGroup>> groups[2];
  std::thread one([&] {
    groups[1] = WorkerGroup::Join({1, 2, "127.0.0.1", port, "test"}, std::chrono::seconds(20));
  });
  groups[0] = WorkerGroup::Join({0, 2, "127.0.0.1", port, "test"}, std::chrono::seconds(20));
  one.join();
  ASSERT_TRUE(groups[0].ok()) << groups[0].status();
  ASSERT_TRUE(groups[1].ok()) << groups[1].status();
  WorkerGroup& a = **groups[0];
  WorkerGroup& b = **groups[1];
  const std::string bytes("run\0with a zero byte", 20);
  ASSERT_TRUE(b.Publish("run/3", bytes).ok());
  absl::StatusOr<std::string> got = a.Fetch("run/3", 1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, bytes);
  absl::Status barrier[2];
  std::thread wait([&] { barrier[1] = b.Barrier("phase"); });
  barrier[0] = a.Barrier("phase");
  wait.join();
  EXPECT_TRUE(barrier[0].ok() && barrier[1].ok()) << barrier[0] << barrier[1];
  b.PublishError("run/5", "no data folder");
  absl::StatusOr<std::string> lost = a.Fetch("run/5", 1);
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(lost.status().message(), "worker 1 of 2 failed on run/5: no data folder");
}

TEST(WorkerGroupTest, AnUnreachableRendezvousFailsWithinItsTimeout) {
  const int port = FreePort();  // nobody listens there
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<WorkerGroup>> group =
      WorkerGroup::Join({1, 2, "127.0.0.1", port, "test"}, std::chrono::seconds(2));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(group.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(group.status().message().find(
                absl::StrCat("could not meet the others at 127.0.0.1:", port, " within 2 s")),
            std::string::npos)
      << group.status();
  EXPECT_LT(seconds, 10.0) << "the stated timeout is 2 s; TCPStore retries once a second";
}

}  // namespace
}  // namespace warmup
