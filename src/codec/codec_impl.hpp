// Shared between the codec's source files: the bounded buffer decoders write into, the streaming
// encoder interface, and the entry points of each compression library's file. Levels reach these
// functions already checked and with the HTTP defaults applied (codec.cpp).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <wirekit/codec.hpp>

namespace wirekit::codec::detail {

// The decoded body. It grows in steps and never past limit + 1 bytes: one byte over the limit
// proves that the body exceeds it, so the decoder stops there instead of decoding the rest.
class BoundedOutput {
 public:
  // `expected`: the decoded size the caller guesses, to size the first buffer.
  BoundedOutput(std::size_t limit, std::size_t expected);

  // Free space after the bytes committed so far, growing the buffer when there is none.
  std::span<char> space();
  // Records that the decoder wrote `n` bytes into space(); throws Error(errc::limit_exceeded)
  // once the body passes the limit.
  void commit(std::size_t n);
  std::size_t size() const noexcept { return used_; }
  std::string take() &&;

 private:
  std::string buffer_;
  std::size_t used_ = 0;
  std::size_t limit_;
  std::size_t cap_;  // limit_ + 1, the most the buffer may hold
};

// Throws the error for a compression library failing a call our use of it rules out.
[[noreturn]] void library_failure(const char* library, std::string_view what);

// Throws Error(errc::protocol_error, "invalid <encoding> data: <why>").
[[noreturn]] void invalid_data(Encoding e, std::string_view why);

// Ends a one-shot compression that wrote `n` bytes into `out`, sized for the worst case.
void shrink_to(std::string& out, std::size_t n);

class StreamEncoder {
 public:
  virtual ~StreamEncoder() = default;
  virtual void write(std::span<const std::byte> data, std::string& out) = 0;
  virtual void flush(std::string& out) = 0;
  virtual void finish(std::string& out) = 0;
};

// gzip.cpp: `e` is Encoding::gzip or Encoding::deflate.
std::string deflate_compress(Encoding e, std::span<const std::byte> data, int level);
std::string deflate_decompress(Encoding e, std::span<const std::byte> data, std::size_t max_output);
std::unique_ptr<StreamEncoder> deflate_encoder(Encoding e, int level);

std::string brotli_compress(std::span<const std::byte> data, int quality);
std::string brotli_decompress(std::span<const std::byte> data, std::size_t max_output);
std::unique_ptr<StreamEncoder> brotli_encoder(int quality);

std::string zstd_compress(std::span<const std::byte> data, int level);
std::string zstd_decompress(std::span<const std::byte> data, std::size_t max_output);
std::unique_ptr<StreamEncoder> zstd_encoder(int level);

}  // namespace wirekit::codec::detail
