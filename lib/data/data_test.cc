#include <cstdlib>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/data/char_corpus.h"
#include "lib/data/cifar10.h"
#include "lib/data/data_folder.h"
#include "lib/io/output_batch.h"
#include "lib/io/sha256.h"

namespace warmup {
namespace {

std::string Temp(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  const std::string dir = (t ? std::string(t) : std::string("/tmp")) + "/" + name;
  std::filesystem::create_directories(dir);
  return dir;
}

std::string Records(int n) {
  std::string bytes;
  for (int i = 0; i < n; ++i) {
    bytes.push_back(static_cast<char>(i % 10));
    for (int p = 0; p < 3072; ++p) bytes.push_back(static_cast<char>((p + i) % 256));
  }
  return bytes;
}

TEST(Cifar10Test, ParsesRecordsInTheOfficialLayout) {
  auto d = ParseCifar10(Records(3), "mem");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->size(), 3);
  EXPECT_EQ(d->labels[2].item<int64_t>(), 2);
  // Channel-major: byte 1024 of record 0 is G[0][0].
  EXPECT_EQ(d->images[0][1][0][0].item<uint8_t>(), 1024 % 256);
}

TEST(Cifar10Test, RejectsPartialRecordsAndBadLabels) {
  auto partial = ParseCifar10(Records(2) + "xyz", "file.bin");
  ASSERT_FALSE(partial.ok());
  EXPECT_NE(partial.status().message().find("not a whole number of 3,073-byte"),
            std::string::npos);
  EXPECT_NE(partial.status().message().find("download_data.sh"), std::string::npos);
  std::string bad = Records(1);
  bad[0] = 12;
  EXPECT_FALSE(ParseCifar10(bad, "file.bin").ok());
}

TEST(DataFolderTest, MissingFileAndChecksumMismatch) {
  const std::string dir = Temp("data");
  std::filesystem::create_directories(dir + "/cifar10");
  auto missing = LoadCifar10(dir, true, 4);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("data_batch_1.bin' is missing"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomically(dir + "/cifar10/data_batch_1.bin", Records(4)).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/SHA256SUMS",
                                  std::string(64, '0') + "  cifar10/data_batch_1.bin\n").ok());
  auto mismatch = LoadCifar10(dir, true, 4);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("SHA256SUMS expects"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomically(dir + "/SHA256SUMS",
                                  Sha256Hex(Records(4)) + "  cifar10/data_batch_1.bin\n").ok());
  auto ok = LoadCifar10(dir, true, 4);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->size(), 4);
  ASSERT_EQ(ok->files.size(), 1u);
  EXPECT_EQ(ok->files[0].path, "cifar10/data_batch_1.bin");
  EXPECT_EQ(ok->files[0].sha256, Sha256Hex(Records(4)));
  EXPECT_EQ(ok->files[0].bytes, 4 * 3073);
}

// A SHA256SUMS line that is not "<64 hex>  <path>" stops the read, naming
// the line, even when the file being read is listed correctly elsewhere.
TEST(DataFolderTest, MalformedChecksumFileIsAnErrorNamingItsLine) {
  const std::string dir = Temp("garbage_sums");
  std::filesystem::create_directories(dir + "/cifar10");
  ASSERT_TRUE(WriteFileAtomically(dir + "/cifar10/data_batch_1.bin", Records(2)).ok());
  const std::string good = Sha256Hex(Records(2)) + "  cifar10/data_batch_1.bin\n";
  for (const std::string& garbage :
       {std::string("this is not a checksum line\n"), std::string(63, 'a') + "  x.bin\n",
        std::string(64, 'g') + "  x.bin\n", std::string(64, 'a') + "\n",
        std::string(64, 'a') + " x.bin\n"}) {
    ASSERT_TRUE(WriteFileAtomically(dir + "/SHA256SUMS", good + "\n" + garbage).ok());
    auto read = LoadCifar10(dir, true, 2);
    ASSERT_FALSE(read.ok()) << garbage;
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(read.status().message().find("SHA256SUMS line 3: expected"), std::string::npos)
        << read.status();
  }
  ASSERT_TRUE(WriteFileAtomically(dir + "/SHA256SUMS", good + good).ok());
  auto twice = LoadCifar10(dir, true, 2);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("line 2: 'cifar10/data_batch_1.bin' is listed twice"),
            std::string::npos)
      << twice.status();
  ASSERT_TRUE(WriteFileAtomically(dir + "/SHA256SUMS", good + "\r\n").ok());
  EXPECT_TRUE(LoadCifar10(dir, true, 2).ok());
}

