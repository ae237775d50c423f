#ifndef WARMUP_LIB_IO_RESULT_FILES_H_
#define WARMUP_LIB_IO_RESULT_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "lib/io/output_batch.h"
#include "proto/result.pb.h"

namespace warmup {

// Adds the Result's files to `batch`: result.textproto, result.json (through
// protobuf's JSON util), one CSV per series (<run>__<metric>.csv, with "/"
// in run names written as "-"), and a Markdown and a CSV file per table.
absl::Status AddResultFiles(const spec::Result& result, OutputBatch* batch);

// A table as GitHub Markdown and as CSV.
std::string TableMarkdown(const spec::Table& table);
std::string TableCsv(const spec::Table& table);

// File-name-safe form of a run or metric name.
std::string SafeFileName(const std::string& name);

}  // namespace warmup

#endif  // WARMUP_LIB_IO_RESULT_FILES_H_
