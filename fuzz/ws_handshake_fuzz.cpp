// Fuzzes the WebSocket handshake on bytes a peer chooses: the input as a Sec-WebSocket-Extensions
// value (parsed, negotiated by our server, and checked by our client as a server's answer), and
// as an upgrade request parsed by the HTTP parser and decided by decide_upgrade. Besides not
// crashing, it checks what callers rely on: parsed names and values are tokens, an accepted
// offer's answer parses back to what was agreed, the client fails only with protocol_error, and
// a decision is 101 with the fields a 101 needs, or a 4xx with a reason.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/core/error.hpp>
#include <wirekit/http/message.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/net/address.hpp>
#include <wirekit/ws/handshake.hpp>

namespace {

using namespace wirekit;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return http::is_token_char(static_cast<unsigned char>(c));
  });
}

// Our server's option sets: the defaults, Python websockets' 12/12, and a shared compressor.
std::array<ws::DeflateOptions, 3> server_options() {
  ws::DeflateOptions python;
  python.server_max_window_bits = 12;
  python.client_max_window_bits = 12;
  ws::DeflateOptions shared;
  shared.server_max_window_bits = 9;
  shared.server_no_context_takeover = true;
  shared.client_no_context_takeover = true;
  return {ws::DeflateOptions{}, python, shared};
}

constexpr std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==";

// A 101 answer to `key` whose other fields are `extra`, checked by our client: either it
// succeeds or it fails with protocol_error.
void check_as_client(std::span<const http::Header> extra, const ws::ClientHandshakeOptions& o) {
  const std::string accept = ws::accept_key(key);
  std::vector<http::Header> fields = {
      {"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", accept}};
  fields.insert(fields.end(), extra.begin(), extra.end());
  http::ResponseHead response;
  response.status = 101;
  response.headers = fields;
  try {
    const ws::ClientHandshakeResult r = ws::check_server_response(response, key, o);
    if (r.deflate) {
      check(r.deflate->server_max_window_bits >= 8 && r.deflate->server_max_window_bits <= 15);
      check(r.deflate->client_max_window_bits >= 9 && r.deflate->client_max_window_bits <= 15);
    }
  } catch (const Error& e) {
    check(e.code() == errc::protocol_error);
    check(std::string_view(e.what()).find('\n') == std::string_view::npos);
  }
}

void fuzz_extensions(std::string_view input) {
  const auto offers = ws::try_parse_extensions(input);
  if (offers) {
    check(!offers->empty());
    for (const ws::ExtensionOffer& offer : *offers) {
      check(is_token(offer.name));
      for (const ws::ExtensionParam& p : offer.params) {
        check(is_token(p.name));
        check(!p.value || is_token(*p.value));
      }
    }
    for (const ws::DeflateOptions& options : server_options()) {
      const auto accepted = ws::negotiate_deflate(*offers, options);
      if (!accepted) continue;
      const ws::DeflateParams& p = accepted->first;
      check(p.server_max_window_bits >= 9 &&
            p.server_max_window_bits <= options.server_max_window_bits);
      check(p.client_max_window_bits >= 8 && p.client_max_window_bits <= 15);
      check(!options.server_no_context_takeover || p.server_no_context_takeover);
      const auto answer = ws::try_parse_extensions(accepted->second);
      check(answer && answer->size() == 1 && answer->front().name == "permessage-deflate");
    }
  }
  const std::array extra = {http::Header{"Sec-WebSocket-Extensions", input}};
  check_as_client(extra, ws::ClientHandshakeOptions{});
  ws::ClientHandshakeOptions limited;
  limited.deflate.server_max_window_bits = 10;
  limited.deflate.client_max_window_bits = 12;
  limited.deflate.server_no_context_takeover = true;
  check_as_client(extra, limited);
}

void fuzz_upgrade(std::string_view input) {
  std::array<http::Header, 100> storage{};
  http::RequestHead head;
  http::ParseError error;
  std::size_t scanned = 0;
  if (http::parse_request(input, head, storage, http::Limits{}, scanned, error) !=
      http::ParseResult::complete) {
    return;
  }
  static const net::SocketAddress peer = *net::SocketAddress::try_parse("127.0.0.1:5000");
  const http::Request request(head, peer);
  ws::ServerHandshakeOptions options;
  options.subprotocols = {"chat", "superchat"};
  options.check_origin = [](std::string_view origin) { return origin != "http://evil.example"; };
  for (const ws::DeflateOptions& deflate : server_options()) {
    options.deflate = deflate;
    const ws::UpgradeDecision d = ws::decide_upgrade(request, options);
    if (d.status != 101) {
      check(d.status == 400 || d.status == 403 || d.status == 426);
      check(!d.error.empty());
      check(d.status != 426 || d.headers.get("Sec-WebSocket-Version") == "13");
      continue;
    }
    check(d.error.empty());
    check(d.headers.get("Sec-WebSocket-Accept").has_value());
    check(d.deflate.has_value() == d.headers.contains("Sec-WebSocket-Extensions"));
    check(d.subprotocol.empty() || d.subprotocol == "chat" || d.subprotocol == "superchat");
    // Our own client, offering what the request offered, takes the answer or names why not.
    std::vector<http::Header> fields;
    for (const auto [name, value] : d.headers) {
      if (name != "Upgrade" && name != "Connection" && name != "Sec-WebSocket-Accept") {
        fields.push_back({name, value});
      }
    }
    ws::ClientHandshakeOptions client;
    client.subprotocols = options.subprotocols;
    check_as_client(fields, client);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz_extensions(input);
  fuzz_upgrade(input);
  return 0;
}
