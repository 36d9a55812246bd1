// HTTP/1.1 message parsing (RFC 9112), shared by the server and the client.
//
// Pure functions over bytes: no sockets, no allocation. A head is parsed from the start of a
// buffer in one call once it is complete; the caller calls again when more bytes arrive (the
// scan resumes where the previous call stopped looking for the end of the head). Every string
// view points into the caller's buffer. Bodies are decoded by BodyDecoder, incrementally.
//
// Strictness (docs/http-server.md lists each choice): lines end in CRLF; obs-fold, whitespace
// before a colon, control characters or NUL in a field, a Content-Length with a
// Transfer-Encoding, differing Content-Lengths and invalid chunk sizes are rejected — the
// ambiguities request smuggling is made of.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <wirekit/core/ascii.hpp>

namespace wirekit::http {

struct Header {
  std::string_view name;
  std::string_view value;
};

// Limits on what a peer may send, with nginx-like defaults.
struct Limits {
  std::size_t max_request_line = 8 * 1024;   // 414 beyond
  std::size_t max_header_bytes = 16 * 1024;  // all header lines together; 431 beyond
  std::size_t max_headers = 100;             // 431 beyond
  std::size_t max_body = 1024 * 1024;        // 413 beyond (a route may set its own)
  std::size_t max_chunk_extension = 1024;    // per chunk-size line; 400 beyond
};

// Why a message was refused: the status to answer with and a short reason.
struct ParseError {
  int status = 400;
  std::string_view reason;
};

enum class ParseResult { complete, incomplete, error };

// What the framing headers say, validated (RFC 9112 §6).
struct Framing {
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;
  bool expect_continue = false;  // Expect: 100-continue
  bool upgrade = false;          // Connection: upgrade with an Upgrade header
};

struct RequestHead {
  std::string_view method;
  std::string_view target;
  int minor_version = 1;            // HTTP/1.<minor>
  std::span<const Header> headers;  // in the caller's storage
  std::string_view host;
  Framing framing;
  std::size_t head_size = 0;  // bytes of the head, the blank line included

  // The first value of `name` (ASCII case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
};

struct ResponseHead {
  int minor_version = 1;
  int status = 0;
  std::string_view reason;
  std::span<const Header> headers;
  Framing framing;  // content_length/chunked as sent; no length at all means "until close"
  std::size_t head_size = 0;

  std::optional<std::string_view> header(std::string_view name) const noexcept;
};

// Parses the request head at the start of `data` into `out`, its headers into `storage`
// (which must hold at least limits.max_headers entries). `scanned` carries how far a previous
// call looked (start at 0). On error, `error` says which status to answer with.
ParseResult parse_request(std::string_view data, RequestHead& out, std::span<Header> storage,
                          const Limits& limits, std::size_t& scanned, ParseError& error) noexcept;

// The same for a response head. Whether a body follows at all (not after HEAD, 1xx, 204, 304)
// is for the caller to decide; `framing` says how it is delimited if it does.
ParseResult parse_response(std::string_view data, ResponseHead& out, std::span<Header> storage,
                           const Limits& limits, std::size_t& scanned, ParseError& error) noexcept;

// Decodes a body framed by Content-Length or chunked transfer coding, as bytes arrive.
class BodyDecoder {
 public:
  // A body of exactly `length` bytes.
  static BodyDecoder fixed(std::uint64_t length, std::size_t max_body) noexcept;
  // A chunked body; trailers are parsed (and validated) but not kept.
  static BodyDecoder chunked(const Limits& limits) noexcept;

  // Consumes what it can of `data`, appending body bytes to `out`. Returns how many bytes of
  // `data` it consumed; done() tells when the body has ended. Sets `error` and returns npos on
  // malformed framing or a body over the limit (413).
  static constexpr std::size_t npos = ~std::size_t{0};
  std::size_t feed(std::string_view data, std::string& out, ParseError& error) noexcept;
  bool done() const noexcept { return state_ == State::done; }

 private:
  enum class State {
    fixed,
    size,
    // chunk-ext (RFC 9112 §7.1.1) without whitespace, as llhttp's strict mode reads it:
    // ;name, ;name=token, ;name="quoted"
    extension_name,
    extension_value,
    extension_token,
    extension_quoted,
    extension_escape,
    extension_quoted_end,
    size_lf,
    data,
    data_cr,
    data_lf,
    trailer,
    trailer_lf,
    done
  };
  // One byte of a chunk extension; false when it breaks the syntax.
  bool chunk_extension_step(char c) noexcept;

  State state_ = State::done;
  std::uint64_t remaining_ = 0;  // bytes left: of the fixed body, or of the current chunk
  std::uint64_t received_ = 0;
  std::size_t max_body_ = 0;
  std::size_t extension_ = 0;       // bytes of the current size line's extensions
  std::size_t extension_name_ = 0;  // bytes of the current extension's name
  std::size_t trailer_bytes_ = 0;
  std::size_t max_trailer_bytes_ = 0;
  std::size_t line_length_ = 0;  // of the current trailer line
  bool trailer_value_ = false;   // past the colon of the current trailer line
  int digits_ = 0;
  std::size_t max_extension_ = 0;
};

// True for the bytes of a token (RFC 9110 §5.6.2): method names, header names.
bool is_token_char(unsigned char c) noexcept;
// The ASCII helpers header names and tokens are read with, under the names HTTP code has
// always used (wirekit/core/ascii.hpp).
using ascii::iequals;
using ascii::list_contains;
using ascii::trim_ows;

}  // namespace wirekit::http
