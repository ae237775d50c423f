#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "gtest/gtest.h"
#include "lib/io/markdown.h"
#include "lib/io/output_batch.h"
#include "lib/io/provenance.h"
#include "lib/io/result_files.h"
#include "lib/io/sha256.h"

namespace warmup {
namespace {

std::string TempDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t != nullptr ? t : std::filesystem::temp_directory_path().string();
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(std::string(1000, 'a')),
            "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST(OutputBatchTest, CommitsEveryFileAndLeavesNoTemporaries) {
  const std::string dir = TempDir() + "/batch";
  OutputBatch batch;
  batch.Add("a.txt", "alpha");
  batch.Add("b.csv", "x,y\n1,2\n");
  ASSERT_TRUE(batch.Commit(dir).ok());
  std::string a;
  ASSERT_TRUE(ReadFile(dir + "/a.txt", &a).ok());
  EXPECT_EQ(a, "alpha");
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos);
    ++n;
  }
  EXPECT_EQ(n, 3);  // a.txt, b.csv and the marker
  EXPECT_TRUE(std::filesystem::exists(dir + "/" + kOutputMarker));
}

// Sorted relative paths of the files under `dir`.
std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      files.push_back(std::filesystem::relative(e.path(), dir).string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A commit replaces the folder's previous contents as a whole: old outputs
// go, checkpoints (what --resume needs) stay, and nothing is left beside it.
TEST(OutputBatchTest, CommitReplacesTheFolderKeepingCheckpoints) {
  const std::string root = TempDir() + "/replace";
  const std::string dir = root + "/out";
  std::filesystem::create_directories(dir + "/checkpoints/sgd");
  std::filesystem::create_directories(dir + "/part/checkpoints/run");
  ASSERT_TRUE(WriteFileAtomically(dir + "/old__gap.csv", "stale").ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/result.textproto", "old").ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/checkpoints/sgd/last.pt", "weights").ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/part/checkpoints/run/last.pt", "w2").ok());
  OutputBatch batch;
  batch.Add("result.textproto", "new");
  batch.Add("new__gap.csv", "1,2\n");
  ASSERT_TRUE(batch.Commit(dir).ok());
  EXPECT_EQ(FilesUnder(dir),
            (std::vector<std::string>{".warmup-output", "checkpoints/sgd/last.pt",
                                      "new__gap.csv", "part/checkpoints/run/last.pt",
                                      "result.textproto"}));
  std::string text;
  ASSERT_TRUE(ReadFile(dir + "/result.textproto", &text).ok());
  EXPECT_EQ(text, "new");
  ASSERT_TRUE(ReadFile(dir + "/checkpoints/sgd/last.pt", &text).ok());
  EXPECT_EQ(text, "weights");
  EXPECT_EQ(FilesUnder(root).size(), 5u);  // no staging folder left beside it
  // A first commit (no folder yet) and a second one both work.
  ASSERT_TRUE(batch.Commit(root + "/fresh").ok());
  ASSERT_TRUE(batch.Commit(root + "/fresh/").ok());
  EXPECT_EQ(FilesUnder(root + "/fresh"),
            (std::vector<std::string>{".warmup-output", "new__gap.csv", "result.textproto"}));
}

// A folder that is not an earlier output (the user's own files) is never
// replaced; one holding only checkpoints (a first run killed early) is.
TEST(OutputBatchTest, FolderOfOtherFilesIsNotReplaced) {
  const std::string dir = TempDir() + "/users_folder";
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WriteFileAtomically(dir + "/notes.txt", "mine").ok());
  OutputBatch batch;
  batch.Add("result.textproto", "new");
  const absl::Status st = batch.Commit(dir);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("holds 'notes.txt' and is not an output"), std::string::npos)
      << st;
  EXPECT_EQ(FilesUnder(dir), (std::vector<std::string>{"notes.txt"}));
  const std::string killed = TempDir() + "/killed_first_run";
  std::filesystem::create_directories(killed + "/checkpoints/sgd");
  ASSERT_TRUE(WriteFileAtomically(killed + "/checkpoints/sgd/last.pt", "w").ok());
  ASSERT_TRUE(batch.Commit(killed).ok());
  EXPECT_EQ(FilesUnder(killed), (std::vector<std::string>{".warmup-output",
                                                          "checkpoints/sgd/last.pt",
                                                          "result.textproto"}));
}

