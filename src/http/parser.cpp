#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include <wirekit/http/parser.hpp>

namespace wirekit::http {

namespace {

constexpr std::array<bool, 256> make_token_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> token_table = make_token_table();

// Field values: visible characters, obs-text, space and tab; never other controls or NUL.
bool is_field_value_char(unsigned char c) noexcept {
  return c >= 0x20 ? c != 0x7f : c == '\t';
}
// Request targets are URI references: printable ASCII only.
bool is_target_char(unsigned char c) noexcept {
  return c > 0x20 && c < 0x7f;
}

ParseResult fail(ParseError& error, int status, std::string_view reason) noexcept {
  error = ParseError{status, reason};
  return ParseResult::error;
}

// Finds the blank line that ends a head, resuming the search where the last call stopped.
// Returns the offset just past it, or 0 if it is not there yet.
std::size_t find_head_end(std::string_view data, std::size_t from, std::size_t& scanned) noexcept {
  const std::size_t start = std::max(from, scanned >= 3 ? scanned - 3 : 0);
  const std::size_t at = data.find("\r\n\r\n", start);
  if (at == std::string_view::npos) {
    scanned = data.size();
    return 0;
  }
  return at + 4;
}

// A LF not preceded by CR at or after `from`: we require CRLF line endings, so such a head can
// never complete — refuse it now instead of buffering to the limit.
bool has_bare_lf(std::string_view data, std::size_t from) noexcept {
  for (std::size_t i = data.find('\n', from); i != std::string_view::npos;
       i = data.find('\n', i + 1)) {
    if (i == 0 || data[i - 1] != '\r') return true;
  }
  return false;
}

// The length of a line whose end has not arrived yet (a final CR may be half of its CRLF).
std::size_t line_length_so_far(std::string_view data, std::size_t start) noexcept {
  std::size_t n = data.size() - start;
  if (n > 0 && data.back() == '\r') --n;
  return n;
}

// Parses "HTTP/1.x"; 505 for another version of HTTP, 400 for anything else.
bool parse_version(std::string_view v, int& minor, ParseError& error) noexcept {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
      v[7] < '0' || v[7] > '9') {
    error = ParseError{400, "malformed HTTP version"};
    return false;
  }
  if (v[5] != '1') {
    error = ParseError{505, "HTTP version not supported"};
    return false;
  }
  minor = v[7] - '0';
  return true;
}

// Parses the header lines of [begin of `lines`, blank line) into `storage`.
bool parse_headers(std::string_view lines, std::span<Header> storage, const Limits& limits,
                   std::size_t& count, ParseError& error) noexcept {
  if (lines.size() > limits.max_header_bytes) {
    error = ParseError{431, "header fields too large"};
    return false;
  }
  count = 0;
  while (!lines.empty()) {
    const std::size_t eol = lines.find("\r\n");
    const std::string_view line = lines.substr(0, eol);
    lines.remove_prefix(eol + 2);
    if (line.front() == ' ' || line.front() == '\t') {
      error = ParseError{400, "obs-fold (line folding) in header"};
      return false;
    }
    std::size_t colon = 0;
    while (colon < line.size() && token_table[static_cast<unsigned char>(line[colon])]) ++colon;
    if (colon == line.size() || line[colon] != ':') {
      error = ParseError{400, colon < line.size() && (line[colon] == ' ' || line[colon] == '\t')
                                  ? "whitespace before colon in header"
                                  : "invalid header name"};
      return false;
    }
    if (colon == 0) {
      error = ParseError{400, "empty header name"};
      return false;
    }
    const std::string_view value = line.substr(colon + 1);
    for (char c : value) {
      if (!is_field_value_char(static_cast<unsigned char>(c))) {
        error = ParseError{400, "control character in header value"};
        return false;
      }
    }
    if (count == limits.max_headers || count == storage.size()) {
      error = ParseError{431, "too many header fields"};
      return false;
    }
    storage[count++] = Header{line.substr(0, colon), trim_ows(value)};
  }
  return true;
}

// A Content-Length value: digits only, no overflow; "42, 42" (a list of equal values) is one.
bool parse_content_length(std::string_view value, std::optional<std::uint64_t>& length,
                          ParseError& error) noexcept {
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view item = trim_ows(value.substr(0, comma));
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (item.empty() || ec != std::errc{} || end != item.data() + item.size() ||
        item.front() == '+' || item.front() == '-') {
      error = ParseError{400, "invalid Content-Length"};
      return false;
    }
    if (length && *length != n) {
      error = ParseError{400, "differing Content-Length values"};
      return false;
    }
    length = n;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

// Reads the framing headers. `request`: the stricter rules for requests.
bool parse_framing(std::span<const Header> headers, int minor_version, bool request, Framing& f,
                   std::string_view* host, ParseError& error) noexcept {
  f = Framing{};
  bool transfer_encoding = false;
  bool chunked_last = false;
  int chunked_count = 0;
  int other_codings = 0;
  bool close = false;
  bool keep_alive = false;
  bool upgrade_token = false;
  bool upgrade_header = false;
  int hosts = 0;
  for (const Header& h : headers) {
    if (iequals(h.name, "content-length")) {
      if (!parse_content_length(h.value, f.content_length, error)) return false;
    } else if (iequals(h.name, "transfer-encoding")) {
      transfer_encoding = true;
      ascii::for_each_list_item(h.value, [&](std::string_view coding) {
        chunked_last = iequals(coding, "chunked");
        chunked_count += chunked_last ? 1 : 0;
        other_codings += chunked_last ? 0 : 1;
      });
    } else if (iequals(h.name, "connection")) {
      close = close || list_contains(h.value, "close");
      keep_alive = keep_alive || list_contains(h.value, "keep-alive");
      upgrade_token = upgrade_token || list_contains(h.value, "upgrade");
    } else if (iequals(h.name, "upgrade")) {
      upgrade_header = true;
    } else if (iequals(h.name, "expect") && request && minor_version >= 1) {
      // An HTTP/1.0 client cannot mean 100-continue: the expectation is ignored (RFC 9110 §10.1.1).
      if (!iequals(trim_ows(h.value), "100-continue")) {
        error = ParseError{417, "unsupported expectation"};
        return false;
      }
      f.expect_continue = true;
    } else if (iequals(h.name, "host") && host != nullptr) {
      ++hosts;
      *host = h.value;
    }
  }
  f.keep_alive = minor_version >= 1 ? !close : keep_alive && !close;
  f.upgrade = upgrade_token && upgrade_header;
  if (transfer_encoding) {
    if (request) {
      if (f.content_length) {
        error = ParseError{400, "both Content-Length and Transfer-Encoding"};
        return false;
      }
      if (minor_version == 0) {
        error = ParseError{400, "Transfer-Encoding in an HTTP/1.0 request"};
        return false;
      }
      if (chunked_count > 1) {
        error = ParseError{400, "chunked applied more than once"};
        return false;
      }
      if (!chunked_last) {
        error = ParseError{400, "chunked is not the final transfer coding"};
        return false;
      }
      if (other_codings > 0) {
        error = ParseError{501, "transfer coding not implemented"};
        return false;
      }
    } else {
      // A response: Transfer-Encoding overrides Content-Length; without chunked last, the body
      // runs until the connection closes (RFC 9112 §6.3).
      f.content_length.reset();
      if (!chunked_last) f.keep_alive = false;
    }
    f.chunked = chunked_last;
  }
  if (request && minor_version >= 1 && hosts != 1) {
    error = ParseError{400, hosts == 0 ? "missing Host header" : "more than one Host header"};
    return false;
  }
  if (request && hosts > 1) {
    error = ParseError{400, "more than one Host header"};
    return false;
  }
  return true;
}

bool valid_target(std::string_view method, std::string_view target) noexcept {
  if (target.front() == '/') return method != "CONNECT";
  if (target == "*") return method == "OPTIONS";
  if (method == "CONNECT") {  // authority-form: host ":" port, both present
    const std::size_t colon = target.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == target.size() ||
        target.find('/') != std::string_view::npos) {
      return false;
    }
    return std::all_of(target.begin() + static_cast<std::ptrdiff_t>(colon) + 1, target.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  }
  const std::size_t scheme = target.find("://");
  return scheme != std::string_view::npos && scheme > 0 &&
         std::all_of(target.begin(), target.begin() + static_cast<std::ptrdiff_t>(scheme),
                     [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' ||
                              c == '-' || c == '.';
                     });
}

std::optional<std::string_view> find_header(std::span<const Header> headers,
                                            std::string_view name) noexcept {
  for (const Header& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

}  // namespace

bool is_token_char(unsigned char c) noexcept {
  return token_table[c];
}

std::optional<std::string_view> RequestHead::header(std::string_view name) const noexcept {
  return find_header(headers, name);
}

std::optional<std::string_view> ResponseHead::header(std::string_view name) const noexcept {
  return find_header(headers, name);
}

ParseResult parse_request(std::string_view data, RequestHead& out, std::span<Header> storage,
                          const Limits& limits, std::size_t& scanned, ParseError& error) noexcept {
  // RFC 9112 §2.2: ignore empty lines before the request line (left over after a body).
  std::size_t start = 0;
  while (data.size() - start >= 2 && data[start] == '\r' && data[start + 1] == '\n') start += 2;
  if (start > 64) return fail(error, 400, "too many empty lines before the request");

  const std::size_t line_end = data.find("\r\n", start);
  if (line_end == std::string_view::npos) {
    if (has_bare_lf(data, start)) return fail(error, 400, "bare LF line ending");
    if (line_length_so_far(data, start) > limits.max_request_line) {
      return fail(error, 414, "request line too long");
    }
    scanned = data.size();
    return ParseResult::incomplete;
  }
  if (line_end - start > limits.max_request_line) return fail(error, 414, "request line too long");
  const std::size_t scan_from = scanned;
  const std::size_t end = find_head_end(data, line_end, scanned);
  if (end == 0) {
    if (has_bare_lf(data, std::max(scan_from, start)))
      return fail(error, 400, "bare LF line ending");
    if (data.size() - line_end > limits.max_header_bytes + 4) {
      return fail(error, 431, "header fields too large");
    }
    return ParseResult::incomplete;
  }

  const std::string_view line = data.substr(start, line_end - start);
  std::size_t i = 0;
  while (i < line.size() && token_table[static_cast<unsigned char>(line[i])]) ++i;
  if (i == 0 || i == line.size() || line[i] != ' ')
    return fail(error, 400, "malformed request line");
  out.method = line.substr(0, i);
  const std::size_t target_start = i + 1;
  std::size_t j = target_start;
  while (j < line.size() && is_target_char(static_cast<unsigned char>(line[j]))) ++j;
  if (j == target_start || j == line.size() || line[j] != ' ') {
    return fail(error, 400, "malformed request target");
  }
  out.target = line.substr(target_start, j - target_start);
  if (!parse_version(line.substr(j + 1), out.minor_version, error)) return ParseResult::error;
  if (!valid_target(out.method, out.target)) return fail(error, 400, "invalid request target form");

  std::size_t count = 0;
  if (!parse_headers(data.substr(line_end + 2, end - line_end - 4), storage, limits, count,
                     error)) {
    return ParseResult::error;
  }
  out.headers = storage.first(count);
  out.host = {};
  if (!parse_framing(out.headers, out.minor_version, true, out.framing, &out.host, error)) {
    return ParseResult::error;
  }
  out.head_size = end;
  scanned = 0;
  return ParseResult::complete;
}

ParseResult parse_response(std::string_view data, ResponseHead& out, std::span<Header> storage,
                           const Limits& limits, std::size_t& scanned, ParseError& error) noexcept {
  const std::size_t line_end = data.find("\r\n");
  if (line_end == std::string_view::npos) {
    if (has_bare_lf(data, 0)) return fail(error, 502, "bare LF line ending");
    if (line_length_so_far(data, 0) > limits.max_request_line) {
      return fail(error, 502, "status line too long");
    }
    scanned = data.size();
    return ParseResult::incomplete;
  }
  const std::size_t scan_from = scanned;
  const std::size_t end = find_head_end(data, line_end, scanned);
  if (end == 0) {
    if (has_bare_lf(data, scan_from)) return fail(error, 502, "bare LF line ending");
    if (data.size() - line_end > limits.max_header_bytes + 4) {
      return fail(error, 502, "response header fields too large");
    }
    return ParseResult::incomplete;
  }
  const std::string_view line = data.substr(0, line_end);
  if (line.size() < 12 || line[8] != ' ' ||
      !parse_version(line.substr(0, 8), out.minor_version, error)) {
    return fail(error, 502, "malformed status line");
  }
  int status = 0;
  const auto [p, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
  if (ec != std::errc{} || p != line.data() + 12 || status < 100 || status > 999 ||
      (line.size() > 12 && line[12] != ' ')) {
    return fail(error, 502, "malformed status code");
  }
  out.status = status;
  out.reason = line.size() > 13 ? line.substr(13) : std::string_view{};
  for (char c : out.reason) {
    if (!is_field_value_char(static_cast<unsigned char>(c))) {
      return fail(error, 502, "control character in reason phrase");
    }
  }
  std::size_t count = 0;
  if (!parse_headers(data.substr(line_end + 2, end - line_end - 4), storage, limits, count,
                     error) ||
      !parse_framing(storage.first(count), out.minor_version, false, out.framing, nullptr, error)) {
    error.status = 502;  // the peer is a server: a bad response is a bad gateway
    return ParseResult::error;
  }
  out.headers = storage.first(count);
  out.head_size = end;
  scanned = 0;
  return ParseResult::complete;
}

// ---- BodyDecoder ------------------------------------------------------------------------------

BodyDecoder BodyDecoder::fixed(std::uint64_t length, std::size_t max_body) noexcept {
  BodyDecoder d;
  d.state_ = length == 0 ? State::done : State::fixed;
  d.remaining_ = length;
  d.max_body_ = max_body;
  return d;
}

BodyDecoder BodyDecoder::chunked(const Limits& limits) noexcept {
  BodyDecoder d;
  d.state_ = State::size;
  d.max_body_ = limits.max_body;
  d.max_extension_ = limits.max_chunk_extension;
  d.max_trailer_bytes_ = limits.max_header_bytes;
  return d;
}

bool BodyDecoder::chunk_extension_step(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  // qdtext and quoted-pair's second byte (RFC 9110 §5.6.4): HTAB, SP, VCHAR but '"' and '\\',
  // obs-text.
  const bool quotable = c == '\t' || c == ' ' || (u >= 0x21 && u != 0x7f);
  const auto next_or_end = [&] {  // after a complete extension
    if (c == ';') {
      extension_name_ = 0;
      state_ = State::extension_name;
    } else if (c == '\r') {
      state_ = State::size_lf;
    } else {
      return false;
    }
    return true;
  };
  switch (state_) {
    case State::extension_name:
      if (token_table[u]) {
        ++extension_name_;
        return true;
      }
      if (extension_name_ == 0) return false;  // ";" or ";=" without a name
      if (c == '=') {
        state_ = State::extension_value;
        return true;
      }
      return next_or_end();
    case State::extension_value:
      if (c == '"') {
        state_ = State::extension_quoted;
        return true;
      }
      state_ = State::extension_token;
      return token_table[u];
    case State::extension_token:
      return token_table[u] || next_or_end();
    case State::extension_quoted:
      if (c == '"') {
        state_ = State::extension_quoted_end;
      } else if (c == '\\') {
        state_ = State::extension_escape;
      }
      return quotable;  // a CR before the closing quote: unterminated
    case State::extension_escape:
      state_ = State::extension_quoted;
      return quotable;
    case State::extension_quoted_end:
      return next_or_end();
    default:
      return false;
  }
}

std::size_t BodyDecoder::feed(std::string_view data, std::string& out, ParseError& error) noexcept {
  const auto bad = [&](int status, std::string_view reason) {
    error = ParseError{status, reason};
    return npos;
  };
  std::size_t i = 0;
  while (i < data.size() && state_ != State::done) {
    const char c = data[i];
    switch (state_) {
      case State::fixed:
      case State::data: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - i));
        if (received_ + n > max_body_) return bad(413, "body too large");
        out.append(data.substr(i, n));
        received_ += n;
        remaining_ -= n;
        i += n;
        if (remaining_ == 0) state_ = state_ == State::fixed ? State::done : State::data_cr;
        continue;
      }
      case State::size: {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit >= 0) {
          // Leading zeros are allowed, but not without bound; the value must fit 64 bits.
          if (++digits_ > 64 || remaining_ > (~std::uint64_t{0} >> 4)) {
            return bad(400, "chunk size too large");
          }
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(digit);
        } else if (digits_ == 0) {
          return bad(400, "invalid chunk size");
        } else if (c == ';') {
          state_ = State::extension_name;
        } else if (c == '\r') {
          state_ = State::size_lf;
        } else {
          // Whitespace too: "a \r\n" is refused, as llhttp's strict mode does; leniency in the
          // chunk line is where a proxy and a server start to disagree on framing.
          return bad(400, "invalid chunk size");
        }
        break;
      }
      case State::extension_name:
      case State::extension_value:
      case State::extension_token:
      case State::extension_quoted:
      case State::extension_escape:
      case State::extension_quoted_end:
        if (++extension_ > max_extension_) return bad(400, "chunk extension too long");
        if (!chunk_extension_step(c)) return bad(400, "invalid chunk extension");
        break;
      case State::size_lf:
        if (c != '\n') return bad(400, "invalid chunk size line");
        if (received_ + remaining_ > max_body_) return bad(413, "body too large");
        digits_ = 0;
        extension_ = 0;
        extension_name_ = 0;
        state_ = remaining_ == 0 ? State::trailer : State::data;
        break;
      case State::data_cr:
        if (c != '\r') return bad(400, "chunk data longer than its size");
        state_ = State::data_lf;
        break;
      case State::data_lf:
        if (c != '\n') return bad(400, "chunk data longer than its size");
        state_ = State::size;
        break;
      case State::trailer:
        // Trailer lines are field lines, held to the same rules as header lines.
        if (c == '\r') {
          if (line_length_ > 0 && !trailer_value_) return bad(400, "invalid trailer field");
          state_ = State::trailer_lf;
          break;
        }
        if (++trailer_bytes_ > max_trailer_bytes_) return bad(400, "trailer fields too large");
        if (trailer_value_) {
          if (!is_field_value_char(static_cast<unsigned char>(c))) {
            return bad(400, "control character in trailer");
          }
        } else if (c == ':') {
          if (line_length_ == 0) return bad(400, "empty trailer field name");
          trailer_value_ = true;
        } else if (!token_table[static_cast<unsigned char>(c)]) {
          return bad(400, "invalid trailer field");
        }
        ++line_length_;
        break;
      case State::trailer_lf:
        if (c != '\n') return bad(400, "invalid trailer");
        if (line_length_ == 0) {
          state_ = State::done;
        } else {
          line_length_ = 0;
          trailer_value_ = false;
          state_ = State::trailer;
        }
        break;
      case State::done:
        break;
    }
    ++i;
  }
  return i;
}

}  // namespace wirekit::http
