// The WebSocket opening handshake (RFC 6455 §4) and the negotiation of permessage-deflate
// (RFC 7692 §7), for both sides: pure functions over the HTTP messages, no I/O.
//
// Server: decide_upgrade(request, options) checks an upgrade request and says what to answer —
// 101 with its fields, or 400/403/426 with a reason. Client: client_request_head() writes the
// GET that asks for the upgrade, and check_server_response() checks the answer against it.
//
//   auto decision = ws::decide_upgrade(request, {.subprotocols = {"chat"}});
//   if (decision.status != 101) return http::Response::error(decision.status, decision.error);
//
// zlib cannot compress raw deflate with a 256-byte window (window bits 8), so a compressor is
// never asked for one: the server declines an offer that limits its own window to 8, and the
// client refuses an answer that limits its window to 8. Window bits 8 are accepted where they
// only bound what is inflated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wirekit/http/message.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/http/url.hpp>

namespace wirekit::ws {

// base64(SHA-1(client_key + the RFC's GUID)): the Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);
// A fresh Sec-WebSocket-Key: base64 of 16 random bytes.
std::string make_client_key();

// Sec-WebSocket-Extensions (RFC 6455 §9.1): offers separated by commas, each a name and
// parameters separated by semicolons, "permessage-deflate; client_max_window_bits=10".
struct ExtensionParam {
  std::string name;
  std::optional<std::string> value;  // unquoted when it was a quoted-string
};
struct ExtensionOffer {
  std::string name;
  std::vector<ExtensionParam> params;
};
// The offers of a header value, in order; several fields of the header are one list, joined
// with ", ". nullopt when the value breaks the grammar (a quoted value must be a token once
// unquoted) or holds no offer at all.
std::optional<std::vector<ExtensionOffer>> try_parse_extensions(std::string_view header_value);

// What the two sides agreed for permessage-deflate. The window bits bound the LZ77 window of
// each direction's compressor; the inflating side may always use a larger window.
struct DeflateParams {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  std::uint8_t server_max_window_bits = 15;
  std::uint8_t client_max_window_bits = 15;
};

// Our side of permessage-deflate. A window of our own compressor must be 9..15, one we only
// inflate 8..15; every function taking them throws Error(errc::invalid_argument) for others.
struct DeflateOptions {
  bool enabled = true;
  // Server: the largest window our server compresses with (answered only when below 15 or
  // asked for). Client: asked of the server when below 15.
  std::uint8_t server_max_window_bits = 15;
  // Server: asked of the client when it offered client_max_window_bits. Client: the largest
  // window our client compresses with (offered as a value when below 15).
  std::uint8_t client_max_window_bits = 15;
  // Server: we reset our compressor per message, so that one compressor per loop serves every
  // connection, and one compressed form of a broadcast every peer (memory, CPU).
  // Client: asked of the server.
  bool server_no_context_takeover = false;
  // Server: asked of the client. Client: we reset our compressor per message.
  bool client_no_context_takeover = false;
  std::size_t compression_threshold = 128;  // smaller messages are sent uncompressed
  int mem_level = 8;                        // zlib's memLevel (1..9) of our compressor
};

// The server's choice among the client's offers: the first permessage-deflate offer it can
// accept, with the agreed parameters and the text of the answer ("permessage-deflate;
// server_max_window_bits=12"). An offer with an unknown or repeated parameter or an invalid
// value is declined, and so is one asking our compressor for window bits 8. nullopt: none
// accepted, or `options.enabled` is false.
std::optional<std::pair<DeflateParams, std::string>> negotiate_deflate(
    const std::vector<ExtensionOffer>& offers, const DeflateOptions& options);

struct ServerHandshakeOptions {
  std::vector<std::string> subprotocols;  // ours, in order of preference
  // Python websockets 10.4's server defaults: windows of 12 bits both ways (the client's only
  // when it offered client_max_window_bits) and memLevel 5, some 20 KiB of deflater instead of
  // 256 KiB at 15 and 8; it answers Python's offer as the Python server does.
  DeflateOptions deflate{
      .server_max_window_bits = 12, .client_max_window_bits = 12, .mem_level = 5};
  std::function<bool(std::string_view origin)> check_origin;  // null: any origin
};

struct UpgradeDecision {
  int status = 101;         // 101; 400, 403 (origin refused) or 426 (Sec-WebSocket-Version not 13)
  std::string error;        // a one-line reason, for a status other than 101
  std::string subprotocol;  // empty: none
  std::optional<DeflateParams> deflate;
  // 101: Upgrade, Connection, Sec-WebSocket-Accept and, when chosen, Sec-WebSocket-Protocol
  // and Sec-WebSocket-Extensions (wirekit's server writes Connection itself and drops this
  // one). 426: Sec-WebSocket-Version: 13.
  http::Headers headers;
};

// Checks an upgrade request (RFC 6455 §4.2.1): GET, HTTP/1.1 or later, Host, Upgrade holding
// "websocket", Connection holding "upgrade", a Sec-WebSocket-Key that is base64 of 16 bytes, a
// well-formed Sec-WebSocket-Extensions if any, and Sec-WebSocket-Version 13 — then the origin.
// The subprotocol is the first of ours the client offered.
UpgradeDecision decide_upgrade(const http::Request& request, const ServerHandshakeOptions& options);

struct ClientHandshakeOptions {
  std::vector<std::string> subprotocols;  // offered in this order
  // Enabled: "permessage-deflate; client_max_window_bits" (as Python websockets 10.4 offers),
  // with the limits configured below 15 and the no_context_takeover flags set.
  DeflateOptions deflate;
  std::vector<std::pair<std::string, std::string>> extra_headers;  // User-Agent, Cookie...
  std::string origin;                                              // empty: no Origin
};

// The request head asking `url` for the upgrade, blank line included. A ws:// URL is given as
// its http:// twin, a wss:// one as https://. Throws Error(errc::invalid_argument) for a key
// that is not base64 of 16 bytes, a subprotocol that is not a token, an extra header that is
// not a valid field or that names a field the handshake writes itself.
std::string client_request_head(const http::Url& url, std::string_view key,
                                const ClientHandshakeOptions& options);

struct ClientHandshakeResult {
  std::string subprotocol;  // empty: the server chose none
  std::optional<DeflateParams> deflate;
};

// Checks the server's answer to the request client_request_head() made with `key` and
// `options`. Throws Error(errc::protocol_error) with a one-line reason: a status other than
// 101, Upgrade or Connection missing, a wrong Sec-WebSocket-Accept, a subprotocol or extension
// we did not offer, or deflate parameters we cannot honour (client_max_window_bits=8 among
// them: see the top of this file).
ClientHandshakeResult check_server_response(const http::ResponseHead& response,
                                            std::string_view key,
                                            const ClientHandshakeOptions& options);

}  // namespace wirekit::ws
