// gzip (RFC 1952) and HTTP's deflate, the zlib format (RFC 1950). Whole bodies are compressed
// with libdeflate, faster than zlib at the same ratio; decoding and streaming use zlib, which
// works in bounded memory on input of any size.
#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <new>

#include <libdeflate.h>

#include <wirekit/codec.hpp>

#include "codec_impl.hpp"

// next_in becomes a pointer to const, so input spans need no const_cast.
#define ZLIB_CONST
#include <zlib.h>

namespace wirekit::codec::detail {

namespace {

struct FreeCompressor {
  void operator()(libdeflate_compressor* c) const noexcept { libdeflate_free_compressor(c); }
};

constexpr int max_libdeflate_level = 12;

// Setting up a libdeflate compressor allocates and clears tables of up to a few MB, which
// would cost more than compressing a typical response: each thread keeps one per level used.
libdeflate_compressor* compressor_for(int level) {
  thread_local std::array<std::unique_ptr<libdeflate_compressor, FreeCompressor>,
                          max_libdeflate_level + 1>
      cache;
  auto& slot = cache[static_cast<std::size_t>(level)];
  if (!slot) {
    slot.reset(libdeflate_alloc_compressor(level));
    if (!slot) throw std::bad_alloc();
  }
  return slot.get();
}

// A zlib stream header (RFC 1950 §2.2): method 8 (deflate), a window of at most 32 KiB and the
// check bits. Raw DEFLATE from the encoders in use never starts like this: its first block
// would have to be a stored block with padding bits set.
bool has_zlib_header(std::span<const std::byte> data) noexcept {
  if (data.size() < 2) return false;
  const auto cmf = std::to_integer<unsigned>(data[0]);
  const auto flg = std::to_integer<unsigned>(data[1]);
  return (cmf & 0x0fU) == 8 && (cmf >> 4) <= 7 && (cmf * 256 + flg) % 31 == 0;
}

// A first guess at the decoded size. A gzip body ends with the size of its last member (mod
// 2^32); DEFLATE cannot expand more than 1032:1, so a larger claim is a lie not worth
// allocating for.
std::size_t expected_size(Encoding e, std::span<const std::byte> data) noexcept {
  if (e == Encoding::gzip && data.size() >= 18) {
    std::uint32_t isize = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      isize |= std::to_integer<std::uint32_t>(data[data.size() - 4 + i]) << (8 * i);
    }
    return std::min<std::size_t>(isize, data.size() * 1032) + 1;
  }
  return data.size() * 4;
}

// zlib counts in uInt: larger spans go in pieces.
uInt clamp_uint(std::size_t n) noexcept {
  return static_cast<uInt>(std::min<std::size_t>(n, UINT_MAX));
}

class Inflater {
 public:
  explicit Inflater(int window_bits) {
    if (inflateInit2(&stream, window_bits) != Z_OK) throw std::bad_alloc();
  }
  ~Inflater() { inflateEnd(&stream); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  z_stream stream{};
};

class DeflateEncoder final : public StreamEncoder {
 public:
  DeflateEncoder(Encoding e, int level) {
    const int window_bits = e == Encoding::gzip ? 15 + 16 : 15;
    if (deflateInit2(&stream_, std::min(level, Z_BEST_COMPRESSION), Z_DEFLATED, window_bits, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::bad_alloc();
    }
  }
  ~DeflateEncoder() override { deflateEnd(&stream_); }
  DeflateEncoder(const DeflateEncoder&) = delete;
  DeflateEncoder& operator=(const DeflateEncoder&) = delete;

  void write(std::span<const std::byte> data, std::string& out) override {
    while (!data.empty()) {
      const uInt piece = clamp_uint(data.size());
      stream_.next_in = reinterpret_cast<const Bytef*>(data.data());
      stream_.avail_in = piece;
      run(Z_NO_FLUSH, out);
      data = data.subspan(piece);
    }
  }
  void flush(std::string& out) override { run(Z_SYNC_FLUSH, out); }
  void finish(std::string& out) override { run(Z_FINISH, out); }

 private:
  // Deflates the pending input with `mode`, appending to `out` until zlib has nothing more to
  // give for it: all input taken and room left over (or, for Z_FINISH, the end of the stream).
  void run(int mode, std::string& out) {
    for (;;) {
      const std::size_t old_size = out.size();
      const uInt room = clamp_uint(std::max<uLong>(deflateBound(&stream_, stream_.avail_in), 64));
      out.resize(old_size + room);
      stream_.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
      stream_.avail_out = room;
      const int ret = deflate(&stream_, mode);
      out.resize(old_size + room - stream_.avail_out);
      if (ret == Z_STREAM_END) return;
      if (ret != Z_OK && ret != Z_BUF_ERROR) library_failure("zlib deflate", zError(ret));
      if (mode != Z_FINISH && stream_.avail_in == 0 && stream_.avail_out > 0) return;
    }
  }

  z_stream stream_{};
};

}  // namespace

std::string deflate_compress(Encoding e, std::span<const std::byte> data, int level) {
  libdeflate_compressor* c = compressor_for(level);
  const bool gzip = e == Encoding::gzip;
  const std::size_t bound = gzip ? libdeflate_gzip_compress_bound(c, data.size())
                                 : libdeflate_zlib_compress_bound(c, data.size());
  std::string out(bound, '\0');
  const std::size_t n =
      gzip ? libdeflate_gzip_compress(c, data.data(), data.size(), out.data(), bound)
           : libdeflate_zlib_compress(c, data.data(), data.size(), out.data(), bound);
  shrink_to(out, n);
  return out;
}

std::string deflate_decompress(Encoding e, std::span<const std::byte> data,
                               std::size_t max_output) {
  if (data.empty()) return {};
  const bool gzip = e == Encoding::gzip;
  // Browsers accept raw DEFLATE as "deflate" because servers long sent it; so do we.
  Inflater inflater(gzip ? 15 + 16 : has_zlib_header(data) ? 15 : -15);
  z_stream& zs = inflater.stream;
  BoundedOutput out(max_output, expected_size(e, data));
  std::span<const std::byte> rest = data;  // not yet handed to zlib
  for (;;) {
    if (zs.avail_in == 0 && !rest.empty()) {
      zs.next_in = reinterpret_cast<const Bytef*>(rest.data());
      zs.avail_in = clamp_uint(rest.size());
      rest = rest.subspan(zs.avail_in);
    }
    const std::span<char> space = out.space();
    zs.next_out = reinterpret_cast<Bytef*>(space.data());
    zs.avail_out = clamp_uint(space.size());
    const uInt room = zs.avail_out;
    const int ret = inflate(&zs, Z_NO_FLUSH);
    out.commit(room - zs.avail_out);
    const bool all_input_read = zs.avail_in == 0 && rest.empty();
    if (ret == Z_STREAM_END) {
      if (all_input_read) break;
      if (!gzip) invalid_data(e, "data after the end of the stream");
      inflateReset(&zs);  // gzip allows several members, one after the other (RFC 1952 §2.2)
      continue;
    }
    if (ret == Z_NEED_DICT) invalid_data(e, "needs a preset dictionary");
    if (ret == Z_MEM_ERROR) throw std::bad_alloc();
    if (ret != Z_OK && ret != Z_BUF_ERROR) invalid_data(e, zs.msg ? zs.msg : zError(ret));
    if (all_input_read && zs.avail_out > 0) invalid_data(e, "truncated");
  }
  return std::move(out).take();
}

std::unique_ptr<StreamEncoder> deflate_encoder(Encoding e, int level) {
  return std::make_unique<DeflateEncoder>(e, level);
}

}  // namespace wirekit::codec::detail
