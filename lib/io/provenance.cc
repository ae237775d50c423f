#include "lib/io/provenance.h"

#include <cstdio>
#include <fstream>

#include <Eigen/Core>

#include "absl/base/config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/util/time_util.h"
#include "lib/io/sha256.h"

namespace warmup {
namespace {

// First line of a shell command's output, or "" on failure.
std::string FirstLineOf(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char buf[256];
  std::string line;
  if (std::fgets(buf, sizeof(buf), pipe) != nullptr) line = buf;
  const int status = pclose(pipe);
  if (status != 0) return "";
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  return line;
}

}  // namespace

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

void FillProvenance(const std::string& spec_path, const std::string& spec_text,
                    const std::string& workspace_dir, int threads,
                    spec::Provenance* p) {
  std::string commit;
  if (!workspace_dir.empty()) {
    commit = FirstLineOf(absl::StrCat("git -C '", workspace_dir,
                                      "' rev-parse HEAD 2>/dev/null"));
    if (!commit.empty() &&
        !FirstLineOf(absl::StrCat("git -C '", workspace_dir,
                                  "' status --porcelain 2>/dev/null"))
             .empty()) {
      commit += "-dirty";
    }
  }
  p->set_git_commit(commit.empty() ? "unknown" : commit);
  p->set_spec_path(spec_path);
  p->set_spec_sha256(Sha256Hex(spec_text));
  auto& v = *p->mutable_versions();
  v["eigen"] = absl::StrCat(EIGEN_WORLD_VERSION, ".", EIGEN_MAJOR_VERSION, ".",
                            EIGEN_MINOR_VERSION);
  v["protobuf"] = google::protobuf::internal::VersionString(
      GOOGLE_PROTOBUF_VERSION);
  v["abseil"] = absl::StrCat(ABSL_LTS_RELEASE_VERSION);
  v["compiler"] = __VERSION__;
  p->set_threads(threads);
  p->set_device(absl::StrCat("cpu: ", CpuModel()));
  *p->mutable_start_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
}

void MarkEnd(spec::Provenance* p) {
  *p->mutable_end_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
}

std::string PortableCommandLine(const std::string& prefix,
                                const std::vector<std::string>& args) {
  static const char* const kPathFlags[] = {"--out=",           "--data_dir=",      "--report_dir=",
                                           "--experiments_dir=", "--reference_dir=",
                                           "--reference_from="};
  std::string line = prefix;
  for (std::string arg : args) {
    for (const char* flag : kPathFlags) {
      if (absl::StartsWith(arg, flag)) arg = absl::StrCat(flag, "<path>");
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", arg);
  }
  return line;
}

}  // namespace warmup
