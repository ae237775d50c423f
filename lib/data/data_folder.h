#ifndef WARMUP_LIB_DATA_DATA_FOLDER_H_
#define WARMUP_LIB_DATA_DATA_FOLDER_H_

#include <string>

#include "absl/status/statusor.h"

namespace warmup {

// The data folder: the --data_dir value when given, else $WARMUP_DATA_DIR.
// NotFound (saying how to set it and how to get the data) when neither is.
absl::StatusOr<std::string> ResolveDataFolder(const std::string& flag_value);

// Reads `relative` (e.g. "cifar10/data_batch_1.bin") from the data folder.
// When the folder has a SHA256SUMS file listing it, the checksum must match.
// Errors say what was expected and how to get the official copy.
absl::StatusOr<std::string> ReadDataFile(const std::string& folder,
                                         const std::string& relative);

// Where the official copies come from, for error messages.
std::string HowToGetData();

}  // namespace warmup

#endif  // WARMUP_LIB_DATA_DATA_FOLDER_H_
