#ifndef WARMUP_LIB_DATA_CHAR_CORPUS_H_
#define WARMUP_LIB_DATA_CHAR_CORPUS_H_

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "lib/data/data_folder.h"

namespace warmup {

// A character-level corpus (TinyShakespeare): the vocabulary is the sorted
// set of bytes in the text; the first (1 - validation_fraction) of the text
// is the training split, the rest the validation split (nanoGPT's 90/10).
struct CharCorpus {
  std::string vocabulary;  // id -> byte
  at::Tensor train;        // int64 ids
  at::Tensor validation;
  std::vector<DataFile> files;  // what was read, with checksums
  int64_t vocab_size() const { return static_cast<int64_t>(vocabulary.size()); }
};

// InvalidArgument when the text is shorter than two windows of context + 1.
absl::StatusOr<CharCorpus> BuildCharCorpus(const std::string& text,
                                           double validation_fraction);

// Reads <folder>/tinyshakespeare/input.txt.
absl::StatusOr<CharCorpus> LoadTinyShakespeare(const std::string& folder);

// `batch` random windows of `context` + 1 ids from `split`: inputs [B, T]
// and next-character targets [B, T].
std::pair<at::Tensor, at::Tensor> SampleWindows(const at::Tensor& split, int64_t batch,
                                                int64_t context, std::mt19937_64& rng);

}  // namespace warmup

#endif  // WARMUP_LIB_DATA_CHAR_CORPUS_H_
