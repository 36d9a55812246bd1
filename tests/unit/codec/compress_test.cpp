// compress() and decompress(): round trips, levels, the output limit, and hostile input.
#include <fstream>
#include <optional>
#include <sstream>

#include <gtest/gtest.h>
#include <malloc.h>

#include <wirekit/core/error.hpp>

#include "codec/codec_support.hpp"

namespace wirekit::codec::test {

namespace {

constexpr std::size_t mib = 1 << 20;

// Runs `f`, expecting Error with `code`; returns its message.
template <class F>
std::string error_of(F&& f, errc code) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no Error thrown";
  return {};
}

// A field of /proc/self/status, in bytes.
std::size_t status_bytes(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) {
      std::istringstream value(line.substr(field.size() + 1));
      std::size_t kib = 0;
      value >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

// How far the peak resident memory rose above the current one while `f` ran; std::nullopt
// where the kernel does not let a process reset its peak.
template <class F>
std::optional<std::size_t> peak_memory_growth(F&& f) {
  // Memory freed by earlier tests but kept by malloc would hide new allocations.
  malloc_trim(0);
  if (!(std::ofstream("/proc/self/clear_refs") << "5" << std::flush)) return std::nullopt;
  const std::size_t before = status_bytes("VmRSS:");
  f();
  const std::size_t peak = status_bytes("VmHWM:");
  return peak > before ? peak - before : 0;
}

class CodecRoundTrip : public ::testing::TestWithParam<Encoding> {};

std::string encoding_name(const ::testing::TestParamInfo<Encoding>& info) {
  return to_string(info.param);
}

TEST_P(CodecRoundTrip, Empty) {
  const std::string packed = compress(GetParam(), std::string_view{});
  EXPECT_EQ(decompress(GetParam(), packed, mib), "");
}

TEST_P(CodecRoundTrip, Small) {
  const std::string packed = compress(GetParam(), "hello, world");
  EXPECT_EQ(decompress(GetParam(), packed, mib), "hello, world");
}

TEST_P(CodecRoundTrip, OneMebibyteRandom) {
  const std::string data = random_bytes(mib);
  const std::string packed = compress(GetParam(), data);
  EXPECT_LE(packed.size(), data.size() + data.size() / 100 + 64)
      << "incompressible data barely grows";
  EXPECT_TRUE(same_bytes(decompress(GetParam(), packed, mib), data));
}

TEST_P(CodecRoundTrip, OneMebibyteRepetitive) {
  const std::string data = repetitive(mib);
  const std::string packed = compress(GetParam(), data);
  if (GetParam() != Encoding::identity) {
    EXPECT_LT(packed.size(), data.size() / 5);
  }
  EXPECT_TRUE(same_bytes(decompress(GetParam(), packed, mib), data));
}

TEST_P(CodecRoundTrip, ByteValuesAndBinaryData) {
  std::string data;
  for (int i = 0; i < 4096; ++i) data += static_cast<char>(i * 37);
  data += std::string(1000, '\0');
  EXPECT_TRUE(same_bytes(decompress(GetParam(), compress(GetParam(), data), mib), data));
}

TEST_P(CodecRoundTrip, OutputUpToTheLimitIsAccepted) {
  const std::string data = repetitive(100'000);
  const std::string packed = compress(GetParam(), data);
  EXPECT_TRUE(same_bytes(decompress(GetParam(), packed, data.size()), data));
}

TEST_P(CodecRoundTrip, OneByteOverTheLimitIsRefused) {
  const std::string data = repetitive(100'000);
  const std::string packed = compress(GetParam(), data);
  const std::string message =
      error_of([&] { decompress(GetParam(), packed, data.size() - 1); }, errc::limit_exceeded);
  EXPECT_EQ(message, "decompressed body exceeds 99999 bytes");
  error_of([&] { decompress(GetParam(), packed, 0); }, errc::limit_exceeded);
}

TEST_P(CodecRoundTrip, EmptyBodyDecodesToEmpty) {
  EXPECT_EQ(decompress(GetParam(), std::string_view{}, 0), "");
}

TEST_P(CodecRoundTrip, SpanAndStringViewOverloadsAgree) {
  const std::string data = repetitive(5000);
  const std::string packed = compress(GetParam(), bytes(data), -1);
  EXPECT_EQ(packed, compress(GetParam(), data));
  EXPECT_TRUE(same_bytes(decompress(GetParam(), bytes(packed), mib), data));
}

INSTANTIATE_TEST_SUITE_P(Codec, CodecRoundTrip, ::testing::ValuesIn(all_encodings), encoding_name);

class CodecCompressed : public ::testing::TestWithParam<Encoding> {};

// The history a decoder keeps for a body compressed by compress() at the default level: 32 KiB
// for DEFLATE, brotli's default window of 4 MiB, zstd's 2 MiB at level 3.
std::size_t decoder_window(Encoding e) {
  switch (e) {
    case Encoding::br:
      return 4 * mib;
    case Encoding::zstd:
      return 2 * mib;
    default:
      return std::size_t{32} * 1024;
  }
}

TEST_P(CodecCompressed, DecompressionBombStopsAtTheLimit) {
  const std::string zeros(10'000'000, '\0');  // NOLINT(bugprone-string-constructor): a bomb
  const std::string bomb = compress(GetParam(), zeros);
  ASSERT_LT(bomb.size(), 100'000u);
  std::string message;
  const auto growth = peak_memory_growth([&] {
    message = error_of([&] { decompress(GetParam(), bomb, mib); }, errc::limit_exceeded);
  });
  EXPECT_EQ(message, "decompressed body exceeds 1048576 bytes");
  if (!growth) GTEST_SKIP() << "/proc/self/clear_refs cannot reset the peak RSS here";
#if defined(__SANITIZE_ADDRESS__)
  // Shadow memory and redzones inflate RSS by a factor: the bound holds for real builds only.
  GTEST_SKIP() << "ASan's shadow memory makes RSS no measure of the decoder's own";
#endif
  // Decoding it all would take the 10 MB it expands to, and its window. Stopping at the limit
  // takes the window, the output and, while the output buffer grows, its previous copy.
  EXPECT_LT(*growth, decoder_window(GetParam()) + 4 * mib)
      << "peak RSS grew by " << *growth << " bytes";
}

TEST_P(CodecCompressed, TruncatedBodiesAreProtocolErrors) {
  const std::string packed = compress(GetParam(), repetitive(200'000));
  for (std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{10},
                        packed.size() / 2, packed.size() - 4, packed.size() - 1}) {
    const std::string message =
        error_of([&] { decompress(GetParam(), std::string_view(packed).substr(0, n), mib); },
                 errc::protocol_error);
    EXPECT_TRUE(message.starts_with(std::string("invalid ") + to_string(GetParam()) + " data: "))
        << message;
  }
}

TEST_P(CodecCompressed, GarbageIsAProtocolError) {
  for (const std::string_view garbage :
       {std::string_view("this is not compressed at all"),
        std::string_view("\xff\xff\xff\xff\xff\xff"),
        std::string_view("\x1f\x8b\x08\x00garbage-after-a-gzip-magic")}) {
    const std::string message =
        error_of([&] { decompress(GetParam(), garbage, mib); }, errc::protocol_error);
    EXPECT_TRUE(message.starts_with(std::string("invalid ") + to_string(GetParam()) + " data: "))
        << message;
  }
}

TEST_P(CodecCompressed, CorruptBodiesNeverCrash) {
  // Brotli and zstd (without its optional checksum) cannot detect every corruption, so a
  // corrupt body may decode to other bytes; it must never crash or pass the limit.
  const std::string packed = compress(GetParam(), repetitive(50'000));
  for (std::size_t at = 0; at < packed.size(); at += 7) {
    for (const int flip : {0x01, 0x80, 0xff}) {
      std::string corrupt = packed;
      corrupt[at] = static_cast<char>(corrupt[at] ^ flip);
      try {
        EXPECT_LE(decompress(GetParam(), corrupt, 100'000).size(), 100'000u);
      } catch (const Error& e) {
        EXPECT_TRUE(e.code() == errc::protocol_error || e.code() == errc::limit_exceeded)
            << e.what();
      }
    }
  }
}

TEST_P(CodecCompressed, DataAfterTheEndIsAProtocolError) {
  const std::string packed = compress(GetParam(), "body") + "trailing junk";
  error_of([&] { decompress(GetParam(), packed, mib); }, errc::protocol_error);
}

TEST_P(CodecCompressed, EveryLevelRoundTrips) {
  const std::string data = repetitive(std::size_t{64} * 1024) + random_bytes(4096);
  const int high = GetParam() == Encoding::br ? 11 : GetParam() == Encoding::zstd ? 22 : 12;
  const int low = GetParam() == Encoding::zstd ? 1 : 0;
  for (int level = low; level <= high; ++level) {
    EXPECT_TRUE(same_bytes(decompress(GetParam(), compress(GetParam(), data, level), mib), data))
        << level;
  }
}

TEST_P(CodecCompressed, LevelsOutOfRangeAreInvalidArguments) {
  const int high = GetParam() == Encoding::br ? 11 : GetParam() == Encoding::zstd ? 22 : 12;
  for (const int level : {-2, high + 1}) {
    const std::string message =
        error_of([&] { compress(GetParam(), "x", level); }, errc::invalid_argument);
    EXPECT_TRUE(message.starts_with(std::string("invalid ") + to_string(GetParam()) +
                                    " compression level " + std::to_string(level) + ": "))
        << message;
  }
}

INSTANTIATE_TEST_SUITE_P(Codec, CodecCompressed, ::testing::ValuesIn(compressing_encodings),
                         encoding_name);

TEST(CodecIdentity, ReturnsTheInputUnderTheLimit) {
  EXPECT_EQ(compress(Encoding::identity, "abc"), "abc");
  EXPECT_EQ(decompress(Encoding::identity, "abc", 3), "abc");
  EXPECT_EQ(error_of([] { decompress(Encoding::identity, "abcd", 3); }, errc::limit_exceeded),
            "decompressed body exceeds 3 bytes");
}

TEST(CodecChecksums, GzipAndDeflateDetectCorruption) {
  for (const Encoding e : {Encoding::gzip, Encoding::deflate}) {
    std::string packed = compress(e, repetitive(50'000));
    packed[packed.size() / 2] = static_cast<char>(packed[packed.size() / 2] ^ 0x10);
    error_of([&] { decompress(e, packed, mib); }, errc::protocol_error);
  }
}

TEST(CodecGzip, ConcatenatedMembersDecodeFully) {
  const std::string two = compress(Encoding::gzip, "hello, ") + compress(Encoding::gzip, "world");
  EXPECT_EQ(decompress(Encoding::gzip, two, mib), "hello, world");
  const std::string big = repetitive(300'000);
  std::string many;
  for (int i = 0; i < 5; ++i) many += compress(Encoding::gzip, big);
  EXPECT_TRUE(
      same_bytes(decompress(Encoding::gzip, many, 5 * big.size()), big + big + big + big + big));
  error_of([&] { decompress(Encoding::gzip, many, 5 * big.size() - 1); }, errc::limit_exceeded);
}

TEST(CodecGzip, AnEmptyMemberAmongOthers) {
  const std::string members =
      compress(Encoding::gzip, "a") + compress(Encoding::gzip, "") + compress(Encoding::gzip, "b");
  EXPECT_EQ(decompress(Encoding::gzip, members, mib), "ab");
}

TEST(CodecGzip, TruncatedSecondMemberIsAProtocolError) {
  const std::string second = compress(Encoding::gzip, "second");
  const std::string body = compress(Encoding::gzip, "first") + second.substr(0, 12);
  EXPECT_EQ(error_of([&] { decompress(Encoding::gzip, body, mib); }, errc::protocol_error),
            "invalid gzip data: truncated");
}

TEST(CodecGzip, WrongMagicNamesTheCause) {
  EXPECT_EQ(
      error_of([] { decompress(Encoding::gzip, "not gzip at all", mib); }, errc::protocol_error),
      "invalid gzip data: incorrect header check");
}

TEST(CodecDeflate, IsTheZlibFormat) {
  const std::string packed = compress(Encoding::deflate, "zlib wrapped");
  ASSERT_GE(packed.size(), 2u);
  EXPECT_EQ(packed[0], '\x78') << "a zlib header: deflate with a 32 KiB window";
  EXPECT_EQ(
      (static_cast<unsigned char>(packed[0]) * 256 + static_cast<unsigned char>(packed[1])) % 31,
      0);
}

TEST(CodecDeflate, RawDeflateIsAcceptedAsBrowsersDo) {
  for (const std::string& data : {std::string("raw"), repetitive(500'000), random_bytes(70'000)}) {
    EXPECT_TRUE(same_bytes(decompress(Encoding::deflate, raw_deflate(data), mib), data));
  }
  error_of([] { decompress(Encoding::deflate, raw_deflate(repetitive(10'000)), 9'999); },
           errc::limit_exceeded);
}

TEST(CodecZstd, ConcatenatedFramesDecodeFully) {
  const std::string two = compress(Encoding::zstd, "hello, ") + compress(Encoding::zstd, "world");
  EXPECT_EQ(decompress(Encoding::zstd, two, mib), "hello, world");
}

TEST(CodecZstd, StatedContentSizeStillMeetsTheLimit) {
  // The frame header states the decoded size, which sizes the output buffer: never past the
  // limit.
  const std::string packed = compress(Encoding::zstd, std::string(5000, 'z'));
  EXPECT_EQ(decompress(Encoding::zstd, packed, 5000), std::string(5000, 'z'));
  error_of([&] { decompress(Encoding::zstd, packed, 4999); }, errc::limit_exceeded);
}

TEST(CodecZstd, WindowsOverEightMebibytesAreRefused) {
  // A frame header (RFC 8878 §3.1.1.1) asking for a 16 MiB window: magic, a descriptor with
  // no content size and no single-segment flag, then Window_Descriptor exponent 14 (2^(10+14)).
  const std::string header("\x28\xb5\x2f\xfd\x00\x70", 6);
  EXPECT_EQ(error_of([&] { decompress(Encoding::zstd, header + std::string(16, '\0'), mib); },
                     errc::limit_exceeded),
            "zstd body needs a window over 8 MiB (RFC 9659 limit)");
}

TEST(CodecBrotli, ErrorsNameTheCause) {
  const std::string message =
      error_of([] { decompress(Encoding::br, "\xff\xff\xff\xff", mib); }, errc::protocol_error);
  EXPECT_TRUE(message.starts_with("invalid br data: ")) << message;
  EXPECT_EQ(message.find('_'), std::string::npos) << message;
}

}  // namespace

}  // namespace wirekit::codec::test
