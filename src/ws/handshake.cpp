// The opening handshake and permessage-deflate negotiation (RFC 6455 §4, RFC 7692 §7).
#include <algorithm>
#include <array>
#include <span>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <wirekit/codec.hpp>
#include <wirekit/core/ascii.hpp>
#include <wirekit/core/error.hpp>
#include <wirekit/ws/handshake.hpp>

namespace wirekit::ws {

namespace {

using namespace std::string_view_literals;

constexpr std::string_view deflate_name = "permessage-deflate";
constexpr std::uint8_t max_window = 15;
// zlib refuses window bits 8 for a raw deflate compressor; inflating accepts 8.
constexpr std::uint8_t min_compress_window = 9;
constexpr std::uint8_t min_inflate_window = 8;

[[noreturn]] void fail(const std::string& reason) {
  throw Error(errc::protocol_error, reason);
}

bool is_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return http::is_token_char(static_cast<unsigned char>(c));
  });
}

// True when `key` is the base64 of exactly 16 bytes (RFC 6455 §4.1 item 7).
bool is_valid_key(std::string_view key) {
  try {
    return codec::base64_decode(key).size() == 16;
  } catch (const Error&) {
    return false;
  }
}

template <class Fn>
void for_each_field(std::span<const http::Header> headers, std::string_view name, Fn&& fn) {
  for (const http::Header& h : headers) {
    if (ascii::iequals(h.name, name)) fn(h.value);
  }
}

std::size_t count_fields(std::span<const http::Header> headers, std::string_view name) {
  std::size_t n = 0;
  for_each_field(headers, name, [&](std::string_view) { ++n; });
  return n;
}

// Several fields of a list header are one list (RFC 9110 §5.3).
std::string joined_fields(std::span<const http::Header> headers, std::string_view name) {
  std::string out;
  for_each_field(headers, name, [&](std::string_view value) {
    if (!out.empty()) out += ", ";
    out += value;
  });
  return out;
}

bool any_field_lists(std::span<const http::Header> headers, std::string_view name,
                     std::string_view token) {
  bool found = false;
  for_each_field(headers, name, [&](std::string_view value) {
    found = found || ascii::list_contains(value, token);
  });
  return found;
}

// ---- the extension grammar ------------------------------------------------------------------

// A cursor over a Sec-WebSocket-Extensions value.
class ExtensionReader {
 public:
  explicit ExtensionReader(std::string_view text) : rest_(text) {}

  std::optional<std::vector<ExtensionOffer>> read() {
    std::vector<ExtensionOffer> offers;
    skip_empty_elements();
    while (!rest_.empty()) {
      ExtensionOffer offer;
      if (!read_token(offer.name)) return std::nullopt;
      skip_ows();
      while (consume(';')) {
        ExtensionParam param;
        skip_ows();
        if (!read_token(param.name)) return std::nullopt;
        skip_ows();
        if (consume('=')) {
          skip_ows();
          std::string value;
          if (!(rest_.starts_with('"') ? read_quoted(value) : read_token(value))) {
            return std::nullopt;
          }
          param.value = std::move(value);
          skip_ows();
        }
        offer.params.push_back(std::move(param));
      }
      if (!rest_.empty() && !consume(',')) return std::nullopt;
      offers.push_back(std::move(offer));
      skip_empty_elements();
    }
    if (offers.empty()) return std::nullopt;  // 1#extension: at least one
    return offers;
  }

