#ifndef WARMUP_LIB_IO_MARKDOWN_H_
#define WARMUP_LIB_IO_MARKDOWN_H_

#include <string>
#include <vector>

namespace warmup {

// The one Markdown table writer (Results' tables, the report, the benchmark,
// the calibration tool): a GitHub table with a header row, every cell's '|'
// escaped and its line breaks turned into spaces, so that no cell can break
// the table. A row shorter than the header is padded with empty cells.
std::string MarkdownTable(const std::vector<std::string>& columns,
                          const std::vector<std::vector<std::string>>& rows);

}  // namespace warmup

#endif  // WARMUP_LIB_IO_MARKDOWN_H_
