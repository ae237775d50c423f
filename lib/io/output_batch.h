#ifndef WARMUP_LIB_IO_OUTPUT_BATCH_H_
#define WARMUP_LIB_IO_OUTPUT_BATCH_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace warmup {

// Checks that `dir` exists or can be created, and that a file can be written
// in it. Run before any work so an unwritable --out fails at once.
absl::Status EnsureWritableDirectory(const std::string& dir);

// Writes `contents` to `path` through a temporary file in the same folder and
// a rename, so a reader never sees a partial file.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents);

// The file every committed output folder holds, marking it as one this
// artifact may replace.
inline constexpr char kOutputMarker[] = ".warmup-output";

// Checks that `dir` may be replaced as a whole by OutputBatch::Commit: it is
// missing, empty, an earlier output of this artifact (it holds kOutputMarker
// or a result.textproto), or holds only checkpoints. Anything else (--out=.,
// or a folder of the user's own files) is InvalidArgument, so that a run
// never deletes files it did not write.
absl::Status CheckReplaceable(const std::string& dir);

// Output files gathered in memory and written together at the end of a run:
// nothing lands in the output folder unless every file was produced.
class OutputBatch {
 public:
  void Add(std::string name, std::string contents) {
    files_.emplace_back(std::move(name), std::move(contents));
  }
  // Replaces the contents of `dir` as a whole, never mixing old and new
  // files: writes every file into a new folder beside it
  // (<parent>/.<name>.staging-<pid>), carries over the checkpoints the old
  // folder holds (every folder named "checkpoints", hard-linked, so the old
  // folder keeps them too), swaps the two folders with one atomic
  // renameat2(RENAME_EXCHANGE) and then removes the old contents. A process
  // killed at any moment leaves `dir` either as it was or as the new folder;
  // staging folders left beside it by dead processes are removed by the
  // next commit. The new folder also holds kOutputMarker. Fails, leaving
  // `dir` as it was, on the first error or when CheckReplaceable(dir) does.
  absl::Status Commit(const std::string& dir) const;
  const std::vector<std::pair<std::string, std::string>>& files() const {
    return files_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> files_;
};

// Reads a whole file; NotFound when it cannot be opened.
absl::Status ReadFile(const std::string& path, std::string* contents);

}  // namespace warmup

#endif  // WARMUP_LIB_IO_OUTPUT_BATCH_H_
