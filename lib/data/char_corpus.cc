#include "lib/data/char_corpus.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_format.h"
#include "lib/data/data_folder.h"

namespace warmup {

absl::StatusOr<CharCorpus> BuildCharCorpus(const std::string& text,
                                           double validation_fraction) {
  if (text.size() < 64) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "character corpus has %d bytes; expected at least 64", text.size()));
  }
  const std::set<unsigned char> bytes(text.begin(), text.end());
  CharCorpus c;
  c.vocabulary.assign(bytes.begin(), bytes.end());
  int64_t id_of[256] = {0};
  for (size_t i = 0; i < c.vocabulary.size(); ++i) {
    id_of[static_cast<unsigned char>(c.vocabulary[i])] = static_cast<int64_t>(i);
  }
  at::Tensor ids = at::empty({static_cast<int64_t>(text.size())}, at::kLong);
  int64_t* p = ids.data_ptr<int64_t>();
  for (size_t i = 0; i < text.size(); ++i) p[i] = id_of[static_cast<unsigned char>(text[i])];
  const int64_t n_train =
      static_cast<int64_t>(text.size() * (1.0 - validation_fraction));
  c.train = ids.slice(0, 0, n_train);
  c.validation = ids.slice(0, n_train);
  return c;
}

absl::StatusOr<CharCorpus> LoadTinyShakespeare(const std::string& folder) {
  DataFile record;
  absl::StatusOr<std::string> text = ReadDataFile(folder, "tinyshakespeare/input.txt", &record);
  if (!text.ok()) return text.status();
  absl::StatusOr<CharCorpus> corpus = BuildCharCorpus(*text, 0.1);
  if (corpus.ok()) corpus->files.push_back(record);
  return corpus;
}

std::pair<at::Tensor, at::Tensor> SampleWindows(const at::Tensor& split, int64_t batch,
                                                int64_t context, std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> start(0, split.size(0) - context - 1);
  at::Tensor x = at::empty({batch, context}, at::kLong);
  at::Tensor y = at::empty({batch, context}, at::kLong);
  const int64_t* s = split.data_ptr<int64_t>();
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t i = start(rng);
    std::copy(s + i, s + i + context, x.data_ptr<int64_t>() + b * context);
    std::copy(s + i + 1, s + i + context + 1, y.data_ptr<int64_t>() + b * context);
  }
  return {x, y};
}

}  // namespace warmup