// A folder with some of the five training batches serves a request for no
// more records than the batches it has, in order; asking for all (0) or for
// more needs the missing batch, which the error names.
TEST(DataFolderTest, PartialTrainingFolderServesOnlyWhatItHolds) {
  const std::string dir = Temp("partial");
  std::filesystem::create_directories(dir + "/cifar10");
  for (int b = 1; b <= 2; ++b) {
    ASSERT_TRUE(WriteFileAtomically(
        absl::StrCat(dir, "/cifar10/data_batch_", b, ".bin"), Records(4)).ok());
  }
  auto first = LoadCifar10(dir, true, 3);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size(), 3);
  EXPECT_EQ(first->files.size(), 1u);  // the second batch is not read
  auto both = LoadCifar10(dir, true, 8);
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->size(), 8);
  ASSERT_EQ(both->files.size(), 2u);
  EXPECT_EQ(both->files[1].path, "cifar10/data_batch_2.bin");
  for (int64_t asked : {int64_t{0}, int64_t{9}}) {
    auto more = LoadCifar10(dir, true, asked);
    ASSERT_FALSE(more.ok()) << asked;
    EXPECT_EQ(more.status().code(), absl::StatusCode::kNotFound);
    EXPECT_NE(more.status().message().find("data_batch_3.bin' is missing"), std::string::npos)
        << more.status();
    EXPECT_NE(more.status().message().find(absl::StrCat("train_examples = ", asked)),
              std::string::npos)
        << more.status();
  }
  for (int b = 3; b <= 5; ++b) {
    ASSERT_TRUE(WriteFileAtomically(
        absl::StrCat(dir, "/cifar10/data_batch_", b, ".bin"), Records(4)).ok());
  }
  auto all = LoadCifar10(dir, true, 0);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 20);
  EXPECT_EQ(all->files.size(), 5u);
  auto too_many = LoadCifar10(dir, true, 21);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_many.status().message().find("hold 20 records"), std::string::npos)
      << too_many.status();
}

TEST(Cifar10Test, BatchIsNormalisedAndAugmentationKeepsShape) {
  auto d = ParseCifar10(Records(8), "mem");
  ASSERT_TRUE(d.ok());
  std::mt19937_64 rng(1);
  const at::Tensor plain = CifarBatch(*d, {0, 1, 2}, false, rng);
  EXPECT_EQ(plain.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
  const float r = d->images[0][0][0][0].item<uint8_t>() / 255.0f;
  EXPECT_NEAR(plain[0][0][0][0].item<float>(), (r - 0.4914f) / 0.2023f, 1e-5);
  const at::Tensor aug = CifarBatch(*d, {0, 1, 2}, true, rng);
  EXPECT_EQ(aug.sizes(), plain.sizes());
}

TEST(CharCorpusTest, VocabularySplitAndWindows) {
  auto c = BuildCharCorpus(std::string(100, 'a') + std::string(100, 'b'), 0.1);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->vocabulary, "ab");
  EXPECT_EQ(c->train.size(0), 180);
  EXPECT_EQ(c->validation.size(0), 20);
  std::mt19937_64 rng(0);
  auto [x, y] = SampleWindows(c->train, 4, 8, rng);
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{4, 8}));
  EXPECT_TRUE(at::equal(x.slice(1, 1), y.slice(1, 0, 7)));  // y is x shifted
  EXPECT_FALSE(BuildCharCorpus("short", 0.1).ok());
}

// The real data sets, from the data folder (tools/test.sh and CI set it).
// The folder may hold the first training batch only (the cpu and smoke
// tiers read at most 10,000 records); reading all records then fails naming
// the second batch.
TEST(RealDataTest, SharedCopiesLoadWithTheirDocumentedShape) {
  auto folder = ResolveDataFolder("");
  ASSERT_TRUE(folder.ok()) << folder.status();
  auto first = LoadCifar10(*folder, true, 10000);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size(), 10000);
  ASSERT_EQ(first->files.size(), 1u);
  EXPECT_EQ(first->files[0].bytes, 10000 * 3073);
  // Each class holds 10% of a batch, +-60 records.
  const at::Tensor counts = at::bincount(first->labels, {}, 10);
  EXPECT_GE(counts.min().item<int64_t>(), 1000 - 60);
  EXPECT_LE(counts.max().item<int64_t>(), 1000 + 60);
  auto all = LoadCifar10(*folder, true, 0);
  if (std::filesystem::exists(*folder + "/cifar10/data_batch_5.bin")) {
    ASSERT_TRUE(all.ok()) << all.status();
    EXPECT_EQ(all->size(), 50000);
  } else {
    ASSERT_FALSE(all.ok());
    EXPECT_EQ(all.status().code(), absl::StatusCode::kNotFound);
    EXPECT_NE(all.status().message().find("is missing"), std::string::npos);
  }
  auto test = LoadCifar10(*folder, false, 0);
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(test->size(), 10000);
  auto text = LoadTinyShakespeare(*folder);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->vocab_size(), 65);
  EXPECT_EQ(text->train.size(0) + text->validation.size(0), 1115394);
  ASSERT_EQ(text->files.size(), 1u);
  EXPECT_EQ(text->files[0].sha256,
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed");
}

}  // namespace
}  // namespace warmup