// A staging folder of a process that no longer exists is removed; one of a
// live process (here: this one's parent) is left alone.
TEST(OutputBatchTest, StagingFoldersOfDeadProcessesAreRemoved) {
  const std::string root = TempDir() + "/stale";
  const std::string dead = root + "/.out.staging-999999999";
  const std::string live = root + "/.out.staging-" + std::to_string(getppid());
  std::filesystem::create_directories(dead);
  std::filesystem::create_directories(live);
  OutputBatch batch;
  batch.Add("a.txt", "a");
  ASSERT_TRUE(batch.Commit(root + "/out").ok());
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(live));
}

TEST(OutputBatchTest, UnwritableFolderIsAnError) {
  const std::string file = TempDir() + "/plain_file";
  ASSERT_TRUE(WriteFileAtomically(file, "x").ok());
  const absl::Status st = EnsureWritableDirectory(file + "/sub");
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("plain_file/sub"), std::string::npos);
}

TEST(ResultFilesTest, TablesAndSeriesFiles) {
  spec::Result r;
  auto* t = r.add_tables();
  t->set_name("speedup");
  t->add_columns("T");
  t->add_columns("ratio");
  auto* row = t->add_rows();
  row->add_cells("10");
  row->add_cells("9.5");
  EXPECT_EQ(TableMarkdown(*t), "| T | ratio |\n| --- | --- |\n| 10 | 9.5 |\n");
  EXPECT_EQ(TableCsv(*t), "T,ratio\n10,9.5\n");
  // Cells with commas, quotes or line breaks are quoted (RFC 4180).
  auto* text = t->add_rows();
  text->add_cells("not identified (flat, 4%)");
  text->add_cells("say \"no\"\nthen");
  EXPECT_EQ(TableCsv(*t),
            "T,ratio\n10,9.5\n\"not identified (flat, 4%)\",\"say \"\"no\"\"\nthen\"\n");
  auto* s = r.add_series();
  s->set_run("theory/seed1");
  s->set_metric("gap");
  s->set_x_name("step");
  s->add_x(0);
  s->add_y(0.5);
  OutputBatch batch;
  ASSERT_TRUE(AddResultFiles(r, &batch).ok());
  std::vector<std::string> names;
  for (const auto& [name, contents] : batch.files()) names.push_back(name);
  EXPECT_NE(std::find(names.begin(), names.end(), "theory-seed1__gap.csv"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "result.json"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "speedup.md"), names.end());
}

// A cell holding a pipe or a line break stays one cell of one row; a short
// row is padded to the header's width.
TEST(MarkdownTest, CellsCannotBreakTheTable) {
  EXPECT_EQ(MarkdownTable({"a", "b|c"}, {{"x|y", "line 1\nline 2"}, {"only"}}),
            "| a | b\\|c |\n| --- | --- |\n| x\\|y | line 1 line 2 |\n| only |  |\n");
}

// Paths never reach a stored command line, absolute (this test's own
// temporary folder) or relative; everything else is kept as typed.
TEST(ProvenanceTest, PortableCommandLineHidesPaths) {
  EXPECT_EQ(PortableCommandLine("bazel run //:reproduce --",
                                {"--tier=cpu", "--out=" + ::testing::TempDir() + "x",
                                 "--data_dir=data", "--threads=1"}),
            "bazel run //:reproduce -- --tier=cpu --out=<path> --data_dir=<path> --threads=1");
  EXPECT_EQ(PortableCommandLine("run", {}), "run");
}

}  // namespace
}  // namespace warmup
