// wirekit codec: HTTP content codings (RFC 9110 §8.4.1) and base64 (RFC 4648).
//
// compress()/decompress() handle whole bodies; Compressor produces a body piece by piece, for
// chunked responses. Decompression always runs under a limit on the decoded size, so a small
// hostile body (a "zip bomb") costs at most that limit in memory. docs/codec.md has a guide.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wirekit::codec {

enum class Encoding { identity, gzip, deflate, br, zstd };

// "gzip" (and its alias "x-gzip"), "deflate", "br", "zstd", "identity", in any case;
// std::nullopt for any other token.
std::optional<Encoding> try_parse_encoding(std::string_view token) noexcept;
// The token of `e` as written in Content-Encoding: "gzip", "deflate", "br", "zstd", "identity".
const char* to_string(Encoding e) noexcept;

// The encoding to answer with, given the request's Accept-Encoding value and the encodings the
// server can produce, best first (RFC 9110 §12.5.3). The highest q-value wins, and among equal
// q-values the earlier in `offered`; "q=0" refuses a coding, "*" stands for every coding the
// header does not name, a coding named twice keeps its highest q-value, unknown codings and
// malformed elements are ignored. Returns Encoding::identity when nothing offered is acceptable,
// including when the header is empty: the caller sends the body as is.
Encoding negotiate(std::string_view accept_encoding, std::span<const Encoding> offered) noexcept;

// One-shot compression of a whole body. `level` -1 picks a good default for HTTP: 6 for gzip
// and deflate (libdeflate, levels 0 to 12), quality 5 for br (0 to 11), 3 for zstd (1 to 22).
// Other levels out of range throw Error(errc::invalid_argument). "deflate" is the zlib format
// (RFC 1950), as HTTP means it. zstd frames keep their window within 8 MiB (RFC 9659).
// Encoding::identity returns a copy of the data and ignores `level`.
std::string compress(Encoding e, std::span<const std::byte> data, int level = -1);
inline std::string compress(Encoding e, std::string_view data, int level = -1) {
  return compress(e, std::as_bytes(std::span(data)), level);
}

// One-shot decompression of a whole body, never past `max_output` decoded bytes:
// - Error(errc::limit_exceeded, "decompressed body exceeds N bytes") as soon as the output
//   would pass the limit; the buffer never grows beyond max_output + 1 bytes;
// - Error(errc::protocol_error, "invalid gzip data: ...") (deflate, br, zstd) on corrupt or
//   truncated input, or bytes after the end of the stream;
// - Error(errc::limit_exceeded) too for a zstd frame asking for a window over 8 MiB (RFC 9659).
// gzip bodies may hold several members, decoded one after the other; deflate bodies may be raw
// DEFLATE without the zlib header, as some servers send them; zstd bodies may hold several
// frames. An empty body decodes to an empty body whatever the encoding, as browsers accept it.
// Encoding::identity returns the input, still subject to the limit.
std::string decompress(Encoding e, std::span<const std::byte> data, std::size_t max_output);
inline std::string decompress(Encoding e, std::string_view data, std::size_t max_output) {
  return decompress(e, std::as_bytes(std::span(data)), max_output);
}

// Streaming compressor for a body produced piece by piece (chunked responses). gzip and deflate
// use zlib here, whose levels stop at 9: levels 10 to 12 compress as 9. Encoding::identity
// passes the data through. After finish(), or once moved from, every call throws
// Error(errc::closed).
class Compressor {
 public:
  explicit Compressor(Encoding e, int level = -1);
  ~Compressor();
  Compressor(Compressor&&) noexcept;
  Compressor& operator=(Compressor&&) noexcept;

  // Appends the compressed form of `data` to `out`; the compressor may hold it back, so this
  // may append nothing yet.
  void write(std::span<const std::byte> data, std::string& out);
  void write(std::string_view data, std::string& out) {
    write(std::as_bytes(std::span(data)), out);
  }
  // Appends what the peer needs to decode everything written so far (a sync flush), e.g.
  // before sending a chunk that must not wait for more data. Each flush costs a few bytes.
  void flush(std::string& out);
  // Appends the end of the stream (gzip trailer, brotli last block, zstd epilogue).
  void finish(std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// base64 (RFC 4648 §4) with padding, and base64url (§5), padded only when asked: JWTs and
// other URL uses leave the padding out.
std::string base64_encode(std::span<const std::byte> data);
inline std::string base64_encode(std::string_view data) {
  return base64_encode(std::as_bytes(std::span(data)));
}
std::string base64url_encode(std::span<const std::byte> data, bool pad = false);
inline std::string base64url_encode(std::string_view data, bool pad = false) {
  return base64url_encode(std::as_bytes(std::span(data)), pad);
}

// Decoding throws Error(errc::invalid_argument, "invalid base64 ...") on bad input. base64
// accepts only the canonical form: padded to a multiple of 4, no whitespace, and the unused
// bits of the last character zero, so each byte string has exactly one accepted text.
// base64url accepts the text with or without padding (the same canonical rules otherwise).
std::string base64_decode(std::string_view text);
std::string base64url_decode(std::string_view text);

}  // namespace wirekit::codec
