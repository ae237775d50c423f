#include "lib/io/markdown.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace warmup {
namespace {

void AppendRow(const std::vector<std::string>& cells, size_t width, std::string* out) {
  *out += "|";
  for (size_t k = 0; k < std::max(width, cells.size()); ++k) {
    const std::string cell = k < cells.size() ? cells[k] : "";
    absl::StrAppend(out, " ",
                    absl::StrReplaceAll(cell, {{"|", "\\|"}, {"\r\n", " "}, {"\n", " "}}),
                    " |");
  }
  *out += "\n";
}

}  // namespace

std::string MarkdownTable(const std::vector<std::string>& columns,
                          const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  AppendRow(columns, columns.size(), &out);
  out += "|";
  for (size_t k = 0; k < columns.size(); ++k) out += " --- |";
  out += "\n";
  for (const std::vector<std::string>& row : rows) AppendRow(row, columns.size(), &out);
  return out;
}

}  // namespace warmup
