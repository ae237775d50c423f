#include "lib/data/cifar10.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/data/data_folder.h"

namespace warmup {
namespace {

constexpr int64_t kRecord = 3073;

}  // namespace

absl::StatusOr<Cifar10> ParseCifar10(const std::string& bytes, const std::string& source) {
  if (bytes.empty() || bytes.size() % kRecord != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "'%s' has %d bytes, not a whole number of 3,073-byte CIFAR-10 records "
        "(1 label byte + 3,072 pixel bytes); %s",
        source, bytes.size(), HowToGetData()));
  }
  const int64_t n = static_cast<int64_t>(bytes.size()) / kRecord;
  Cifar10 out;
  out.images = at::empty({n, 3, 32, 32}, at::kByte);
  out.labels = at::empty({n}, at::kLong);
  uint8_t* img = out.images.data_ptr<uint8_t>();
  int64_t* lab = out.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const auto* rec = reinterpret_cast<const uint8_t*>(bytes.data()) + i * kRecord;
    if (rec[0] > 9) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "'%s' record %d has label %d; CIFAR-10 labels are 0..9", source, i, rec[0]));
    }
    lab[i] = rec[0];
    std::memcpy(img + i * 3072, rec + 1, 3072);
  }
  return out;
}

std::vector<std::string> Cifar10Files(bool train) {
  if (!train) return {"cifar10/test_batch.bin"};
  std::vector<std::string> names;
  for (int b = 1; b <= 5; ++b) names.push_back(absl::StrCat("cifar10/data_batch_", b, ".bin"));
  return names;
}

absl::StatusOr<Cifar10> LoadCifar10(const std::string& folder, bool train,
                                    int64_t max_records) {
  const std::vector<std::string> names = Cifar10Files(train);
  std::vector<at::Tensor> images, labels;
  Cifar10 out;
  int64_t total = 0;
  for (const std::string& name : names) {
    if (max_records > 0 && total >= max_records) break;
    DataFile record;
    absl::StatusOr<std::string> bytes = ReadDataFile(folder, name, &record);
    if (!bytes.ok()) {
      if (bytes.status().code() != absl::StatusCode::kNotFound || !train) return bytes.status();
      return absl::NotFoundError(absl::StrFormat(
          "%s; %s", bytes.status().message(),
          max_records > 0
              ? absl::StrFormat("network.train_examples = %d needs the training batches in "
                                "order until that many records are read",
                                max_records)
              : std::string("network.train_examples = 0 reads all five training batches; "
                            "set it to at most 10,000 per batch present to use fewer")));
    }
    absl::StatusOr<Cifar10> part = ParseCifar10(*bytes, folder + "/" + name);
    if (!part.ok()) return part.status();
    images.push_back(part->images);
    labels.push_back(part->labels);
    out.files.push_back(record);
    total += part->size();
  }
  if (max_records > total) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "network.train_examples = %d, but CIFAR-10's %s hold %d records", max_records,
        train ? "five training batches" : "test batch", total));
  }
  out.images = at::cat(images);
  out.labels = at::cat(labels);
  if (max_records > 0 && out.size() > max_records) {
    out.images = out.images.slice(0, 0, max_records).contiguous();
    out.labels = out.labels.slice(0, 0, max_records).contiguous();
  }
  return out;
}

at::Tensor CifarBatch(const Cifar10& data, const std::vector<int64_t>& indices,
                      bool augment, std::mt19937_64& rng) {
  const at::Tensor index = at::tensor(indices, at::kLong);
  at::Tensor x = data.images.index_select(0, index).to(at::kFloat).div_(255.0);
  if (augment) {
    const at::Tensor padded = at::constant_pad_nd(x, {4, 4, 4, 4}, 0.0);
    std::uniform_int_distribution<int> offset(0, 8), coin(0, 1);
    std::vector<at::Tensor> crops;
    for (int64_t i = 0; i < x.size(0); ++i) {
      const int dy = offset(rng), dx = offset(rng);
      at::Tensor c = padded[i].slice(1, dy, dy + 32).slice(2, dx, dx + 32);
      if (coin(rng)) c = c.flip({2});
      crops.push_back(c);
    }
    x = at::stack(crops);
  }
  const at::Tensor mean = at::tensor({0.4914f, 0.4822f, 0.4465f}).view({1, 3, 1, 1});
  const at::Tensor std = at::tensor({0.2023f, 0.1994f, 0.2010f}).view({1, 3, 1, 1});
  return ((x - mean) / std).contiguous();
}

}  // namespace warmup