 private:
  bool consume(char c) noexcept {
    if (!rest_.starts_with(c)) return false;
    rest_.remove_prefix(1);
    return true;
  }
  void skip_ows() noexcept {
    while (!rest_.empty() && ascii::is_ows(rest_.front())) rest_.remove_prefix(1);
  }
  // The list rule allows empty elements: ", a , , b".
  void skip_empty_elements() noexcept {
    skip_ows();
    while (consume(',')) skip_ows();
  }
  bool read_token(std::string& out) {
    std::size_t n = 0;
    while (n < rest_.size() && http::is_token_char(static_cast<unsigned char>(rest_[n]))) ++n;
    if (n == 0) return false;
    out.assign(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return true;
  }
  // A quoted-string (RFC 9110 §5.6.4) whose unescaped text must be a token (RFC 6455 §9.1).
  bool read_quoted(std::string& out) {
    rest_.remove_prefix(1);
    while (!rest_.empty()) {
      char c = rest_.front();
      rest_.remove_prefix(1);
      if (c == '"') return is_token(out);
      if (c == '\\') {
        if (rest_.empty()) return false;
        c = rest_.front();
        rest_.remove_prefix(1);
      }
      out += c;
    }
    return false;
  }

  std::string_view rest_;
};

// ---- permessage-deflate -------------------------------------------------------------------

// Window bits as RFC 7692 §7.1.2 writes them: a decimal 8..15 without leading zeros.
std::optional<std::uint8_t> parse_window_bits(std::string_view text) noexcept {
  if (text.size() == 1 && text[0] == '8') return std::uint8_t{8};
  if (text.size() == 1 && text[0] == '9') return std::uint8_t{9};
  if (text.size() == 2 && text[0] == '1' && text[1] >= '0' && text[1] <= '5') {
    return static_cast<std::uint8_t>(10 + (text[1] - '0'));
  }
  return std::nullopt;
}

// The parameters of one permessage-deflate offer or answer, each checked for its syntax.
struct DeflateRequest {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  std::optional<std::uint8_t> server_max_window_bits;
  bool client_max_window_bits_present = false;
  std::optional<std::uint8_t> client_max_window_bits;  // present without a value: nullopt
};

// nullopt with `why` set when a parameter is unknown, repeated, or has a value it may not
// have (or lacks one it needs).
std::optional<DeflateRequest> read_deflate_params(const ExtensionOffer& offer, std::string& why) {
  DeflateRequest r;
  bool seen_server_nct = false;
  bool seen_client_nct = false;
  bool seen_server_bits = false;
  for (const ExtensionParam& p : offer.params) {
    const auto once = [&](bool& seen) {
      if (seen) why = "repeats " + p.name;
      const bool first = !seen;
      seen = true;
      return first;
    };
    const auto flag = [&](bool& seen, bool& value) {
      if (!once(seen)) return false;
      if (p.value) {
        why = p.name + " has a value";
        return false;
      }
      value = true;
      return true;
    };
    if (ascii::iequals(p.name, "server_no_context_takeover")) {
      if (!flag(seen_server_nct, r.server_no_context_takeover)) return std::nullopt;
    } else if (ascii::iequals(p.name, "client_no_context_takeover")) {
      if (!flag(seen_client_nct, r.client_no_context_takeover)) return std::nullopt;
    } else if (ascii::iequals(p.name, "server_max_window_bits")) {
      if (!once(seen_server_bits)) return std::nullopt;
      r.server_max_window_bits = parse_window_bits(p.value.value_or(""));
      if (!r.server_max_window_bits) {
        why = p.name + " is not 8..15";
        return std::nullopt;
      }
    } else if (ascii::iequals(p.name, "client_max_window_bits")) {
      if (!once(r.client_max_window_bits_present)) return std::nullopt;
      if (p.value) {
        r.client_max_window_bits = parse_window_bits(*p.value);
        if (!r.client_max_window_bits) {
          why = p.name + " is not 8..15";
          return std::nullopt;
        }
      }
    } else {
      why = "has the unknown parameter " + p.name;
      return std::nullopt;
    }
  }
  return r;
}

void check_window(std::uint8_t bits, std::uint8_t min, std::string_view name) {
  if (bits < min || bits > max_window) {
    throw Error(errc::invalid_argument, "deflate option " + std::string(name) + " is " +
                                            std::to_string(bits) + ", not " + std::to_string(min) +
                                            ".." + std::to_string(max_window));
  }
}

// The windows of our own compressor must be 9..15; those we only inflate 8..15.
void check_options(const DeflateOptions& o, bool server) {
  check_window(o.server_max_window_bits, server ? min_compress_window : min_inflate_window,
               "server_max_window_bits");
  check_window(o.client_max_window_bits, server ? min_inflate_window : min_compress_window,
               "client_max_window_bits");
}

// "permessage-deflate; server_no_context_takeover; ...", parameters in the order Python
// websockets writes them; a window of 0 is left out, `bare_client_bits` writes the parameter
// without a value.
std::string deflate_text(bool server_nct, bool client_nct, std::uint8_t server_bits,
                         std::uint8_t client_bits, bool bare_client_bits) {
  std::string out(deflate_name);
  if (server_nct) out += "; server_no_context_takeover";
  if (client_nct) out += "; client_no_context_takeover";
  if (server_bits != 0) out += "; server_max_window_bits=" + std::to_string(server_bits);
  if (bare_client_bits) {
    out += "; client_max_window_bits";
  } else if (client_bits != 0) {
    out += "; client_max_window_bits=" + std::to_string(client_bits);
  }
  return out;
}

// What our client offers for `o` (already checked).
std::string client_offer(const DeflateOptions& o) {
  const bool limit_server = o.server_max_window_bits < max_window;
  const bool limit_client = o.client_max_window_bits < max_window;
  return deflate_text(o.server_no_context_takeover, o.client_no_context_takeover,
                      limit_server ? o.server_max_window_bits : 0,
                      limit_client ? o.client_max_window_bits : 0, !limit_client);
}

// The agreed parameters in the server's answer to our offer; fails on what we cannot honour.
DeflateParams check_deflate_answer(const ExtensionOffer& answer, const DeflateOptions& o) {
  std::string why;
  const auto r = read_deflate_params(answer, why);
  if (!r) fail("the server's permessage-deflate " + why);
  if (o.server_no_context_takeover && !r->server_no_context_takeover) {
    fail("the server did not agree to server_no_context_takeover");
  }
  DeflateParams p;
  p.server_no_context_takeover = r->server_no_context_takeover;
  p.client_no_context_takeover = r->client_no_context_takeover || o.client_no_context_takeover;
  if (r->server_max_window_bits) {
    if (*r->server_max_window_bits > o.server_max_window_bits) {
      fail("the server's server_max_window_bits=" + std::to_string(*r->server_max_window_bits) +
           " exceeds the " + std::to_string(o.server_max_window_bits) + " asked for");
    }
    p.server_max_window_bits = *r->server_max_window_bits;
  } else if (o.server_max_window_bits < max_window) {
    fail("the server did not agree to server_max_window_bits=" +
         std::to_string(o.server_max_window_bits));
  }
  p.client_max_window_bits = o.client_max_window_bits;
  if (r->client_max_window_bits_present) {
    if (!r->client_max_window_bits) fail("the server's client_max_window_bits has no value");
    const std::uint8_t bits = *r->client_max_window_bits;
    if (bits > o.client_max_window_bits) {
      fail("the server's client_max_window_bits=" + std::to_string(bits) + " exceeds the " +
           std::to_string(o.client_max_window_bits) + " offered");
    }
    if (bits < min_compress_window) {
      fail("the server asked for client_max_window_bits=8, a window zlib cannot compress with");
    }
    p.client_max_window_bits = bits;
  }
  return p;
}

}  // namespace

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input;
  input.reserve(client_key.size() + guid.size());
  input.append(client_key).append(guid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) {
    throw Error(errc::invalid_argument, "SHA-1 is not available from OpenSSL");
  }
  return codec::base64_encode(std::as_bytes(std::span(digest.data(), size)));
}

