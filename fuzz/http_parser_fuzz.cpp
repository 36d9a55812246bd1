// Fuzzes the HTTP/1.1 parser: request and response heads and the body decoders, on bytes a peer
// chooses. Besides not crashing, it checks what callers rely on: views point into the input,
// sizes stay within it, a head parsed in two steps (keeping `scanned`) equals the head parsed at
// once, a body decoded in pieces equals the body decoded at once, and no decoder consumes more
// than it was given or stalls without an error.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <wirekit/http/parser.hpp>

namespace {

using namespace wirekit::http;

constexpr std::size_t max_body = 1024 * 1024;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// True when `part` lies within `whole` (an empty view may sit at its very end).
bool inside(std::string_view part, std::string_view whole) {
  const std::less_equal<const char*> le;
  return le(whole.data(), part.data()) &&
         le(part.data() + part.size(), whole.data() + whole.size());
}

// Piece sizes for feeding a decoder, derived from the input bytes: mostly small, sometimes large.
class Pieces {
 public:
  explicit Pieces(std::string_view seed) : seed_(seed) {}
  std::size_t next() {
    if (seed_.empty()) return 1;
    const auto b = static_cast<unsigned char>(seed_[at_++ % seed_.size()]);
    const auto c = static_cast<unsigned char>(seed_[(at_ * 7 + 3) % seed_.size()]);
    return (b & 0x80) != 0 ? std::size_t{1} + (std::size_t{b} << 4) + c : std::size_t{1} + (b & 7);
  }

 private:
  std::string_view seed_;
  std::size_t at_ = 0;
};

struct Decoded {
  bool failed = false;
  int status = 0;
  bool done = false;
  std::size_t consumed = 0;
  std::string body;
};

// Feeds `data` to `decoder` in pieces sized by `pieces` (all at once when `pieces` is null).
Decoded decode(BodyDecoder decoder, std::string_view data, Pieces* pieces) {
  Decoded d;
  ParseError error;
  while (d.consumed < data.size() && !decoder.done()) {
    const std::size_t left = data.size() - d.consumed;
    const std::size_t piece = pieces != nullptr ? std::min(pieces->next(), left) : left;
    const std::size_t used = decoder.feed(data.substr(d.consumed, piece), d.body, error);
    if (used == BodyDecoder::npos) {
      check(error.status == 400 || error.status == 413);
      check(!error.reason.empty());
      d.failed = true;
      d.status = error.status;
      break;
    }
    check(used <= piece);
    check(used > 0 || decoder.done());  // no progress without an end or an error: a stall
    d.consumed += used;
  }
  d.done = decoder.done();
  check(d.body.size() <= max_body);
  check(d.failed || d.body.size() <= d.consumed);  // on an error, `body` may hold a piece more
  return d;
}

// Decodes `data` at once and in pieces: both must agree.
Decoded decode_both_ways(const BodyDecoder& decoder, std::string_view data, std::string_view seed) {
  const Decoded whole = decode(decoder, data, nullptr);
  Pieces pieces(seed);
  const Decoded split = decode(decoder, data, &pieces);
  check(whole.failed == split.failed);
  if (whole.failed) {
    check(whole.status == split.status);
  } else {
    check(whole.done == split.done);
    check(whole.consumed == split.consumed);
    check(whole.body == split.body);
  }
  return whole;
}

Limits body_limits() {
  Limits limits;
  limits.max_body = max_body;
  return limits;
}

// Decodes what follows a head, as its framing says; no length means no body (request) or a
// body until close (response), neither of which the decoder sees.
void decode_body(const Framing& framing, std::string_view rest, std::string_view seed) {
  if (framing.chunked) {
    check(!framing.content_length.has_value());
    (void)decode_both_ways(BodyDecoder::chunked(body_limits()), rest, seed);
  } else if (framing.content_length) {
    const Decoded d =
        decode_both_ways(BodyDecoder::fixed(*framing.content_length, max_body), rest, seed);
    if (!d.failed) {
      check(d.body.size() == d.consumed);
      check(d.done == (d.consumed == *framing.content_length));
    }
  }
}

void check_headers(std::span<const Header> headers, std::string_view input, std::size_t count) {
  check(headers.size() <= count);
  for (const Header& h : headers) {
    check(!h.name.empty());
    check(inside(h.name, input) && inside(h.value, input));
  }
}

void fuzz_request(std::string_view input) {
  const Limits limits;
  std::array<Header, 100> storage{};
  RequestHead head;
  ParseError error;
  std::size_t scanned = 0;
  const ParseResult result = parse_request(input, head, storage, limits, scanned, error);
  if (result == ParseResult::error) {
    check(!error.reason.empty());
    check(error.status == 400 || error.status == 414 || error.status == 417 ||
          error.status == 431 || error.status == 501 || error.status == 505);
  }

  // The same input in two steps, the first of them incomplete, keeping `scanned`: the same answer.
  const std::size_t split = input.empty() ? 0
                                          : (static_cast<unsigned char>(input.front()) * 131u +
                                             static_cast<unsigned char>(input.back())) %
                                                (input.size() + 1);
  RequestHead again;
  ParseError again_error;
  std::size_t again_scanned = 0;
  if (parse_request(input.substr(0, split), again, storage, limits, again_scanned, again_error) ==
      ParseResult::incomplete) {
    check(again_scanned <= split);
    const ParseResult second =
        parse_request(input, again, storage, limits, again_scanned, again_error);
    check(second == result);
    if (result == ParseResult::error) check(again_error.status == error.status);
    if (result == ParseResult::complete) check(again.head_size == head.head_size);
  }
  if (result != ParseResult::complete) return;

  // `again` may share `storage`; parse once more so that `head` views what it says.
  scanned = 0;
  check(parse_request(input, head, storage, limits, scanned, error) == ParseResult::complete);
  check(head.head_size > 0 && head.head_size <= input.size());
  const std::string_view head_bytes = input.substr(0, head.head_size);
  check(head_bytes.substr(head_bytes.size() - 4) == "\r\n\r\n");
  check(!head.method.empty() && inside(head.method, head_bytes));
  check(!head.target.empty() && inside(head.target, head_bytes));
  check(inside(head.host, head_bytes) || head.host.empty());
  check(head.minor_version >= 0 && head.minor_version <= 9);
  check_headers(head.headers, head_bytes, storage.size());
  check(!(head.framing.chunked && head.framing.content_length));  // never both: smuggling
  if (head.minor_version == 0) check(!head.framing.chunked);
  decode_body(head.framing, input.substr(head.head_size), input);
}

void fuzz_response(std::string_view input) {
  const Limits limits;
  std::array<Header, 100> storage{};
  ResponseHead head;
  ParseError error;
  std::size_t scanned = 0;
  const ParseResult result = parse_response(input, head, storage, limits, scanned, error);
  if (result == ParseResult::error) {
    check(error.status == 502 && !error.reason.empty());
    return;
  }
  if (result != ParseResult::complete) return;
  check(head.head_size > 0 && head.head_size <= input.size());
  const std::string_view head_bytes = input.substr(0, head.head_size);
  check(head.status >= 100 && head.status <= 999);
  check(head.reason.empty() || inside(head.reason, head_bytes));
  check_headers(head.headers, head_bytes, storage.size());
  check(!(head.framing.chunked && head.framing.content_length));
  decode_body(head.framing, input.substr(head.head_size), input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz_request(input);
  fuzz_response(input);
  // The whole input as a chunked body, as if a head had announced one.
  (void)decode_both_ways(BodyDecoder::chunked(body_limits()), input, input.substr(size / 2));
  return 0;
}
