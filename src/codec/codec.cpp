// compress(), decompress() and Compressor: levels checked here, then each encoding's library.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <wirekit/codec.hpp>
#include <wirekit/core/error.hpp>

#include "codec_impl.hpp"

namespace wirekit::codec {

namespace {

// The level each library is called with: `level` itself when in range, the HTTP default for -1.
// These defaults compress well at a speed that keeps up with a server's bandwidth.
int resolve_level(Encoding e, int level) {
  struct Range {
    int fallback, low, high;
  };
  Range range{};
  switch (e) {
    case Encoding::identity:
      return 0;
    case Encoding::gzip:
    case Encoding::deflate:
      range = {6, 0, 12};
      break;
    case Encoding::br:
      range = {5, 0, 11};
      break;
    case Encoding::zstd:
      range = {3, 1, 22};
      break;
  }
  if (level == -1) return range.fallback;
  if (level < range.low || level > range.high) {
    throw Error(errc::invalid_argument,
                fmt::format("invalid {} compression level {}: must be -1 or from {} to {}",
                            to_string(e), level, range.low, range.high));
  }
  return level;
}

}  // namespace

namespace detail {

namespace {

// Small steps would copy a growing body over and over for little saving.
constexpr std::size_t min_growth = std::size_t{16} * 1024;

}  // namespace

BoundedOutput::BoundedOutput(std::size_t limit, std::size_t expected)
    : limit_(limit), cap_(limit == SIZE_MAX ? limit : limit + 1) {
  buffer_.resize(std::min(std::max<std::size_t>(expected, 1), cap_));
}

std::span<char> BoundedOutput::space() {
  if (used_ == buffer_.size()) {
    // commit() keeps used_ <= limit_, so a full buffer is below cap_ and may still grow.
    const std::size_t grown = std::min(std::max(buffer_.size() * 2, min_growth), cap_);
    // A fresh string of the exact size: resize() would round the capacity up to twice the
    // old one, past the bound this class promises.
    std::string next;
    next.reserve(grown);
    next.append(buffer_, 0, used_);
    next.resize(grown);
    buffer_.swap(next);
  }
  return {buffer_.data() + used_, buffer_.size() - used_};
}

void BoundedOutput::commit(std::size_t n) {
  used_ += n;
  if (used_ > limit_) {
    throw Error(errc::limit_exceeded, fmt::format("decompressed body exceeds {} bytes", limit_));
  }
}

std::string BoundedOutput::take() && {
  buffer_.resize(used_);
  return std::move(buffer_);
}

[[noreturn]] void library_failure(const char* library, std::string_view what) {
  throw Error(std::make_error_code(std::errc::state_not_recoverable),
              fmt::format("{} failed: {}", library, what));
}

[[noreturn]] void invalid_data(Encoding e, std::string_view why) {
  throw Error(errc::protocol_error, fmt::format("invalid {} data: {}", to_string(e), why));
}

void shrink_to(std::string& out, std::size_t n) {
  out.resize(n);
  // A body may wait in a send queue for a while: do not keep a buffer sized for incompressible
  // input behind a result that came out much smaller. Copying the result costs little next to
  // compressing it.
  if (n < out.capacity() / 2) out.shrink_to_fit();
}

}  // namespace detail

std::string compress(Encoding e, std::span<const std::byte> data, int level) {
  const int resolved = resolve_level(e, level);
  switch (e) {
    case Encoding::gzip:
    case Encoding::deflate:
      return detail::deflate_compress(e, data, resolved);
    case Encoding::br:
      return detail::brotli_compress(data, resolved);
    case Encoding::zstd:
      return detail::zstd_compress(data, resolved);
    case Encoding::identity:
      break;
  }
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

std::string decompress(Encoding e, std::span<const std::byte> data, std::size_t max_output) {
  switch (e) {
    case Encoding::gzip:
    case Encoding::deflate:
      return detail::deflate_decompress(e, data, max_output);
    case Encoding::br:
      return detail::brotli_decompress(data, max_output);
    case Encoding::zstd:
      return detail::zstd_decompress(data, max_output);
    case Encoding::identity:
      break;
  }
  if (data.size() > max_output) {
    throw Error(errc::limit_exceeded,
                fmt::format("decompressed body exceeds {} bytes", max_output));
  }
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

struct Compressor::State {
  std::unique_ptr<detail::StreamEncoder> encoder;  // null for identity, which passes data through
  bool finished = false;
};

namespace {

[[noreturn]] void throw_closed(const char* operation) {
  throw Error(errc::closed, fmt::format("Compressor::{} after finish() or a move", operation));
}

}  // namespace

Compressor::Compressor(Encoding e, int level) : state_(std::make_unique<State>()) {
  const int resolved = resolve_level(e, level);
  switch (e) {
    case Encoding::gzip:
    case Encoding::deflate:
      state_->encoder = detail::deflate_encoder(e, resolved);
      break;
    case Encoding::br:
      state_->encoder = detail::brotli_encoder(resolved);
      break;
    case Encoding::zstd:
      state_->encoder = detail::zstd_encoder(resolved);
      break;
    case Encoding::identity:
      break;
  }
}

Compressor::~Compressor() = default;
Compressor::Compressor(Compressor&&) noexcept = default;
Compressor& Compressor::operator=(Compressor&&) noexcept = default;

void Compressor::write(std::span<const std::byte> data, std::string& out) {
  if (!state_ || state_->finished) throw_closed("write");
  if (state_->encoder) {
    state_->encoder->write(data, out);
  } else {
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
  }
}

void Compressor::flush(std::string& out) {
  if (!state_ || state_->finished) throw_closed("flush");
  if (state_->encoder) state_->encoder->flush(out);
}

void Compressor::finish(std::string& out) {
  if (!state_ || state_->finished) throw_closed("finish");
  if (state_->encoder) state_->encoder->finish(out);
  state_->finished = true;
}

}  // namespace wirekit::codec
