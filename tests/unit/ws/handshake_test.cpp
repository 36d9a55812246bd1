#include <array>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/codec.hpp>
#include <wirekit/core/error.hpp>
#include <wirekit/http/message.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/http/url.hpp>
#include <wirekit/ws.hpp>

#include "http/http_support.hpp"

namespace wirekit::ws {
namespace {

using http::support::TestRequest;

constexpr std::string_view rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view rfc_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// A response head parsed from text, with the bytes and fields it points into kept beside it.
class TestResponse {
 public:
  explicit TestResponse(std::string raw) : raw_(std::move(raw)), storage_(100) {
    std::size_t scanned = 0;
    http::ParseError error;
    if (http::parse_response(raw_, head_, storage_, http::Limits{}, scanned, error) !=
        http::ParseResult::complete) {
      throw std::invalid_argument("test response does not parse: " + std::string(error.reason));
    }
  }
  TestResponse(const TestResponse&) = delete;
  TestResponse& operator=(const TestResponse&) = delete;
  const http::ResponseHead& operator*() const noexcept { return head_; }

 private:
  std::string raw_;
  std::vector<http::Header> storage_;
  http::ResponseHead head_;
};

// "HTTP/1.1 101 ..." answering the RFC key, with `extra` (whole header lines) after the
// handshake's own fields.
std::string switching(std::string_view extra = {}) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         std::string(rfc_accept) + "\r\n" + std::string(extra) + "\r\n";
}

// An upgrade request with the RFC key; `extra` holds whole header lines.
std::string upgrade_request(std::string_view extra = {}) {
  return "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Key: " +
         std::string(rfc_key) + "\r\nSec-WebSocket-Version: 13\r\n" + std::string(extra) + "\r\n";
}

UpgradeDecision decide(std::string raw, const ServerHandshakeOptions& options = {}) {
  TestRequest request(std::move(raw));
  return decide_upgrade(*request, options);
}

ClientHandshakeResult check_response(std::string raw, const ClientHandshakeOptions& options = {}) {
  TestResponse response(std::move(raw));
  return check_server_response(*response, rfc_key, options);
}

// The message of the protocol_error `fn` throws ("" when it throws none).
std::string protocol_error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::protocol_error) << e.what();
    return e.what();
  }
  return "";
}

std::string response_error(std::string raw, const ClientHandshakeOptions& options = {}) {
  return protocol_error_of([&] { check_response(std::move(raw), options); });
}

std::vector<ExtensionOffer> offers(std::string_view text) {
  auto parsed = try_parse_extensions(text);
  if (!parsed) throw std::invalid_argument("test offer does not parse: " + std::string(text));
  return *parsed;
}

// The answer our server gives to `text`, or "declined".
std::string answer_to(std::string_view text, const DeflateOptions& options = {}) {
  const auto accepted = negotiate_deflate(offers(text), options);
  return accepted ? accepted->second : "declined";
}

DeflateOptions python_server() {  // websockets 10.4's server defaults
  DeflateOptions o;
  o.server_max_window_bits = 12;
  o.client_max_window_bits = 12;
  return o;
}

// ---- keys ---------------------------------------------------------------------------------

TEST(HandshakeKeys, AcceptKeyMatchesTheRfcExample) {
  EXPECT_EQ(accept_key(rfc_key), rfc_accept);  // RFC 6455 §1.3
}

TEST(HandshakeKeys, ClientKeysAreBase64OfSixteenFreshBytes) {
  const std::string a = make_client_key();
  const std::string b = make_client_key();
  EXPECT_EQ(a.size(), 24u);
  EXPECT_EQ(codec::base64_decode(a).size(), 16u);
  EXPECT_NE(a, b);
}

// ---- the extension grammar ------------------------------------------------------------------

TEST(ExtensionParse, ReadsOffersParamsAndValues) {
  const auto parsed = try_parse_extensions(
      "permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-webkit-deflate");
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  const ExtensionOffer& first = (*parsed)[0];
  EXPECT_EQ(first.name, "permessage-deflate");
  ASSERT_EQ(first.params.size(), 2u);
  EXPECT_EQ(first.params[0].name, "client_max_window_bits");
  EXPECT_EQ(first.params[0].value, std::nullopt);
  EXPECT_EQ(first.params[1].name, "server_max_window_bits");
  EXPECT_EQ(first.params[1].value, "10");
  EXPECT_EQ((*parsed)[1].name, "x-webkit-deflate");
  EXPECT_TRUE((*parsed)[1].params.empty());
}

TEST(ExtensionParse, UnquotesQuotedValues) {
  const auto parsed = try_parse_extensions(R"(a; b="10"; c="x\yz")");
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->front().params.size(), 2u);
  EXPECT_EQ(parsed->front().params[0].value, "10");
  EXPECT_EQ(parsed->front().params[1].value, "xyz");
}