std::string make_client_key() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw Error(errc::invalid_argument, "random number generator failed");
  }
  return codec::base64_encode(std::as_bytes(std::span(bytes)));
}

std::optional<std::vector<ExtensionOffer>> try_parse_extensions(std::string_view header_value) {
  return ExtensionReader(header_value).read();
}

std::optional<std::pair<DeflateParams, std::string>> negotiate_deflate(
    const std::vector<ExtensionOffer>& offers, const DeflateOptions& options) {
  if (!options.enabled) return std::nullopt;
  check_options(options, true);
  for (const ExtensionOffer& offer : offers) {
    if (!ascii::iequals(offer.name, deflate_name)) continue;
    std::string why;
    const auto r = read_deflate_params(offer, why);
    if (!r) continue;
    DeflateParams p;
    p.server_no_context_takeover =
        r->server_no_context_takeover || options.server_no_context_takeover;
    p.client_no_context_takeover =
        r->client_no_context_takeover || options.client_no_context_takeover;
    p.server_max_window_bits =
        std::min(r->server_max_window_bits.value_or(max_window), options.server_max_window_bits);
    // Asked for 8: we may not answer more than asked, and zlib cannot compress with 8.
    if (p.server_max_window_bits < min_compress_window) continue;
    if (r->client_max_window_bits_present) {
      p.client_max_window_bits =
          std::min(r->client_max_window_bits.value_or(max_window), options.client_max_window_bits);
    }
    // server_max_window_bits must be answered when asked for (RFC 7692 §7.1.2.1);
    // client_max_window_bits may be only when offered (§7.1.2.2).
    const bool answer_server_bits =
        r->server_max_window_bits || p.server_max_window_bits < max_window;
    const bool answer_client_bits =
        r->client_max_window_bits_present && p.client_max_window_bits < max_window;
    std::string text = deflate_text(p.server_no_context_takeover, p.client_no_context_takeover,
                                    answer_server_bits ? p.server_max_window_bits : 0,
                                    answer_client_bits ? p.client_max_window_bits : 0, false);
    return std::pair{p, std::move(text)};
  }
  return std::nullopt;
}

