#include "lib/io/result_files.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "lib/io/markdown.h"

namespace warmup {

std::string SafeFileName(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) c = '-';
  }
  return out;
}

std::string TableMarkdown(const spec::Table& table) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : table.rows()) rows.emplace_back(row.cells().begin(), row.cells().end());
  return MarkdownTable({table.columns().begin(), table.columns().end()}, rows);
}

namespace {

// One CSV cell as RFC 4180 writes it: quoted, with quotes doubled, when it
// holds a comma, a quote or a line break (a fitted-constants verdict does).
std::string CsvCell(const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  return absl::StrCat("\"", absl::StrReplaceAll(cell, {{"\"", "\"\""}}), "\"");
}

std::string CsvRow(const google::protobuf::RepeatedPtrField<std::string>& cells) {
  std::vector<std::string> quoted;
  for (const std::string& c : cells) quoted.push_back(CsvCell(c));
  return absl::StrCat(absl::StrJoin(quoted, ","), "\n");
}

}  // namespace

std::string TableCsv(const spec::Table& table) {
  std::string csv = CsvRow(table.columns());
  for (const auto& row : table.rows()) absl::StrAppend(&csv, CsvRow(row.cells()));
  return csv;
}

absl::Status AddResultFiles(const spec::Result& result, OutputBatch* batch) {
  std::string text;
  if (!google::protobuf::TextFormat::PrintToString(result, &text)) {
    return absl::InternalError("cannot print the Result as text");
  }
  batch->Add("result.textproto", text);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (auto st = google::protobuf::util::MessageToJsonString(result, &json, options);
      !st.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print the Result as JSON: ", st.ToString()));
  }
  batch->Add("result.json", json);
  for (const spec::Series& s : result.series()) {
    std::string csv = absl::StrFormat("%s,%s\n", s.x_name(), s.metric());
    for (int i = 0; i < s.x_size() && i < s.y_size(); ++i) {
      absl::StrAppendFormat(&csv, "%.17g,%.17g\n", s.x(i), s.y(i));
    }
    batch->Add(SafeFileName(absl::StrCat(s.run(), "__", s.metric())) + ".csv",
               csv);
  }
  for (const spec::Table& t : result.tables()) {
    batch->Add(SafeFileName(t.name()) + ".md", TableMarkdown(t));
    batch->Add(SafeFileName(t.name()) + ".csv", TableCsv(t));
  }
  return absl::OkStatus();
}

}  // namespace warmup
