#ifndef WARMUP_LIB_DATA_DATA_FOLDER_H_
#define WARMUP_LIB_DATA_DATA_FOLDER_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace warmup {

// One file read from the data folder, as the Result records it.
struct DataFile {
  std::string path;    // relative to the data folder, e.g. "cifar10/data_batch_1.bin"
  std::string sha256;  // of the bytes read
  int64_t bytes = 0;
};

// The data folder: the --data_dir value when given, else $WARMUP_DATA_DIR.
// NotFound (saying how to set it and how to get the data) when neither is.
absl::StatusOr<std::string> ResolveDataFolder(const std::string& flag_value);

// Parses a SHA256SUMS file (sha256sum's format: 64 hex digits, a space, a
// space or '*', the path) into path -> checksum. Blank lines are skipped;
// any other line that does not have that form is InvalidArgument naming
// `source` and the line number, as is a path listed twice.
absl::StatusOr<std::map<std::string, std::string>> ParseSha256Sums(const std::string& text,
                                                                   const std::string& source);

// Reads `relative` (e.g. "cifar10/data_batch_1.bin") from the data folder
// and fills `record` with its checksum. When the folder has a SHA256SUMS
// file, it must parse, and a file it lists must match. Errors say what was
// expected and how to get the official copy.
absl::StatusOr<std::string> ReadDataFile(const std::string& folder, const std::string& relative,
                                         DataFile* record);

// Where the official copies come from, for error messages.
std::string HowToGetData();

}  // namespace warmup

#endif  // WARMUP_LIB_DATA_DATA_FOLDER_H_
