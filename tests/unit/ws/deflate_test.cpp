// permessage-deflate's engine: the RFC 7692 §7.2.3 examples, round trips with and without
// context takeover at several window sizes, the inflated-size limit against a bomb, and
// corrupt or truncated data.
#include <chrono>
#include <random>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include <wirekit/core/error.hpp>
#include <wirekit/ws/deflate.hpp>

namespace {

using wirekit::ws::Compressor;
using wirekit::ws::Decompressor;
using Result = Decompressor::Result;
using namespace std::literals;

std::string hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : s) {
    if (!out.empty()) out += ' ';
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

std::string compressed(Compressor& c, std::string_view message) {
  std::string out;
  c.compress(message, out);
  return out;
}

std::string inflated(Decompressor& d, std::string_view data, std::size_t max_out = 1 << 24) {
  std::string out;
  EXPECT_EQ(d.decompress(data, true, out, max_out), Result::ok);
  return out;
}

// Text that compresses, with repeats at distances up to `span` bytes.
std::string sample(std::size_t size, std::size_t span = 40000) {
  std::mt19937 rng(7);
  std::string words;
  for (std::size_t i = 0; i < span / 8 + 1; ++i)
    words += "w" + std::to_string(rng() % 100000) + " ";
  std::string out;
  while (out.size() < size) out += words.substr(rng() % (words.size() / 2), 600);
  out.resize(size);
  return out;
}

TEST(Deflate, CompressesHelloAsRfc7692Shows) {  // RFC 7692 §7.2.3.1
  Compressor c(15, false);
  EXPECT_EQ(hex(compressed(c, "Hello")), "f2 48 cd c9 c9 07 00");
}

TEST(Deflate, SecondHelloRefersToTheFirstWithContextTakeover) {  // RFC 7692 §7.2.3.2
  Compressor c(15, false);
  (void)compressed(c, "Hello");
  EXPECT_EQ(hex(compressed(c, "Hello")), "f2 00 11 00 00");
  Decompressor d(15, false);
  EXPECT_EQ(inflated(d, "\xf2\x48\xcd\xc9\xc9\x07\x00"sv), "Hello");
  EXPECT_EQ(inflated(d, "\xf2\x00\x11\x00\x00"sv), "Hello");
}

TEST(Deflate, NoContextTakeoverCompressesEachMessageAlike) {
  Compressor c(15, true);
  EXPECT_EQ(hex(compressed(c, "Hello")), "f2 48 cd c9 c9 07 00");
  EXPECT_EQ(hex(compressed(c, "Hello")), "f2 48 cd c9 c9 07 00");
}

TEST(Deflate, InflatesTheRfcExamplesOfOtherBlockTypes) {
  Decompressor d(15, true);
  // §7.2.3.3: a block with BFINAL set.
  EXPECT_EQ(inflated(d, "\xf3\x48\xcd\xc9\xc9\x07\x00"sv), "Hello");
  // §7.2.3.4: the message in two stored blocks.
  EXPECT_EQ(inflated(d, "\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00"sv), "Hello");
  // §7.2.3.6: an empty message.
  EXPECT_EQ(inflated(d, "\x00"sv), "");
}

TEST(Deflate, DecompressesFrameByFrame) {
  Compressor c(15, false);
  const std::string wire = compressed(c, "Hello, fragmented world");
  Decompressor d(15, false);
  std::string out;
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    ASSERT_EQ(d.decompress(wire.substr(i, 1), false, out, 100), Result::ok);
  }
  ASSERT_EQ(d.decompress(wire.substr(wire.size() - 1), true, out, 100), Result::ok);
  EXPECT_EQ(out, "Hello, fragmented world");
}

TEST(Deflate, RoundTripsWithContextTakeoverAtWindow9And15) {
  for (const int bits : {9, 15}) {
    Compressor c(bits, false);
    Decompressor d(bits, false);
    for (int i = 0; i < 5; ++i) {
      const std::string message = sample(10000 + static_cast<std::size_t>(i) * 3000);
      EXPECT_EQ(inflated(d, compressed(c, message)), message) << bits << " " << i;
    }
    // The window carries over: a repeated message costs a few bytes.
    const std::string message = sample(200, 200);
    (void)inflated(d, compressed(c, message));
    EXPECT_LT(compressed(c, message).size(), 12U);
  }
}

