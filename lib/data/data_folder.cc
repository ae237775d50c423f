#include "lib/data/data_folder.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/io/output_batch.h"
#include "lib/io/sha256.h"

namespace warmup {

std::string HowToGetData() {
  return "run tools/download_data.sh DIR (official CIFAR-10 binary version and "
         "TinyShakespeare, checksums verified) and pass --data_dir=DIR or set "
         "WARMUP_DATA_DIR=DIR";
}

absl::StatusOr<std::string> ResolveDataFolder(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv("WARMUP_DATA_DIR");
  if (env != nullptr && env[0] != '\0') return std::string(env);
  return absl::NotFoundError(
      absl::StrCat("no data folder: this experiment reads a data set; ", HowToGetData()));
}

absl::StatusOr<std::string> ReadDataFile(const std::string& folder,
                                         const std::string& relative) {
  const std::string path = absl::StrCat(folder, "/", relative);
  std::string contents;
  if (!ReadFile(path, &contents).ok()) {
    return absl::NotFoundError(
        absl::StrFormat("data file '%s' is missing; %s", path, HowToGetData()));
  }
  std::string sums;
  if (ReadFile(absl::StrCat(folder, "/SHA256SUMS"), &sums).ok()) {
    std::istringstream lines(sums);
    std::string hash, name;
    while (lines >> hash >> name) {
      if (name == relative || name == "*" + relative) {
        const std::string actual = Sha256Hex(contents);
        if (actual != hash) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "data file '%s' has SHA-256 %s, but %s/SHA256SUMS expects %s; the "
              "file is damaged or not the listed copy; %s",
              path, actual, folder, hash, HowToGetData()));
        }
      }
    }
  }
  return contents;
}

}  // namespace warmup