UpgradeDecision decide_upgrade(const http::Request& request,
                               const ServerHandshakeOptions& options) {
  UpgradeDecision d;
  const auto refuse = [&](int status, std::string reason) {
    d.status = status;
    d.error = std::move(reason);
    return std::move(d);
  };
  // Options are checked whether or not this client offers deflate: a mistake shows at once.
  if (options.deflate.enabled) check_options(options.deflate, true);
  const std::span<const http::Header> fields = request.headers();
  if (request.method() != "GET") return refuse(400, "a WebSocket upgrade must be a GET");
  if (request.minor_version() < 1) return refuse(400, "a WebSocket upgrade needs HTTP/1.1");
  if (count_fields(fields, "Host") == 0) return refuse(400, "no Host header");
  if (!any_field_lists(fields, "Upgrade", "websocket")) {
    return refuse(400, "no 'Upgrade: websocket' header");
  }
  if (!any_field_lists(fields, "Connection", "upgrade")) {
    return refuse(400, "no 'Connection: Upgrade' header");
  }
  const auto version = request.header("Sec-WebSocket-Version");
  if (count_fields(fields, "Sec-WebSocket-Version") != 1 || *version != "13") {
    d.headers.set("Sec-WebSocket-Version", "13");
    return refuse(426, "Sec-WebSocket-Version must be 13");
  }
  const auto key = request.header("Sec-WebSocket-Key");
  if (count_fields(fields, "Sec-WebSocket-Key") != 1 || !is_valid_key(*key)) {
    return refuse(400, "Sec-WebSocket-Key is not base64 of 16 bytes");
  }
  std::optional<std::vector<ExtensionOffer>> offers;
  if (count_fields(fields, "Sec-WebSocket-Extensions") != 0) {
    offers = try_parse_extensions(joined_fields(fields, "Sec-WebSocket-Extensions"));
    if (!offers) return refuse(400, "Sec-WebSocket-Extensions does not parse");
  }
  if (options.check_origin && !options.check_origin(request.header("Origin").value_or(""))) {
    return refuse(403, "origin not allowed");
  }

  // The subprotocol: ours in order of preference, the first the client offered.
  const std::string offered = joined_fields(fields, "Sec-WebSocket-Protocol");
  for (const std::string& ours : options.subprotocols) {
    bool found = false;
    ascii::for_each_list_item(offered, [&](std::string_view s) { found = found || s == ours; });
    if (found) {
      d.subprotocol = ours;
      break;
    }
  }

  d.headers.set("Upgrade", "websocket");
  d.headers.set("Connection", "Upgrade");
  d.headers.set("Sec-WebSocket-Accept", accept_key(*key));
  if (!d.subprotocol.empty()) d.headers.set("Sec-WebSocket-Protocol", d.subprotocol);
  if (offers) {
    if (auto deflate = negotiate_deflate(*offers, options.deflate)) {
      d.deflate = deflate->first;
      d.headers.set("Sec-WebSocket-Extensions", deflate->second);
    }
  }
  return d;
}

