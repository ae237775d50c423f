#include <cstdlib>
#include <filesystem>
#include <set>

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
  auto missing = LoadCifar10(dir, true, 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("data_batch_1.bin' is missing"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomically(dir + "/cifar10/data_batch_1.bin", Records(4)).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/SHA256SUMS",
                                  std::string(64, '0') + "  cifar10/data_batch_1.bin\n").ok());
  auto mismatch = LoadCifar10(dir, true, 0);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("SHA256SUMS expects"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomically(dir + "/SHA256SUMS",
                                  Sha256Hex(Records(4)) + "  cifar10/data_batch_1.bin\n").ok());
  auto ok = LoadCifar10(dir, true, 0);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->size(), 4);
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
TEST(RealDataTest, SharedCopiesLoadWithTheirDocumentedShape) {
  auto folder = ResolveDataFolder("");
  ASSERT_TRUE(folder.ok()) << folder.status();
  auto train = LoadCifar10(*folder, true, 0);
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->size() % 10000, 0);
  const at::Tensor counts = at::bincount(train->labels, {}, 10);
  EXPECT_GE(counts.min().item<int64_t>(), train->size() / 10 - 60 * (train->size() / 10000));
  auto test = LoadCifar10(*folder, false, 0);
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(test->size(), 10000);
  auto text = LoadTinyShakespeare(*folder);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->vocab_size(), 65);
  EXPECT_EQ(text->train.size(0) + text->validation.size(0), 1115394);
}

}  // namespace
}  // namespace warmup
