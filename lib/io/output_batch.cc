#include "lib/io/output_batch.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

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

absl::Status OutputBatch::Commit(const std::string& dir) const {
  if (absl::Status st = EnsureWritableDirectory(dir); !st.ok()) return st;
  for (const auto& [name, contents] : files_) {
    if (absl::Status st = WriteFileAtomically(dir + "/" + name, contents);
        !st.ok()) {
      return st;
    }
  }
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
