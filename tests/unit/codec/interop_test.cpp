// Interoperability with other implementations: the gzip, zstd and brotli tools, Python's gzip,
// zlib and brotli modules. Each is a required peer (scripts/deps.sh installs them): a missing
// one fails its tests instead of skipping them.
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/core/error.hpp>

#include "codec/codec_support.hpp"

namespace wirekit::codec::test {

namespace {

constexpr std::size_t limit = 8 << 20;

std::string python(const std::string& code) {
  return "/usr/bin/python3 -c \"import sys, gzip, zlib; " + code + "\"";
}

// Bodies that take different paths through the codecs: empty, tiny, stored, compressed.
std::vector<std::string> samples() {
  return {"", "x", "hello, world\n", random_bytes(100'000), repetitive(1 << 20)};
}

std::string streamed(Encoding e, const std::string& data) {
  Compressor compressor(e);
  std::string out;
  const std::string_view view(data);
  for (std::size_t at = 0; at < data.size(); at += 10'000) {
    compressor.write(view.substr(at, 10'000), out);
    if (at % 30'000 == 0) compressor.flush(out);
  }
  compressor.finish(out);
  return out;
}

TEST(Interop, GzipToolReadsOurGzip) {
  if (!have_command("gzip")) FAIL() << "required peer gzip is missing (scripts/deps.sh)";
  for (const std::string& data : samples()) {
    EXPECT_TRUE(same_output(run_filter("gzip -dc", compress(Encoding::gzip, data)), data));
    EXPECT_TRUE(same_output(run_filter("gzip -dc", compress(Encoding::gzip, data, 12)), data));
    EXPECT_TRUE(same_output(run_filter("gzip -dc", streamed(Encoding::gzip, data)), data));
  }
}

TEST(Interop, WeReadTheGzipTool) {
  if (!have_command("gzip")) FAIL() << "required peer gzip is missing (scripts/deps.sh)";
  for (const std::string& data : samples()) {
    for (const char* command : {"gzip -c", "gzip -1 -c", "gzip -9 -c"}) {
      const auto packed = run_filter(command, data);
      ASSERT_TRUE(packed);
      EXPECT_TRUE(same_bytes(decompress(Encoding::gzip, *packed, limit), data)) << command;
    }
  }
}

TEST(Interop, WeReadGzipHeadersWithEveryOptionalField) {
  // FEXTRA, FNAME, FCOMMENT and FHCRC (RFC 1952 §2.3.1), which few encoders write.
  const auto packed =
      run_filter(python("import struct; d = sys.stdin.buffer.read(); "
                        "h = b'\\x1f\\x8b\\x08\\x1e' + struct.pack('<I', 1) + b'\\x00\\xff' + "
                        "struct.pack('<H', 3) + b'xyz' + b'body.txt\\x00' + b'a comment\\x00'; "
                        "h += struct.pack('<H', zlib.crc32(h) & 0xffff); "
                        "c = zlib.compressobj(6, zlib.DEFLATED, -15); "
                        "sys.stdout.buffer.write(h + c.compress(d) + c.flush() + "
                        "struct.pack('<II', zlib.crc32(d), len(d)))"),
                 "every header field");
  ASSERT_TRUE(packed);
  EXPECT_EQ(decompress(Encoding::gzip, *packed, limit), "every header field");
  std::string bad_header_crc = *packed;
  const std::size_t header_crc = 10 + 2 + 3 + 9 + 10;
  bad_header_crc[header_crc] = static_cast<char>(bad_header_crc[header_crc] ^ 1);
  EXPECT_THROW(decompress(Encoding::gzip, bad_header_crc, limit), Error);
}

TEST(Interop, ZstdToolAndUs) {
  if (!have_command("zstd")) FAIL() << "required peer zstd is missing (scripts/deps.sh)";
  for (const std::string& data : samples()) {
    EXPECT_TRUE(same_output(run_filter("zstd -q -dc", compress(Encoding::zstd, data)), data));
    EXPECT_TRUE(same_output(run_filter("zstd -q -dc", streamed(Encoding::zstd, data)), data));
    const auto packed = run_filter("zstd -q -c", data);
    ASSERT_TRUE(packed);
    EXPECT_TRUE(same_bytes(decompress(Encoding::zstd, *packed, limit), data));
  }
}

TEST(Interop, PythonReadsOurGzipAndDeflate) {
  for (const std::string& data : samples()) {
    const std::string gunzip =
        python("sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))");
    EXPECT_TRUE(same_output(run_filter(gunzip, compress(Encoding::gzip, data)), data));
    EXPECT_TRUE(same_output(run_filter(gunzip, streamed(Encoding::gzip, data)), data));
    const std::string inflate =
        python("sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))");
    EXPECT_TRUE(same_output(run_filter(inflate, compress(Encoding::deflate, data)), data));
    EXPECT_TRUE(same_output(run_filter(inflate, streamed(Encoding::deflate, data)), data));
  }
}

TEST(Interop, WeReadPythonGzipZlibAndRawDeflate) {
  for (const std::string& data : samples()) {
    const auto gz =
        run_filter(python("sys.stdout.buffer.write(gzip.compress(sys.stdin.buffer.read()))"), data);
    ASSERT_TRUE(gz);
    EXPECT_TRUE(same_bytes(decompress(Encoding::gzip, *gz, limit), data));
    const auto z = run_filter(
        python("sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 9))"), data);
    ASSERT_TRUE(z);
    EXPECT_TRUE(same_bytes(decompress(Encoding::deflate, *z, limit), data));
    const auto raw = run_filter(
        python("c = zlib.compressobj(6, zlib.DEFLATED, -15); "
               "sys.stdout.buffer.write(c.compress(sys.stdin.buffer.read()) + c.flush())"),
        data);
    ASSERT_TRUE(raw);
    EXPECT_TRUE(same_bytes(decompress(Encoding::deflate, *raw, limit), data));
  }
}

TEST(Interop, BrotliToolAndUs) {
  if (!have_command("brotli")) FAIL() << "required peer brotli is missing (scripts/deps.sh)";
  for (const std::string& data : samples()) {
    EXPECT_TRUE(same_output(run_filter("brotli -dc", compress(Encoding::br, data)), data));
    EXPECT_TRUE(same_output(run_filter("brotli -dc", streamed(Encoding::br, data)), data));
    const auto packed = run_filter("brotli -c", data);
    ASSERT_TRUE(packed);
    EXPECT_TRUE(same_bytes(decompress(Encoding::br, *packed, limit), data));
  }
}

TEST(Interop, PythonBrotliAndUs) {
  if (!have_python_module("brotli")) {
    FAIL() << "required Python module brotli is missing (python3-brotli; scripts/deps.sh)";
  }
  for (const std::string& data : samples()) {
    const std::string decode =
        "/usr/bin/python3 -c \"import sys, brotli; "
        "sys.stdout.buffer.write(brotli.decompress(sys.stdin.buffer.read()))\"";
    EXPECT_TRUE(same_output(run_filter(decode, compress(Encoding::br, data)), data));
    EXPECT_TRUE(same_output(run_filter(decode, streamed(Encoding::br, data)), data));
    const auto packed = run_filter(
        "/usr/bin/python3 -c \"import sys, brotli; "
        "sys.stdout.buffer.write(brotli.compress(sys.stdin.buffer.read()))\"",
        data);
    ASSERT_TRUE(packed);
    EXPECT_TRUE(same_bytes(decompress(Encoding::br, *packed, limit), data));
  }
}

}  // namespace

}  // namespace wirekit::codec::test
