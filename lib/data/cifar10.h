#ifndef WARMUP_LIB_DATA_CIFAR10_H_
#define WARMUP_LIB_DATA_CIFAR10_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"

namespace warmup {

// CIFAR-10 in the official binary layout: records of 3,073 bytes (a label,
// then 1,024 R, 1,024 G and 1,024 B bytes, row-major 32x32).
struct Cifar10 {
  at::Tensor images;  // uint8 [N, 3, 32, 32]
  at::Tensor labels;  // int64 [N]
  int64_t size() const { return labels.size(0); }
};

// Parses whole records; InvalidArgument when the byte count is not a
// multiple of 3,073 or a label is not in 0..9. `source` names the data in
// errors.
absl::StatusOr<Cifar10> ParseCifar10(const std::string& bytes, const std::string& source);

// Reads the training batches (data_batch_1.bin .. data_batch_5.bin, those
// present; at least the first) or test_batch.bin from <folder>/cifar10/,
// keeping the first `max_records` records when it is > 0.
absl::StatusOr<Cifar10> LoadCifar10(const std::string& folder, bool train,
                                    int64_t max_records);

// A float batch normalised per channel with the CIFAR-10 mean (0.4914,
// 0.4822, 0.4465) and std (0.2023, 0.1994, 0.2010); with `augment`, a random
// 32x32 crop of the image padded by 4 and a random horizontal flip.
at::Tensor CifarBatch(const Cifar10& data, const std::vector<int64_t>& indices,
                      bool augment, std::mt19937_64& rng);

}  // namespace warmup

#endif  // WARMUP_LIB_DATA_CIFAR10_H_
