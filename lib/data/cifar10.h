#ifndef WARMUP_LIB_DATA_CIFAR10_H_
#define WARMUP_LIB_DATA_CIFAR10_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "lib/data/data_folder.h"

namespace warmup {

// CIFAR-10 in the official binary layout: records of 3,073 bytes (a label,
// then 1,024 R, 1,024 G and 1,024 B bytes, row-major 32x32).
struct Cifar10 {
  at::Tensor images;  // uint8 [N, 3, 32, 32]
  at::Tensor labels;  // int64 [N]
  std::vector<DataFile> files;  // what was read, with checksums
  int64_t size() const { return labels.size(0); }
};

// Parses whole records; InvalidArgument when the byte count is not a
// multiple of 3,073 or a label is not in 0..9. `source` names the data in
// errors.
absl::StatusOr<Cifar10> ParseCifar10(const std::string& bytes, const std::string& source);

// The official files: data_batch_1.bin .. data_batch_5.bin (10,000 records
// each) for training, test_batch.bin for testing.
std::vector<std::string> Cifar10Files(bool train);

// Reads CIFAR-10 from <folder>/cifar10/. Training: `max_records` = 0 reads
// all five batches, and each must be present; `max_records` = N > 0 reads
// the batches in order until N records are in, so a folder holding only the
// first k batches serves any N <= 10,000 k. A batch the request needs that
// is missing is NotFound naming it; N beyond the 50,000 records of all five
// is InvalidArgument. Test: test_batch.bin, cut to `max_records` when > 0.
absl::StatusOr<Cifar10> LoadCifar10(const std::string& folder, bool train,
                                    int64_t max_records);

// A float batch normalised per channel with the CIFAR-10 mean (0.4914,
// 0.4822, 0.4465) and std (0.2023, 0.1994, 0.2010); with `augment`, a random
// 32x32 crop of the image padded by 4 and a random horizontal flip.
at::Tensor CifarBatch(const Cifar10& data, const std::vector<int64_t>& indices,
                      bool augment, std::mt19937_64& rng);

}  // namespace warmup

#endif  // WARMUP_LIB_DATA_CIFAR10_H_
