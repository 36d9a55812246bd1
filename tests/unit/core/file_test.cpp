#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <wirekit/core/error.hpp>
#include <wirekit/core/file.hpp>

namespace wirekit {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wirekit-file-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(WriteFileAtomically, WritesThenReplacesWholeAndLeavesNoPart) {
  const TempDir dir;
  const fs::path file = dir.path / "out.txt";
  write_file_atomically(file, "first");
  write_file_atomically(file, "second, longer");
  EXPECT_EQ(contents(file), "second, longer");
  EXPECT_FALSE(fs::exists(dir.path / "out.txt.part"));
}

TEST(WriteFileAtomically, CreatesWithTheModeGiven) {
  const TempDir dir;
  const fs::path key = dir.path / "key.pem";
  write_file_atomically(key, "secret", 0600);
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(WriteFileAtomically, AFailureNamesThePartFileAndLeavesNothing) {
  const TempDir dir;
  const fs::path file = dir.path / "missing" / "out.txt";
  try {
    write_file_atomically(file, "data");
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot write " + file.string() + ".part: No such file or directory");
  }
  EXPECT_FALSE(fs::exists(dir.path / "missing"));
}

}  // namespace
}  // namespace wirekit
