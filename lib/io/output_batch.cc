#include "lib/io/output_batch.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"

namespace warmup {

absl::Status EnsureWritableDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "output folder '%s' cannot be created: %s", dir,
        ec ? ec.message() : "not a directory"));
  }
  if (access(dir.c_str(), W_OK) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "output folder '%s' is not writable: %s", dir, std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents) {
  const std::string tmp = absl::StrFormat("%s.tmp.%d", path, getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return absl::PermissionDeniedError(
          absl::StrFormat("cannot write '%s'", tmp));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return absl::PermissionDeniedError(
        absl::StrFormat("cannot rename '%s' to '%s': %s", tmp, path, why));
  }
  return absl::OkStatus();
}

namespace {

namespace fs = std::filesystem;

// For the folder-replacement test (tests/output_folder_kill_test.sh): with
// WARMUP_TEST_KILL_IN_COMMIT=<step> the process kills itself with SIGKILL
// at that step of Commit, as a crash or kill -9 would.
void KillPointForTest(const char* step) {
  const char* at = std::getenv("WARMUP_TEST_KILL_IN_COMMIT");
  if (at != nullptr && std::strcmp(at, step) == 0) raise(SIGKILL);
}

std::string StagingPrefix(const fs::path& dir) {
  return "." + dir.filename().string() + ".staging-";
}

// Removes staging folders beside `dir` whose process is gone (killed during
// an earlier commit).
void RemoveDeadStaging(const fs::path& dir) {
  std::error_code ec;
  const std::string prefix = StagingPrefix(dir);
  for (const auto& entry : fs::directory_iterator(dir.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && pid != getpid() && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      fs::remove_all(entry.path(), ec);
    }
  }
}

// Hard-links (or copies, where links fail) every file under each folder named
// "checkpoints" in `from` to the same place under `to`.
absl::Status CarryCheckpoints(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::is_directory(from, ec)) return absl::OkStatus();
  for (auto it = fs::recursive_directory_iterator(from, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path relative = fs::relative(it->path(), from, ec);
    bool in_checkpoints = false;
    for (const fs::path& part : relative) in_checkpoints |= part == "checkpoints";
    if (!in_checkpoints || !it->is_regular_file(ec)) continue;
    const fs::path target = to / relative;
    fs::create_directories(target.parent_path(), ec);
    fs::create_hard_link(it->path(), target, ec);
    if (ec) fs::copy_file(it->path(), target, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      return absl::PermissionDeniedError(absl::StrFormat(
          "cannot carry checkpoint '%s' into the new output folder: %s", it->path().string(),
          ec.message()));
    }
  }
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrFormat("cannot list '%s': %s", from.string(), ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckReplaceable(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return absl::OkStatus();
  if (fs::exists(fs::path(dir) / kOutputMarker, ec) ||
      fs::exists(fs::path(dir) / "result.textproto", ec)) {
    return absl::OkStatus();
  }
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) continue;
    bool in_checkpoints = false;
    for (const fs::path& part : fs::relative(it->path(), dir, ec)) {
      in_checkpoints |= part == "checkpoints";
    }
    if (!in_checkpoints) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "output folder '%s' holds '%s' and is not an output of this artifact (no %s or "
          "result.textproto); a run replaces its folder as a whole, so choose a new or empty "
          "--out",
          dir, it->path().lexically_relative(dir).string(), kOutputMarker));
    }
  }
  return absl::OkStatus();
}

absl::Status OutputBatch::Commit(const std::string& dir_name) const {
  const fs::path dir = fs::absolute(fs::path(dir_name).lexically_normal() / "").parent_path();
  if (absl::Status st = CheckReplaceable(dir.string()); !st.ok()) return st;
  if (absl::Status st = EnsureWritableDirectory(dir.parent_path().string()); !st.ok()) return st;
  RemoveDeadStaging(dir);
  const fs::path staging = dir.parent_path() / (StagingPrefix(dir) + std::to_string(getpid()));
  std::error_code ec;
  fs::remove_all(staging, ec);
  auto fail = [&](absl::Status st) {
    fs::remove_all(staging, ec);
    return st;
  };
  if (absl::Status st = EnsureWritableDirectory(staging.string()); !st.ok()) return fail(st);
  std::vector<std::pair<std::string, std::string>> files = files_;
  files.emplace_back(kOutputMarker, "written by the warmup-theory runner; replaced as a whole\n");
  for (const auto& [name, contents] : files) {
    const fs::path path = staging / name;
    fs::create_directories(path.parent_path(), ec);
    if (absl::Status st = WriteFileAtomically(path.string(), contents); !st.ok()) {
      return fail(st);
    }
  }
  KillPointForTest("staged");
  if (absl::Status st = CarryCheckpoints(dir, staging); !st.ok()) return fail(st);
  KillPointForTest("carried");
  if (!fs::exists(dir, ec)) {
    if (std::rename(staging.c_str(), dir.c_str()) != 0) {
      return fail(absl::PermissionDeniedError(absl::StrFormat(
          "cannot rename '%s' to '%s': %s", staging.string(), dir.string(),
          std::strerror(errno))));
    }
    return absl::OkStatus();
  }
  if (renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) != 0) {
    return fail(absl::PermissionDeniedError(absl::StrFormat(
        "cannot swap '%s' into place of '%s': %s", staging.string(), dir.string(),
        std::strerror(errno))));
  }
  KillPointForTest("swapped");
  fs::remove_all(staging, ec);  // now the old contents
  return absl::OkStatus();
}

absl::Status ReadFile(const std::string& path, std::string* contents) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrFormat("cannot read '%s'", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  *contents = ss.str();
  return absl::OkStatus();
}

}  // namespace warmup
