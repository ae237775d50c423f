#ifndef WARMUP_LIB_IO_SHA256_H_
#define WARMUP_LIB_IO_SHA256_H_

#include <string>

namespace warmup {

// SHA-256 of `data` as 64 lowercase hex digits (FIPS 180-4). Used for the
// spec hash in every Result's provenance.
std::string Sha256Hex(const std::string& data);

}  // namespace warmup

#endif  // WARMUP_LIB_IO_SHA256_H_
