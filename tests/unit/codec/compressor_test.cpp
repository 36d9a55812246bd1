// Compressor: bodies compressed piece by piece, flushed mid-stream, and its lifecycle.
#include <algorithm>
#include <random>
#include <utility>

#include <gtest/gtest.h>

#include <wirekit/core/error.hpp>

#include "codec/codec_support.hpp"

namespace wirekit::codec::test {

namespace {

constexpr std::size_t mib = 1 << 20;

class StreamingCompressor : public ::testing::TestWithParam<Encoding> {};

std::string encoding_name(const ::testing::TestParamInfo<Encoding>& info) {
  return to_string(info.param);
}

TEST_P(StreamingCompressor, PiecesOfAnyLengthRoundTrip) {
  const std::string data = repetitive(mib / 2) + random_bytes(mib / 2);
  Compressor compressor(GetParam());
  std::string out;
  std::mt19937 gen(7);
  for (std::size_t at = 0; at < data.size();) {
    const std::size_t n = std::min<std::size_t>(gen() % 70'000, data.size() - at);
    compressor.write(std::string_view(data).substr(at, n), out);
    at += n;
  }
  compressor.finish(out);
  EXPECT_TRUE(same_bytes(decompress(GetParam(), out, mib), data));
}

TEST_P(StreamingCompressor, NothingWrittenIsAValidEmptyBody) {
  Compressor compressor(GetParam());
  std::string out;
  compressor.finish(out);
  if (GetParam() != Encoding::identity) {
    EXPECT_FALSE(out.empty()) << "the stream's end is written";
  }
  EXPECT_EQ(decompress(GetParam(), out, mib), "");
}

TEST_P(StreamingCompressor, FlushedPrefixDecodesAlone) {
  Compressor compressor(GetParam());
  std::string out;
  compressor.write("first part of the body, ", out);
  compressor.flush(out);
  EXPECT_EQ(decode_prefix(GetParam(), out), "first part of the body, ");

  const std::string more = repetitive(300'000);
  compressor.write(more, out);
  compressor.flush(out);
  EXPECT_TRUE(same_bytes(decode_prefix(GetParam(), out), "first part of the body, " + more));

  compressor.flush(out);  // twice in a row: harmless
  compressor.write("end", out);
  compressor.finish(out);
  EXPECT_TRUE(
      same_bytes(decompress(GetParam(), out, mib), "first part of the body, " + more + "end"));
}

TEST_P(StreamingCompressor, MatchesOneShotDecodingAtEveryLevel) {
  const std::string data = repetitive(40'000);
  const int high = GetParam() == Encoding::br ? 11 : GetParam() == Encoding::zstd ? 22 : 12;
  const int low = GetParam() == Encoding::zstd ? 1 : 0;
  for (int level = low; level <= high; ++level) {
    Compressor compressor(GetParam(), level);
    std::string out;
    compressor.write(data, out);
    compressor.finish(out);
    EXPECT_TRUE(same_bytes(decompress(GetParam(), out, mib), data)) << level;
  }
}

TEST_P(StreamingCompressor, UseAfterFinishIsClosed) {
  Compressor compressor(GetParam());
  std::string out;
  compressor.finish(out);
  try {
    compressor.write("late", out);
    FAIL() << "write after finish";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::closed);
    EXPECT_STREQ(e.what(), "Compressor::write after finish() or a move");
  }
  EXPECT_THROW(compressor.flush(out), Error);
  EXPECT_THROW(compressor.finish(out), Error);
}

TEST_P(StreamingCompressor, MovesCarryTheStream) {
  Compressor first(GetParam());
  std::string out;
  first.write("abc", out);
  Compressor second(std::move(first));
  second.write("def", out);
  Compressor third(Encoding::identity);
  third = std::move(second);
  third.write("ghi", out);
  third.finish(out);
  EXPECT_EQ(decompress(GetParam(), out, mib), "abcdefghi");
  EXPECT_THROW(first.write("x", out), Error);  // NOLINT(bugprone-use-after-move): on purpose
}

INSTANTIATE_TEST_SUITE_P(Codec, StreamingCompressor, ::testing::ValuesIn(all_encodings),
                         encoding_name);

TEST(StreamingIdentity, PassesDataThrough) {
  Compressor compressor(Encoding::identity);
  std::string out;
  compressor.write("as ", out);
  compressor.flush(out);
  compressor.write("is", out);
  compressor.finish(out);
  EXPECT_EQ(out, "as is");
}

TEST(StreamingCompressor, AppendsToWhatTheBufferHolds) {
  Compressor compressor(Encoding::gzip);
  std::string out = "HTTP head already here";
  compressor.write("body", out);
  compressor.finish(out);
  ASSERT_TRUE(out.starts_with("HTTP head already here"));
  EXPECT_EQ(decompress(Encoding::gzip, std::string_view(out).substr(22), mib), "body");
}

TEST(StreamingCompressor, InvalidLevelIsRefused) {
  EXPECT_THROW(Compressor(Encoding::gzip, 13), Error);
  EXPECT_THROW(Compressor(Encoding::br, 12), Error);
  EXPECT_THROW(Compressor(Encoding::zstd, 0), Error);
}

}  // namespace

}  // namespace wirekit::codec::test