TEST(ExtensionParse, AllowsWhitespaceAndEmptyListElements) {
  const auto parsed = try_parse_extensions(" , a ;b = 1 ;\tc , , d ,");
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].name, "a");
  ASSERT_EQ((*parsed)[0].params.size(), 2u);
  EXPECT_EQ((*parsed)[0].params[0].value, "1");
  EXPECT_EQ((*parsed)[0].params[1].name, "c");
  EXPECT_EQ((*parsed)[1].name, "d");
}

TEST(ExtensionParse, RefusesSyntaxErrors) {
  for (const std::string_view bad :
       {"",           " , ",        ";",           "a;",          "a; ",
        "a;=1",       "a=1",        "a; b=",       "a; b=,",      R"(a; b="c d")",
        R"(a; b="")", R"(a; b="1)", R"(a; b="1\)", "a b",         "a; b c",
        "a; b=1 2",   "a; b==1",    "a, b;",       "a; b=\"1\"x", "caf\xC3\xA9"}) {
    EXPECT_EQ(try_parse_extensions(bad), std::nullopt) << bad;
  }
}

// ---- permessage-deflate: our server --------------------------------------------------------

TEST(DeflateNegotiation, AcceptsTheBareOffer) {
  const auto accepted = negotiate_deflate(offers("permessage-deflate"), {});
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->second, "permessage-deflate");
  EXPECT_FALSE(accepted->first.server_no_context_takeover);
  EXPECT_FALSE(accepted->first.client_no_context_takeover);
  EXPECT_EQ(accepted->first.server_max_window_bits, 15);
  EXPECT_EQ(accepted->first.client_max_window_bits, 15);
}

TEST(DeflateNegotiation, AcceptsClientMaxWindowBitsWithoutAValue) {
  EXPECT_EQ(answer_to("permessage-deflate; client_max_window_bits"), "permessage-deflate");
  DeflateOptions small;
  small.client_max_window_bits = 10;
  const auto accepted =
      negotiate_deflate(offers("permessage-deflate; client_max_window_bits"), small);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->second, "permessage-deflate; client_max_window_bits=10");
  EXPECT_EQ(accepted->first.client_max_window_bits, 10);
}

TEST(DeflateNegotiation, AnswersPythonWebsocketsClientAsItsServerDoes) {
  // websockets 10.4's client offer, and its server's answer (protocol-facts §1d).
  const auto accepted =
      negotiate_deflate(offers("permessage-deflate; client_max_window_bits"), python_server());
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->second,
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
  EXPECT_EQ(accepted->first.server_max_window_bits, 12);
  EXPECT_EQ(accepted->first.client_max_window_bits, 12);
}

TEST(DeflateNegotiation, HonoursEachServerWindowAskedFor) {
  for (int bits = 9; bits <= 15; ++bits) {
    const std::string offer = "permessage-deflate; server_max_window_bits=" + std::to_string(bits);
    const auto accepted = negotiate_deflate(offers(offer), {});
    ASSERT_TRUE(accepted) << bits;
    EXPECT_EQ(accepted->second, offer);  // answered even at 15: the RFC requires it when asked
    EXPECT_EQ(accepted->first.server_max_window_bits, bits);
    // Our own limit is lower: the smaller of the two is answered.
    const auto limited = negotiate_deflate(offers(offer), python_server());
    ASSERT_TRUE(limited);
    EXPECT_EQ(limited->first.server_max_window_bits, std::min(bits, 12));
    EXPECT_EQ(limited->second,
              "permessage-deflate; server_max_window_bits=" + std::to_string(std::min(bits, 12)));
  }
}

TEST(DeflateNegotiation, TakesEachClientWindowOffered) {
  for (int bits = 8; bits <= 15; ++bits) {
    const std::string offer = "permessage-deflate; client_max_window_bits=" + std::to_string(bits);
    const auto accepted = negotiate_deflate(offers(offer), {});
    ASSERT_TRUE(accepted) << bits;  // 8 too: we only inflate with it
    EXPECT_EQ(accepted->first.client_max_window_bits, bits);
    EXPECT_EQ(accepted->second, bits < 15 ? offer : "permessage-deflate");
    const auto limited = negotiate_deflate(offers(offer), python_server());
    ASSERT_TRUE(limited);
    EXPECT_EQ(limited->first.client_max_window_bits, std::min(bits, 12));
  }
}

TEST(DeflateNegotiation, AnswersOurServerWindowBelowFifteenUnasked) {
  DeflateOptions o;
  o.server_max_window_bits = 10;
  EXPECT_EQ(answer_to("permessage-deflate", o), "permessage-deflate; server_max_window_bits=10");
}

