// zstd (RFC 8878), as the HTTP content coding of RFC 9659: windows of at most 8 MiB, so that
// neither side needs more memory than that for the history.
#include <algorithm>
#include <new>

#include <fmt/format.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <wirekit/codec.hpp>
#include <wirekit/core/error.hpp>

#include "codec_impl.hpp"

namespace wirekit::codec::detail {

namespace {

constexpr int max_window_log = 23;  // 8 MiB (RFC 9659 §3)
// zstd's "ultra" levels default to windows of 32 to 128 MiB on large input.
constexpr int first_ultra_level = 20;

struct FreeCCtx {
  void operator()(ZSTD_CCtx* c) const noexcept { ZSTD_freeCCtx(c); }
};
struct FreeDCtx {
  void operator()(ZSTD_DCtx* d) const noexcept { ZSTD_freeDCtx(d); }
};

// Throws for a failed call of the compressor.
void check_compress(std::size_t result) {
  if (!ZSTD_isError(result)) return;
  if (ZSTD_getErrorCode(result) == ZSTD_error_memory_allocation) throw std::bad_alloc();
  library_failure("zstd compression", ZSTD_getErrorName(result));
}

void set_level(ZSTD_CCtx* c, int level) {
  check_compress(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level));
  if (level >= first_ultra_level) {
    check_compress(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, max_window_log));
  }
}

// Contexts hold MBs of tables whose setup would dominate compressing or decoding a typical
// response: each thread keeps one of each, and resets it per body.
ZSTD_CCtx* thread_cctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, FreeCCtx> cctx;
  if (!cctx) {
    cctx.reset(ZSTD_createCCtx());
    if (!cctx) throw std::bad_alloc();
  }
  ZSTD_CCtx_reset(cctx.get(), ZSTD_reset_session_and_parameters);
  return cctx.get();
}

ZSTD_DCtx* thread_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, FreeDCtx> dctx;
  if (!dctx) {
    dctx.reset(ZSTD_createDCtx());
    if (!dctx) throw std::bad_alloc();
  }
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_and_parameters);
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, max_window_log);
  return dctx.get();
}

[[noreturn]] void decode_failure(std::size_t result) {
  switch (ZSTD_getErrorCode(result)) {
    case ZSTD_error_memory_allocation:
      throw std::bad_alloc();
    case ZSTD_error_frameParameter_windowTooLarge:
      throw Error(errc::limit_exceeded, "zstd body needs a window over 8 MiB (RFC 9659 limit)");
    default:
      invalid_data(Encoding::zstd, ZSTD_getErrorName(result));
  }
}

class ZstdEncoder final : public StreamEncoder {
 public:
  explicit ZstdEncoder(int level) : cctx_(ZSTD_createCCtx()) {
    if (!cctx_) throw std::bad_alloc();
    set_level(cctx_.get(), level);
  }

  void write(std::span<const std::byte> data, std::string& out) override {
    run(ZSTD_e_continue, data, out);
  }
  void flush(std::string& out) override { run(ZSTD_e_flush, {}, out); }
  void finish(std::string& out) override { run(ZSTD_e_end, {}, out); }

 private:
  void run(ZSTD_EndDirective mode, std::span<const std::byte> data, std::string& out) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    // For a flush or the end, zstd tells how much it still holds; a write seldom produces more
    // than its input compressed.
    std::size_t room = mode == ZSTD_e_continue ? ZSTD_compressBound(data.size()) : 1024;
    for (;;) {
      const std::size_t old_size = out.size();
      out.resize(old_size + room);
      ZSTD_outBuffer dst{out.data() + old_size, room, 0};
      const std::size_t left = ZSTD_compressStream2(cctx_.get(), &dst, &in, mode);
      out.resize(old_size + dst.pos);
      check_compress(left);
      const bool done =
          mode == ZSTD_e_continue ? in.pos == in.size && dst.pos < dst.size : left == 0;
      if (done) return;
      room = std::max<std::size_t>(left, 1024);
    }
  }

  std::unique_ptr<ZSTD_CCtx, FreeCCtx> cctx_;
};

}  // namespace

std::string zstd_compress(std::span<const std::byte> data, int level) {
  ZSTD_CCtx* c = thread_cctx();
  set_level(c, level);
  const std::size_t bound = ZSTD_compressBound(data.size());
  std::string out(bound, '\0');
  const std::size_t n = ZSTD_compress2(c, out.data(), bound, data.data(), data.size());
  check_compress(n);
  shrink_to(out, n);
  return out;
}

std::string zstd_decompress(std::span<const std::byte> data, std::size_t max_output) {
  if (data.empty()) return {};
  ZSTD_DCtx* d = thread_dctx();
  // A frame may state its decoded size; zstd checks it at the end of the frame, so a false
  // claim costs at most the limit.
  const unsigned long long stated = ZSTD_getFrameContentSize(data.data(), data.size());
  const std::size_t expected =
      stated < ZSTD_CONTENTSIZE_ERROR
          ? static_cast<std::size_t>(std::min<unsigned long long>(stated, max_output)) + 1
          : data.size() * 4;
  BoundedOutput out(max_output, expected);
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  for (;;) {
    const std::span<char> space = out.space();
    ZSTD_outBuffer dst{space.data(), space.size(), 0};
    // 0 once a frame is complete; a body may hold several frames, which this call decodes in
    // turn.
    const std::size_t result = ZSTD_decompressStream(d, &dst, &in);
    if (ZSTD_isError(result)) decode_failure(result);
    out.commit(dst.pos);
    if (in.pos == in.size && dst.pos < dst.size) {
      if (result != 0) invalid_data(Encoding::zstd, "truncated");
      return std::move(out).take();
    }
  }
}

std::unique_ptr<StreamEncoder> zstd_encoder(int level) {
  return std::make_unique<ZstdEncoder>(level);
}

}  // namespace wirekit::codec::detail