TEST(Deflate, RoundTripsWithoutContextTakeover) {
  for (const int bits : {9, 12, 15}) {
    Compressor c(bits, true);
    Decompressor d(bits, true);
    for (int i = 0; i < 3; ++i) {
      const std::string message = sample(5000);
      const std::string wire = compressed(c, message);
      EXPECT_EQ(inflated(d, wire), message);
      EXPECT_EQ(compressed(c, message), wire);  // nothing carried over
    }
  }
}

TEST(Deflate, RoundTripsEmptyAndIncompressibleMessages) {
  Compressor c(15, false);
  Decompressor d(15, false);
  EXPECT_EQ(inflated(d, compressed(c, "")), "");
  std::mt19937 rng(1);
  std::string noise(100000, '\0');
  for (auto& ch : noise) ch = static_cast<char>(rng());
  EXPECT_EQ(inflated(d, compressed(c, noise)), noise);
}

TEST(Deflate, Window8CompressesWith9AndInflatesItsOwnOutput) {
  // zlib has no raw deflater with a window of 8 bits, so the compressor uses 9 and the
  // decompressor accepts what it makes: repeats 300 bytes back, beyond a window of 256.
  Compressor c(8, false);
  Decompressor d(8, false);
  const std::string message = sample(20000, 300);
  EXPECT_EQ(inflated(d, compressed(c, message)), message);
  EXPECT_EQ(inflated(d, compressed(c, message)), message);
}

TEST(Deflate, RejectsWindowBitsOutOfRange) {
  EXPECT_THROW(Compressor(7, false), wirekit::Error);
  EXPECT_THROW(Compressor(16, false), wirekit::Error);
  EXPECT_THROW(Compressor(15, false, 10), wirekit::Error);
  EXPECT_THROW(Decompressor(7, false), wirekit::Error);
  EXPECT_THROW(Decompressor(16, false), wirekit::Error);
}

TEST(Deflate, StopsABombAtTheLimitQuickly) {
  Compressor c(15, true);
  const std::string zeros(100 << 20, '\0');
  const std::string bomb = compressed(c, zeros);
  ASSERT_LT(bomb.size(), 200U * 1024);
  Decompressor d(15, true);
  std::string out;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(d.decompress(bomb, true, out, 1 << 20), Result::too_big);
  EXPECT_LE(out.size(), 1U << 20);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(Deflate, TheLimitCountsWhatOneCallAppends) {
  Compressor c(15, true);
  const std::string wire = compressed(c, std::string(1000, 'a'));
  Decompressor d(15, true);
  std::string out = "prefix";
  EXPECT_EQ(d.decompress(wire, true, out, 1000), Result::ok);
  EXPECT_EQ(out, "prefix" + std::string(1000, 'a'));
  std::string small;
  EXPECT_EQ(d.decompress(wire, true, small, 999), Result::too_big);
  EXPECT_EQ(small.size(), 999U);
}

TEST(Deflate, ReportsCorruptData) {
  Decompressor d(15, false);
  std::string out;
  // Block type 3 is reserved.
  EXPECT_EQ(d.decompress("\xff\xff\xff", true, out, 1000), Result::corrupt);
  // The stream is reset after a failure: a good message inflates again.
  EXPECT_EQ(inflated(d, "\xf2\x48\xcd\xc9\xc9\x07\x00"sv), "Hello");
}

TEST(Deflate, ReportsAMessageCutInsideABlock) {
  Compressor c(15, true);
  const std::string wire = compressed(c, sample(3000));
  Decompressor d(15, true);
  std::string out;
  EXPECT_EQ(d.decompress(wire.substr(0, wire.size() / 2), true, out, 1 << 20), Result::corrupt);
}

TEST(Deflate, CompressorsMove) {
  Compressor a(15, false);
  Compressor b = std::move(a);
  Decompressor d(15, false);
  Decompressor e = std::move(d);
  EXPECT_EQ(inflated(e, compressed(b, "Hello")), "Hello");
}

}  // namespace