TEST(DeflateNegotiation, NeverAnswersClientMaxWindowBitsUnoffered) {
  DeflateOptions o;
  o.client_max_window_bits = 10;
  const auto accepted = negotiate_deflate(offers("permessage-deflate"), o);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->second, "permessage-deflate");
  EXPECT_EQ(accepted->first.client_max_window_bits, 15);
}

TEST(DeflateNegotiation, EchoesNoContextTakeoverOnBothSides) {
  const auto accepted = negotiate_deflate(
      offers("permessage-deflate; server_no_context_takeover; client_no_context_takeover"), {});
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->second,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  EXPECT_TRUE(accepted->first.server_no_context_takeover);
  EXPECT_TRUE(accepted->first.client_no_context_takeover);
}

TEST(DeflateNegotiation, SharedCompressorAnswersNoContextTakeoverUnasked) {
  DeflateOptions shared;
  shared.server_no_context_takeover = true;
  shared.client_no_context_takeover = true;
  EXPECT_EQ(answer_to("permessage-deflate", shared),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
}

TEST(DeflateNegotiation, FallsBackToTheNextOffer) {
  // Autobahn 13.7-like: a list of offers, the first acceptable one wins.
  const auto accepted = negotiate_deflate(
      offers("permessage-deflate; foo, permessage-deflate; client_max_window_bits=9; "
             "server_no_context_takeover, permessage-deflate"),
      {});
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->second,
            "permessage-deflate; server_no_context_takeover; "
            "client_max_window_bits=9");
}

TEST(DeflateNegotiation, DeclinesUnknownDuplicateAndInvalidParams) {
  for (const std::string_view bad : {
           "permessage-deflate; foo",
           "permessage-deflate; foo=1",
           "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
           "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
           "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
           "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
           "permessage-deflate; server_no_context_takeover=1",
           "permessage-deflate; client_no_context_takeover=true",
           "permessage-deflate; server_max_window_bits",
           "permessage-deflate; server_max_window_bits=7",
           "permessage-deflate; server_max_window_bits=16",
           "permessage-deflate; server_max_window_bits=010",
           "permessage-deflate; client_max_window_bits=0",
           "permessage-deflate; client_max_window_bits=1a",
           "permessage-deflate; client_max_window_bits=7",
       }) {
    EXPECT_EQ(answer_to(bad), "declined") << bad;
    // The same offer followed by a good one: the good one is taken.
    EXPECT_EQ(answer_to(std::string(bad) + ", permessage-deflate"), "permessage-deflate") << bad;
  }
}

TEST(DeflateNegotiation, AcceptsAQuotedWindow) {
  EXPECT_EQ(answer_to(R"(permessage-deflate; server_max_window_bits="10")"),
            "permessage-deflate; server_max_window_bits=10");
}

TEST(DeflateNegotiation, DeclinesServerWindowEightAndTakesTheNextOffer) {
  // Our compressor may not exceed 8 once asked, and zlib cannot compress with 8.
  EXPECT_EQ(answer_to("permessage-deflate; server_max_window_bits=8"), "declined");
  EXPECT_EQ(answer_to("permessage-deflate; server_max_window_bits=8, "
                      "permessage-deflate; server_max_window_bits=9"),
            "permessage-deflate; server_max_window_bits=9");
}

TEST(DeflateNegotiation, IgnoresOtherExtensionsAndCanBeDisabled) {
  EXPECT_EQ(answer_to("x-webkit-deflate-frame"), "declined");
  EXPECT_EQ(answer_to("x-webkit-deflate-frame, PerMessage-Deflate"), "permessage-deflate");
  DeflateOptions off;
  off.enabled = false;
  EXPECT_EQ(answer_to("permessage-deflate", off), "declined");
}

TEST(DeflateNegotiation, RefusesWindowsOurOptionsCannotHave) {
  DeflateOptions o;
  o.server_max_window_bits = 8;  // our compressor: 9..15
  EXPECT_THROW(negotiate_deflate(offers("permessage-deflate"), o), Error);
  o.server_max_window_bits = 15;
  o.client_max_window_bits = 16;
  EXPECT_THROW(negotiate_deflate(offers("permessage-deflate"), o), Error);
  o.client_max_window_bits = 8;  // only inflated: allowed
  EXPECT_TRUE(negotiate_deflate(offers("permessage-deflate; client_max_window_bits"), o));
}

// ---- decide_upgrade ------------------------------------------------------------------------