std::string client_request_head(const http::Url& url, std::string_view key,
                                const ClientHandshakeOptions& options) {
  if (!is_valid_key(key)) {
    throw Error(errc::invalid_argument, "Sec-WebSocket-Key is not base64 of 16 bytes");
  }
  // Headers refuses a name that is not a token and a value with a line break: no injection.
  http::Headers headers;
  headers.add("Host", url.authority());
  headers.add("Upgrade", "websocket");
  headers.add("Connection", "Upgrade");
  headers.add("Sec-WebSocket-Key", key);
  headers.add("Sec-WebSocket-Version", "13");
  if (!options.origin.empty()) headers.add("Origin", options.origin);
  if (!options.subprotocols.empty()) {
    std::string list;
    for (const std::string& s : options.subprotocols) {
      if (!is_token(s)) {
        throw Error(errc::invalid_argument, "subprotocol '" + s + "' is not a token");
      }
      if (!list.empty()) list += ", ";
      list += s;
    }
    headers.add("Sec-WebSocket-Protocol", list);
  }
  if (options.deflate.enabled) {
    check_options(options.deflate, false);
    headers.add("Sec-WebSocket-Extensions", client_offer(options.deflate));
  }
  for (const auto& [field_name, value] : options.extra_headers) {
    const std::string& name = field_name;  // clang 14 cannot capture a structured binding
    constexpr std::array owned = {"Host"sv,
                                  "Upgrade"sv,
                                  "Origin"sv,
                                  "Sec-WebSocket-Key"sv,
                                  "Sec-WebSocket-Version"sv,
                                  "Sec-WebSocket-Protocol"sv,
                                  "Sec-WebSocket-Extensions"sv};
    if (http::Headers::is_framing_field(name) ||
        std::any_of(owned.begin(), owned.end(),
                    [&](std::string_view o) { return ascii::iequals(name, o); })) {
      throw Error(errc::invalid_argument,
                  "extra header '" + name + "' is one the WebSocket handshake writes itself");
    }
    headers.add(name, value);
  }
  std::string head = "GET " + url.target + " HTTP/1.1\r\n";
  head += headers.wire();
  head += "\r\n";
  return head;
}

ClientHandshakeResult check_server_response(const http::ResponseHead& response,
                                            std::string_view key,
                                            const ClientHandshakeOptions& options) {
  if (response.status != 101) {
    std::string status = std::to_string(response.status);
    if (const std::string_view phrase = http::reason_phrase(response.status); !phrase.empty()) {
      status.append(" ").append(phrase);
    }
    fail("the server answered " + status + " instead of switching to WebSocket");
  }
  const std::span<const http::Header> fields = response.headers;
  if (!any_field_lists(fields, "Upgrade", "websocket")) {
    fail("the server's 101 answer has no 'Upgrade: websocket'");
  }
  if (!any_field_lists(fields, "Connection", "upgrade")) {
    fail("the server's 101 answer has no 'Connection: Upgrade'");
  }
  const auto accept = response.header("Sec-WebSocket-Accept");
  if (!accept || count_fields(fields, "Sec-WebSocket-Accept") != 1) {
    fail("the server's 101 answer has no single Sec-WebSocket-Accept");
  }
  if (*accept != accept_key(key)) fail("the server's Sec-WebSocket-Accept does not match our key");

  ClientHandshakeResult result;
  if (options.deflate.enabled) check_options(options.deflate, false);
  if (count_fields(fields, "Sec-WebSocket-Extensions") != 0) {
    const auto answers = try_parse_extensions(joined_fields(fields, "Sec-WebSocket-Extensions"));
    if (!answers) fail("the server's Sec-WebSocket-Extensions does not parse");
    for (const ExtensionOffer& answer : *answers) {
      if (!options.deflate.enabled || !ascii::iequals(answer.name, deflate_name)) {
        fail("the server chose the extension " + answer.name + ", which we did not offer");
      }
      if (result.deflate) fail("the server chose permessage-deflate twice");
      result.deflate = check_deflate_answer(answer, options.deflate);
    }
  }

  if (const auto chosen = response.header("Sec-WebSocket-Protocol")) {
    const std::string protocol(ascii::trim_ows(*chosen));
    if (count_fields(fields, "Sec-WebSocket-Protocol") != 1 ||
        protocol.find(',') != std::string::npos) {
      fail("the server chose more than one subprotocol");
    }
    if (std::find(options.subprotocols.begin(), options.subprotocols.end(), protocol) ==
        options.subprotocols.end()) {
      fail("the server chose the subprotocol '" + protocol + "', which we did not offer");
    }
    result.subprotocol = protocol;
  }
  return result;
}

}  // namespace wirekit::ws
