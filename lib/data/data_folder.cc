#include "lib/data/data_folder.h"

#include <cctype>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/io/output_batch.h"
#include "lib/io/sha256.h"

namespace warmup {
namespace {

bool IsHexDigest(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string HowToGetData() {
  return "run tools/download_data.sh DIR (official CIFAR-10 binary version and "
         "TinyShakespeare, checksums verified) and pass --data_dir=DIR or set "
         "WARMUP_DATA_DIR=DIR";
}

absl::StatusOr<std::string> ResolveDataFolder(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv("WARMUP_DATA_DIR");
  if (env != nullptr && env[0] != '\0') return std::string(env);
  return absl::NotFoundError(
      absl::StrCat("no data folder: this experiment reads a data set; ", HowToGetData()));
}

absl::StatusOr<std::map<std::string, std::string>> ParseSha256Sums(const std::string& text,
                                                                   const std::string& source) {
  std::map<std::string, std::string> sums;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    // "<64 hex><space><space or *><path>", as sha256sum writes it.
    const bool ok = line.size() > 66 && IsHexDigest(line.substr(0, 64)) && line[64] == ' ' &&
                    (line[65] == ' ' || line[65] == '*');
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s line %d: expected '<64 hex digits>  <path>' (sha256sum's format), got '%s'; %s",
          source, number, line.substr(0, 120), HowToGetData()));
    }
    const std::string path(line.substr(66));
    std::string digest(line.substr(0, 64));
    for (char& c : digest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!sums.emplace(path, digest).second) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s line %d: '%s' is listed twice", source, number, path));
    }
  }
  return sums;
}

absl::StatusOr<std::string> ReadDataFile(const std::string& folder, const std::string& relative,
                                         DataFile* record) {
  const std::string path = absl::StrCat(folder, "/", relative);
  std::string contents;
  if (!ReadFile(path, &contents).ok()) {
    return absl::NotFoundError(
        absl::StrFormat("data file '%s' is missing; %s", path, HowToGetData()));
  }
  record->path = relative;
  record->sha256 = Sha256Hex(contents);
  record->bytes = static_cast<int64_t>(contents.size());
  const std::string sums_path = absl::StrCat(folder, "/SHA256SUMS");
  std::string sums_text;
  if (ReadFile(sums_path, &sums_text).ok()) {
    absl::StatusOr<std::map<std::string, std::string>> sums =
        ParseSha256Sums(sums_text, sums_path);
    if (!sums.ok()) return sums.status();
    const auto listed = sums->find(relative);
    if (listed != sums->end() && listed->second != record->sha256) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "data file '%s' has SHA-256 %s, but %s expects %s; the file is damaged or not "
          "the listed copy; %s",
          path, record->sha256, sums_path, listed->second, HowToGetData()));
    }
  }
  return contents;
}

}  // namespace warmup