TEST(HandshakeServer, SwitchesForAValidRequest) {
  const UpgradeDecision d = decide(upgrade_request());
  EXPECT_EQ(d.status, 101);
  EXPECT_EQ(d.error, "");
  EXPECT_EQ(d.subprotocol, "");
  EXPECT_EQ(d.deflate, std::nullopt);
  EXPECT_EQ(d.headers.wire(),
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");
}

TEST(HandshakeServer, RefusesInvalidDeflateOptionsEvenWithoutAnOffer) {
  ServerHandshakeOptions o;
  o.deflate.server_max_window_bits = 8;
  EXPECT_THROW(decide(upgrade_request(), o), Error);
  o.deflate.enabled = false;
  EXPECT_EQ(decide(upgrade_request(), o).status, 101);
}

TEST(HandshakeServer, ReadsUpgradeAndConnectionAsCaseInsensitiveLists) {
  const UpgradeDecision d = decide(
      "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: foo, WebSocket\r\n"
      "Connection: keep-alive, UPGRADE\r\nSec-WebSocket-Key: " +
      std::string(rfc_key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
  EXPECT_EQ(d.status, 101) << d.error;
}

TEST(HandshakeServer, RefusesWhatIsNotAnUpgrade) {
  const auto without = [](std::string_view field) {
    std::string raw = upgrade_request();
    const std::size_t at = raw.find(field);
    raw.erase(at, raw.find("\r\n", at) + 2 - at);
    return raw;
  };
  const std::string key_line = "Sec-WebSocket-Key: " + std::string(rfc_key) + "\r\n";
  struct Case {
    std::string raw;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"POST /chat" + upgrade_request().substr(9), "a WebSocket upgrade must be a GET"},
      {"GET / HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key_line +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       "a WebSocket upgrade needs HTTP/1.1"},
      {without("Upgrade:"), "no 'Upgrade: websocket' header"},
      {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n" + key_line +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       "no 'Upgrade: websocket' header"},
      {without("Connection:"), "no 'Connection: Upgrade' header"},
      {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n" + key_line +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       "no 'Connection: Upgrade' header"},
      {without("Sec-WebSocket-Key:"), "Sec-WebSocket-Key is not base64 of 16 bytes"},
      {upgrade_request(key_line), "Sec-WebSocket-Key is not base64 of 16 bytes"},  // two
      {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\nSec-WebSocket-Version: 13\r\n\r\n",
       "Sec-WebSocket-Key is not base64 of 16 bytes"},  // 15 bytes
      {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\nSec-WebSocket-Version: 13\r\n\r\n",
       "Sec-WebSocket-Key is not base64 of 16 bytes"},  // non-canonical padding bits
      {upgrade_request("Sec-WebSocket-Extensions: permessage-deflate; =\r\n"),
       "Sec-WebSocket-Extensions does not parse"},
  };
  for (const Case& c : cases) {
    const UpgradeDecision d = decide(c.raw);
    EXPECT_EQ(d.status, 400) << c.raw;
    EXPECT_EQ(d.error, c.error) << c.raw;
    EXPECT_TRUE(d.headers.empty()) << c.raw;
  }
}

TEST(HandshakeServer, RefusesARequestWithoutHost) {
  // The parser already refuses an HTTP/1.1 request without Host; a head made otherwise is
  // checked too.
  const std::string key(rfc_key);
  const std::array<http::Header, 4> fields = {
      http::Header{"Upgrade", "websocket"}, http::Header{"Connection", "Upgrade"},
      http::Header{"Sec-WebSocket-Key", key}, http::Header{"Sec-WebSocket-Version", "13"}};
  http::RequestHead head;
  head.method = "GET";
  head.target = "/";
  head.headers = fields;
  const http::Request request(head, http::support::test_peer());
  const UpgradeDecision d = decide_upgrade(request, {});
  EXPECT_EQ(d.status, 400);
  EXPECT_EQ(d.error, "no Host header");
}

TEST(HandshakeServer, AnswersOtherVersionsWith426) {
  std::string without = upgrade_request();
  without.erase(without.find("Sec-WebSocket-Version: 13\r\n"), 27);
  std::string v8 = upgrade_request();
  v8.replace(v8.find("Version: 13"), 11, "Version: 8");
  for (const std::string& raw : {without, v8, upgrade_request("Sec-WebSocket-Version: 13\r\n"),
                                 upgrade_request("Sec-WebSocket-Version: 8\r\n")}) {
    const UpgradeDecision d = decide(raw);
    EXPECT_EQ(d.status, 426) << raw;
    EXPECT_EQ(d.error, "Sec-WebSocket-Version must be 13");
    EXPECT_EQ(d.headers.wire(), "Sec-WebSocket-Version: 13\r\n");
  }
}

TEST(HandshakeServer, RefusesAnOriginTheCheckRefuses) {
  ServerHandshakeOptions o;
  std::string seen = "not called";
  o.check_origin = [&](std::string_view origin) {
    seen = origin;
    return origin == "https://good.example";
  };
  const UpgradeDecision refused = decide(upgrade_request("Origin: https://evil.example\r\n"), o);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.error, "origin not allowed");
  EXPECT_EQ(seen, "https://evil.example");
  EXPECT_EQ(decide(upgrade_request("Origin: https://good.example\r\n"), o).status, 101);
  EXPECT_EQ(decide(upgrade_request(), o).status, 403);  // no Origin: the check sees ""
  EXPECT_EQ(seen, "");
}

TEST(HandshakeServer, ChoosesTheFirstOfOurSubprotocolsTheClientOffers) {
  ServerHandshakeOptions o;
  o.subprotocols = {"chat", "superchat"};
  const UpgradeDecision d =
      decide(upgrade_request("Sec-WebSocket-Protocol: superchat, chat\r\n"), o);
  EXPECT_EQ(d.subprotocol, "chat");
  EXPECT_EQ(d.headers.get("Sec-WebSocket-Protocol"), "chat");
  // Several fields are one list.
  EXPECT_EQ(decide(upgrade_request("Sec-WebSocket-Protocol: v1\r\n"
                                   "Sec-WebSocket-Protocol: superchat\r\n"),
                   o)
                .subprotocol,
            "superchat");
  // None in common, or none of ours: no subprotocol, and no field.
  const UpgradeDecision none = decide(upgrade_request("Sec-WebSocket-Protocol: v1, Chat\r\n"), o);
  EXPECT_EQ(none.status, 101);
  EXPECT_EQ(none.subprotocol, "");
  EXPECT_FALSE(none.headers.contains("Sec-WebSocket-Protocol"));
  EXPECT_EQ(decide(upgrade_request("Sec-WebSocket-Protocol: chat\r\n")).subprotocol, "");
}

TEST(HandshakeServer, NegotiatesDeflateWithPythonWebsocketsClient) {
  // What websockets 10.4's connect() sends (protocol-facts §1d).
  ServerHandshakeOptions o;
  o.deflate = python_server();
  const UpgradeDecision d = decide(
      "GET / HTTP/1.1\r\nHost: localhost:8765\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: " +
          std::string(rfc_key) +
          "\r\nSec-WebSocket-Version: 13\r\n"
          "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
          "User-Agent: Python/3.11 websockets/10.4\r\n\r\n",
      o);
  ASSERT_EQ(d.status, 101) << d.error;
  ASSERT_TRUE(d.deflate);
  EXPECT_EQ(d.deflate->server_max_window_bits, 12);
  EXPECT_EQ(d.deflate->client_max_window_bits, 12);
  EXPECT_EQ(d.headers.get("Sec-WebSocket-Extensions"),
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
}

TEST(HandshakeServer, ReadsExtensionsAcrossFields) {
  const UpgradeDecision d =
      decide(upgrade_request("Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"
                             "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
  ASSERT_EQ(d.status, 101);
  EXPECT_TRUE(d.deflate);
  EXPECT_EQ(d.headers.get("Sec-WebSocket-Extensions"),
            "permessage-deflate; server_max_window_bits=12");
}

TEST(HandshakeServer, AnswersPythonsOfferAsThePythonServerDoesByDefault) {
  const UpgradeDecision d = decide(
      upgrade_request("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
  ASSERT_EQ(d.status, 101);
  EXPECT_EQ(d.headers.get("Sec-WebSocket-Extensions"),
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12");
}

TEST(HandshakeServer, SwitchesWithoutDeflateWhenEveryOfferIsDeclined) {
  const UpgradeDecision d =
      decide(upgrade_request("Sec-WebSocket-Extensions: permessage-deflate; "
                             "server_max_window_bits=8\r\n"));
  EXPECT_EQ(d.status, 101);
  EXPECT_EQ(d.deflate, std::nullopt);
  EXPECT_FALSE(d.headers.contains("Sec-WebSocket-Extensions"));
}

// ---- the client's request --------------------------------------------------------------------

TEST(HandshakeClientRequest, WritesTheUpgradeRequest) {
  EXPECT_EQ(client_request_head(http::Url::parse("http://localhost:8765/chat?room=1"), rfc_key, {}),
            "GET /chat?room=1 HTTP/1.1\r\n"
            "Host: localhost:8765\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            "\r\n");
}

TEST(HandshakeClientRequest, NamesTheHostWithItsPortOnlyWhenNotTheDefault) {
  const auto host_line = [](std::string_view url) {
    const std::string head = client_request_head(http::Url::parse(url), rfc_key, {});
    const std::size_t at = head.find("Host: ");
    return head.substr(at, head.find("\r\n", at) - at);
  };
  EXPECT_EQ(host_line("http://example.com/"), "Host: example.com");
  EXPECT_EQ(host_line("https://example.com:443/"), "Host: example.com");
  EXPECT_EQ(host_line("https://example.com:8443/"), "Host: example.com:8443");
  EXPECT_EQ(host_line("http://[::1]:9000/"), "Host: [::1]:9000");
}

TEST(HandshakeClientRequest, AddsSubprotocolsOriginLimitsAndExtras) {
  ClientHandshakeOptions o;
  o.subprotocols = {"chat", "superchat"};
  o.origin = "https://example.com";
  o.deflate.server_max_window_bits = 10;
  o.deflate.client_max_window_bits = 12;
  o.deflate.server_no_context_takeover = true;
  o.deflate.client_no_context_takeover = true;
  o.extra_headers = {{"User-Agent", "wirekit"}, {"Cookie", "a=1"}};
  EXPECT_EQ(client_request_head(http::Url::parse("http://example.com/"), rfc_key, o),
            "GET / HTTP/1.1\r\n"
            "Host: example.com\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Origin: https://example.com\r\n"
            "Sec-WebSocket-Protocol: chat, superchat\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
            "client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12\r\n"
            "User-Agent: wirekit\r\n"
            "Cookie: a=1\r\n"
            "\r\n");
}

TEST(HandshakeClientRequest, OffersNoExtensionWhenDeflateIsDisabled) {
  ClientHandshakeOptions o;
  o.deflate.enabled = false;
  const std::string head = client_request_head(http::Url::parse("http://h/"), rfc_key, o);
  EXPECT_EQ(head.find("Sec-WebSocket-Extensions"), std::string::npos);
}

TEST(HandshakeClientRequest, RefusesInjectionAndFieldsTheHandshakeOwns) {
  const http::Url url = http::Url::parse("http://h/");
  const auto refused = [&](const ClientHandshakeOptions& o, std::string_view key = rfc_key) {
    try {
      (void)client_request_head(url, key, o);
    } catch (const Error& e) {
      return e.code() == errc::invalid_argument;
    }
    return false;
  };
  for (const auto& extra : std::vector<std::pair<std::string, std::string>>{
           {"X-A", "1\r\nX-Injected: 2"},
           {"X-A", "1\nX-Injected: 2"},
           {"X A", "1"},
           {"X-A:", "1"},
           {"", "1"},
           {"upgrade", "h2c"},
           {"CONNECTION", "close"},
           {"Content-Length", "5"},
           {"Transfer-Encoding", "chunked"},
           {"Host", "other"},
           {"Origin", "https://other"},
           {"sec-websocket-key", std::string(rfc_key)},
           {"Sec-WebSocket-Version", "8"},
           {"Sec-WebSocket-Protocol", "x"},
           {"Sec-WebSocket-Extensions", "x"},
       }) {
    ClientHandshakeOptions o;
    o.extra_headers = {extra};
    EXPECT_TRUE(refused(o)) << extra.first << ": " << extra.second;
  }
  ClientHandshakeOptions o;
  o.origin = "https://a\r\nX-Injected: 1";
  EXPECT_TRUE(refused(o));
  o = {};
  o.subprotocols = {"chat, superchat"};
  EXPECT_TRUE(refused(o));
  o = {};
  EXPECT_TRUE(refused(o, "short"));
  EXPECT_TRUE(refused(o, "dGhlIHNhbXBsZSBub25jZQ==\r\nX-Injected: 1"));
  o.deflate.client_max_window_bits = 8;  // our compressor: 9..15
  EXPECT_TRUE(refused(o));
}

// ---- the server's answer ---------------------------------------------------------------------

TEST(HandshakeClientResponse, AcceptsPythonWebsocketsServerAnswer) {
  const ClientHandshakeResult r = check_response(
      switching("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12; "
                "client_max_window_bits=12\r\nServer: Python/3.11 websockets/10.4\r\n"));
  EXPECT_EQ(r.subprotocol, "");
  ASSERT_TRUE(r.deflate);
  EXPECT_EQ(r.deflate->server_max_window_bits, 12);
  EXPECT_EQ(r.deflate->client_max_window_bits, 12);
  EXPECT_FALSE(r.deflate->server_no_context_takeover);
  EXPECT_FALSE(r.deflate->client_no_context_takeover);
}

TEST(HandshakeClientResponse, AcceptsAnAnswerWithoutExtensions) {
  const ClientHandshakeResult r = check_response(switching());
  EXPECT_EQ(r.subprotocol, "");
  EXPECT_EQ(r.deflate, std::nullopt);
}

TEST(HandshakeClientResponse, RefusesAStatusOtherThan101) {
  EXPECT_EQ(response_error("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
            "the server answered 403 Forbidden instead of switching to WebSocket");
  EXPECT_EQ(response_error("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            "the server answered 200 OK instead of switching to WebSocket");
  EXPECT_EQ(response_error("HTTP/1.1 599 Whatever\r\nContent-Length: 0\r\n\r\n"),
            "the server answered 599 instead of switching to WebSocket");
}

TEST(HandshakeClientResponse, RefusesMissingUpgradeConnectionOrAccept) {
  const auto answer = [](std::string_view fields) {
    return "HTTP/1.1 101 Switching Protocols\r\n" + std::string(fields) + "\r\n";
  };
  const std::string accept = "Sec-WebSocket-Accept: " + std::string(rfc_accept) + "\r\n";
  EXPECT_EQ(response_error(answer("Connection: Upgrade\r\n" + accept)),
            "the server's 101 answer has no 'Upgrade: websocket'");
  EXPECT_EQ(response_error(answer("Upgrade: h2c\r\nConnection: Upgrade\r\n" + accept)),
            "the server's 101 answer has no 'Upgrade: websocket'");
  EXPECT_EQ(response_error(answer("Upgrade: websocket\r\n" + accept)),
            "the server's 101 answer has no 'Connection: Upgrade'");
  EXPECT_EQ(response_error(answer("Upgrade: websocket\r\nConnection: Upgrade\r\n")),
            "the server's 101 answer has no single Sec-WebSocket-Accept");
  EXPECT_EQ(response_error(switching(accept)),
            "the server's 101 answer has no single Sec-WebSocket-Accept");
  EXPECT_EQ(response_error(answer("Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n")),
            "the server's Sec-WebSocket-Accept does not match our key");
  // Case does not matter in Upgrade and Connection.
  EXPECT_EQ(response_error(answer("upgrade: WebSocket\r\nconnection: upgrade\r\n" + accept)), "");
}

TEST(HandshakeClientResponse, ChecksTheSubprotocolChosen) {
  ClientHandshakeOptions o;
  o.subprotocols = {"chat", "superchat"};
  EXPECT_EQ(check_response(switching("Sec-WebSocket-Protocol: superchat\r\n"), o).subprotocol,
            "superchat");
  EXPECT_EQ(response_error(switching("Sec-WebSocket-Protocol: v2\r\n"), o),
            "the server chose the subprotocol 'v2', which we did not offer");
  EXPECT_EQ(response_error(switching("Sec-WebSocket-Protocol: Chat\r\n"), o),
            "the server chose the subprotocol 'Chat', which we did not offer");
  EXPECT_EQ(response_error(switching("Sec-WebSocket-Protocol: chat, superchat\r\n"), o),
            "the server chose more than one subprotocol");
  EXPECT_EQ(response_error(switching("Sec-WebSocket-Protocol: chat\r\n"
                                     "Sec-WebSocket-Protocol: chat\r\n"),
                           o),
            "the server chose more than one subprotocol");
  EXPECT_EQ(response_error(switching("Sec-WebSocket-Protocol: chat\r\n")),
            "the server chose the subprotocol 'chat', which we did not offer");
}

TEST(HandshakeClientResponse, RefusesExtensionsNotOffered) {
  EXPECT_EQ(response_error(switching("Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n")),
            "the server chose the extension x-webkit-deflate-frame, which we did not offer");
  ClientHandshakeOptions off;
  off.deflate.enabled = false;
  EXPECT_EQ(response_error(switching("Sec-WebSocket-Extensions: permessage-deflate\r\n"), off),
            "the server chose the extension permessage-deflate, which we did not offer");
  EXPECT_EQ(response_error(switching("Sec-WebSocket-Extensions: permessage-deflate, "
                                     "permessage-deflate\r\n")),
            "the server chose permessage-deflate twice");
  EXPECT_EQ(response_error(switching("Sec-WebSocket-Extensions: permessage-deflate;\r\n")),
            "the server's Sec-WebSocket-Extensions does not parse");
}

TEST(HandshakeClientResponse, RefusesDeflateParamsItCannotHonour) {
  const auto error = [](std::string_view params, const ClientHandshakeOptions& o = {}) {
    return response_error(
        switching("Sec-WebSocket-Extensions: permessage-deflate" + std::string(params) + "\r\n"),
        o);
  };
  EXPECT_EQ(error("; server_max_window_bits=16"),
            "the server's permessage-deflate server_max_window_bits is not 8..15");
  EXPECT_EQ(error("; server_max_window_bits"),
            "the server's permessage-deflate server_max_window_bits is not 8..15");
  EXPECT_EQ(error("; client_max_window_bits"), "the server's client_max_window_bits has no value");
  EXPECT_EQ(error("; client_max_window_bits=8"),
            "the server asked for client_max_window_bits=8, a window zlib cannot compress with");
  EXPECT_EQ(error("; foo"), "the server's permessage-deflate has the unknown parameter foo");
  EXPECT_EQ(error("; server_no_context_takeover; server_no_context_takeover"),
            "the server's permessage-deflate repeats server_no_context_takeover");
  EXPECT_EQ(error("; client_no_context_takeover=1"),
            "the server's permessage-deflate client_no_context_takeover has a value");

  ClientHandshakeOptions asked;
  asked.deflate.server_max_window_bits = 10;
  asked.deflate.client_max_window_bits = 11;
  asked.deflate.server_no_context_takeover = true;
  EXPECT_EQ(error("; server_max_window_bits=10", asked),
            "the server did not agree to server_no_context_takeover");
  EXPECT_EQ(error("; server_no_context_takeover", asked),
            "the server did not agree to server_max_window_bits=10");
  EXPECT_EQ(error("; server_no_context_takeover; server_max_window_bits=12", asked),
            "the server's server_max_window_bits=12 exceeds the 10 asked for");
  EXPECT_EQ(error("; server_no_context_takeover; server_max_window_bits=9; "
                  "client_max_window_bits=12",
                  asked),
            "the server's client_max_window_bits=12 exceeds the 11 offered");
}

TEST(HandshakeClientResponse, TakesTheWindowsTheServerAnswers) {
  // server_max_window_bits=8 bounds only what we inflate: accepted.
  for (int bits = 8; bits <= 15; ++bits) {
    const ClientHandshakeResult r = check_response(
        switching("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=" +
                  std::to_string(bits) + "\r\n"));
    ASSERT_TRUE(r.deflate) << bits;
    EXPECT_EQ(r.deflate->server_max_window_bits, bits);
    EXPECT_EQ(r.deflate->client_max_window_bits, 15);
  }
  for (int bits = 9; bits <= 15; ++bits) {
    const ClientHandshakeResult r = check_response(
        switching("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=" +
                  std::to_string(bits) + "\r\n"));
    ASSERT_TRUE(r.deflate) << bits;
    EXPECT_EQ(r.deflate->client_max_window_bits, bits);
  }
  const ClientHandshakeResult both = check_response(
      switching("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
                "client_no_context_takeover\r\n"));
  ASSERT_TRUE(both.deflate);
  EXPECT_TRUE(both.deflate->server_no_context_takeover);
  EXPECT_TRUE(both.deflate->client_no_context_takeover);
  // Our own client_no_context_takeover holds whether or not the server repeats it.
  ClientHandshakeOptions reset;
  reset.deflate.client_no_context_takeover = true;
  const ClientHandshakeResult ours =
      check_response(switching("Sec-WebSocket-Extensions: permessage-deflate\r\n"), reset);
  ASSERT_TRUE(ours.deflate);
  EXPECT_TRUE(ours.deflate->client_no_context_takeover);
}

TEST(HandshakeRoundTrip, OurClientTakesOurServersAnswer) {
  // Every combination of a few client and server option sets: what the server agrees, the
  // client agrees too.
  std::vector<DeflateOptions> clients(4);
  clients[1].server_max_window_bits = 10;
  clients[2].client_max_window_bits = 9;
  clients[2].client_no_context_takeover = true;
  clients[3].server_no_context_takeover = true;
  clients[3].server_max_window_bits = 8;
  std::vector<DeflateOptions> servers = {DeflateOptions{}, python_server(), DeflateOptions{}};
  servers[2].server_no_context_takeover = true;
  servers[2].server_max_window_bits = 9;
  servers[2].client_max_window_bits = 8;
  for (std::size_t c = 0; c < clients.size(); ++c) {
    for (std::size_t s = 0; s < servers.size(); ++s) {
      SCOPED_TRACE("client " + std::to_string(c) + ", server " + std::to_string(s));
      ClientHandshakeOptions client;
      client.subprotocols = {"chat"};
      client.deflate = clients[c];
      TestRequest request(client_request_head(http::Url::parse("http://h/"), rfc_key, client));
      ServerHandshakeOptions server;
      server.subprotocols = {"superchat", "chat"};
      server.deflate = servers[s];
      const UpgradeDecision d = decide_upgrade(*request, server);
      ASSERT_EQ(d.status, 101) << d.error;
      std::string raw = "HTTP/1.1 101 Switching Protocols\r\n";
      raw += d.headers.wire();
      raw += "\r\n";
      if (c == 3) {
        // Asked for window 8, which no compressor of ours takes: declined, no deflate.
        EXPECT_EQ(d.deflate, std::nullopt);
      } else {
        ASSERT_TRUE(d.deflate);
      }
      const std::optional<DeflateParams> agreed = d.deflate;
      if (servers[s].client_max_window_bits == 8 && agreed) {
        // The server limits our compressor to 8: our client refuses (see handshake.hpp).
        EXPECT_NE(response_error(raw, client), "");
        continue;
      }
      const ClientHandshakeResult r = check_response(raw, client);
      EXPECT_EQ(r.subprotocol, "chat");
      ASSERT_EQ(r.deflate.has_value(), agreed.has_value());
      if (!agreed) continue;
      EXPECT_EQ(r.deflate->server_no_context_takeover, agreed->server_no_context_takeover);
      EXPECT_EQ(r.deflate->client_no_context_takeover, agreed->client_no_context_takeover);
      EXPECT_EQ(r.deflate->server_max_window_bits, agreed->server_max_window_bits);
      EXPECT_EQ(r.deflate->client_max_window_bits, agreed->client_max_window_bits);
    }
  }
}

}  // namespace
}  // namespace wirekit::ws
