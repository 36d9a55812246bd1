// The helpers of codec_support.hpp, and checks of the helpers themselves.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include "codec/codec_support.hpp"

#define ZLIB_CONST
#include <zlib.h>

namespace wirekit::codec::test {

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::string data(std::filesystem::file_size(path), '\0');
  std::ifstream(path, std::ios::binary)
      .read(data.data(), static_cast<std::streamsize>(data.size()));
  return data;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "wirekit-codec-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string inflate_prefix(std::string_view stream, int window_bits) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  zs.next_in = reinterpret_cast<const Bytef*>(stream.data());
  zs.avail_in = static_cast<uInt>(stream.size());
  std::string out;
  int ret = Z_OK;
  while (ret == Z_OK) {
    char buffer[16384];
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    ret = inflate(&zs, Z_SYNC_FLUSH);
    out.append(buffer, sizeof buffer - zs.avail_out);
    if (zs.avail_in == 0 && zs.avail_out > 0) break;
  }
  inflateEnd(&zs);
  if (ret != Z_OK && ret != Z_BUF_ERROR && ret != Z_STREAM_END) {
    throw std::runtime_error("inflate failed");
  }
  return out;
}

std::string brotli_prefix(std::string_view stream) {
  BrotliDecoderState* s = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  std::size_t avail_in = stream.size();
  auto next_in = reinterpret_cast<const std::uint8_t*>(stream.data());
  std::string out;
  BrotliDecoderResult result;
  do {
    std::uint8_t buffer[16384];
    std::size_t avail_out = sizeof buffer;
    std::uint8_t* next_out = buffer;
    result = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    out.append(reinterpret_cast<const char*>(buffer), sizeof buffer - avail_out);
    // Out of input, the decoder still pushes what it holds, a buffer at a time.
  } while (result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT || BrotliDecoderHasMoreOutput(s));
  BrotliDecoderDestroyInstance(s);
  if (result == BROTLI_DECODER_RESULT_ERROR) throw std::runtime_error("brotli decoding failed");
  return out;
}

std::string zstd_prefix(std::string_view stream) {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ZSTD_inBuffer in{stream.data(), stream.size(), 0};
  std::string out;
  for (;;) {
    char buffer[16384];
    ZSTD_outBuffer dst{buffer, sizeof buffer, 0};
    const std::size_t ret = ZSTD_decompressStream(d, &dst, &in);
    if (ZSTD_isError(ret)) {
      ZSTD_freeDCtx(d);
      throw std::runtime_error(ZSTD_getErrorName(ret));
    }
    out.append(buffer, dst.pos);
    if (in.pos == in.size && dst.pos < dst.size) break;
  }
  ZSTD_freeDCtx(d);
  return out;
}

}  // namespace

bool have_command(const char* name) {
  return std::system(("command -v " + std::string(name) + " >/dev/null 2>&1").c_str()) == 0;
}

bool have_python_module(const char* name) {
  return std::system(
             ("/usr/bin/python3 -c 'import " + std::string(name) + "' 2>/dev/null").c_str()) == 0;
}

std::optional<std::string> run_filter(const std::string& command, std::string_view input) {
  const TempDir dir;
  const auto in_path = dir.path() / "in";
  const auto out_path = dir.path() / "out";
  std::ofstream(in_path, std::ios::binary)
      .write(input.data(), static_cast<std::streamsize>(input.size()));
  const std::string line = command + " < '" + in_path.string() + "' > '" + out_path.string() + "'";
  if (std::system(line.c_str()) != 0) return std::nullopt;
  return read_file(out_path);
}

std::string decode_prefix(Encoding e, std::string_view stream) {
  switch (e) {
    case Encoding::gzip:
      return inflate_prefix(stream, 15 + 16);
    case Encoding::deflate:
      return inflate_prefix(stream, 15);
    case Encoding::br:
      return brotli_prefix(stream);
    case Encoding::zstd:
      return zstd_prefix(stream);
    case Encoding::identity:
      break;
  }
  return std::string(stream);
}

std::string raw_deflate(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<const Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int ret = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (ret != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

TEST(CodecSupport, PrefixDecodersReadCompleteStreams) {
  const std::string text = repetitive(100'000);
  for (const Encoding e : all_encodings) {
    EXPECT_TRUE(same_bytes(decode_prefix(e, compress(e, text)), text)) << to_string(e);
  }
}

TEST(CodecSupport, RunFilterReportsFailure) {
  EXPECT_EQ(run_filter("cat", "abc"), "abc");
  EXPECT_EQ(run_filter("false", "abc"), std::nullopt);
}

}  // namespace wirekit::codec::test
