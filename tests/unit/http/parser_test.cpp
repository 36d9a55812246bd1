#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/http/parser.hpp>

namespace wirekit::http {

// Readable failure messages for the parse results.
[[maybe_unused]] static void PrintTo(ParseResult r, std::ostream* os) {
  switch (r) {
    case ParseResult::complete:
      *os << "complete";
      return;
    case ParseResult::incomplete:
      *os << "incomplete";
      return;
    case ParseResult::error:
      *os << "error";
      return;
  }
}

namespace {

using namespace std::literals;

// The bytes of `s` with controls escaped, for failure messages.
std::string escaped(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out.size() > 200 ? out.substr(0, 200) + "..." : out;
}

// A parse whose views stay valid as long as it lives: it keeps its own copy of the input and
// the header storage, both on the heap so that moving the result moves no bytes.
struct ParsedRequest {
  ParseResult result = ParseResult::incomplete;
  RequestHead head;
  ParseError error;
  std::unique_ptr<const std::string> input;
  std::vector<Header> storage;
};

ParsedRequest parse(std::string_view data, const Limits& limits = Limits{}) {
  ParsedRequest p;
  p.input = std::make_unique<const std::string>(data);
  p.storage.resize(limits.max_headers);
  std::size_t scanned = 0;
  p.result = parse_request(*p.input, p.head, p.storage, limits, scanned, p.error);
  return p;
}

struct ParsedResponse {
  ParseResult result = ParseResult::incomplete;
  ResponseHead head;
  ParseError error;
  std::unique_ptr<const std::string> input;
  std::vector<Header> storage;
};

ParsedResponse parse_resp(std::string_view data, const Limits& limits = Limits{}) {
  ParsedResponse p;
  p.input = std::make_unique<const std::string>(data);
  p.storage.resize(limits.max_headers);
  std::size_t scanned = 0;
  p.result = parse_response(*p.input, p.head, p.storage, limits, scanned, p.error);
  return p;
}

template <class Parsed>
testing::AssertionResult refused_with(const Parsed& p, std::string_view data, int status) {
  if (p.result != ParseResult::error) {
    return testing::AssertionFailure()
           << "accepted (" << (p.result == ParseResult::complete ? "complete" : "incomplete")
           << "): \"" << escaped(data) << '"';
  }
  if (p.error.status != status) {
    return testing::AssertionFailure()
           << "refused with " << p.error.status << " (" << p.error.reason << ") instead of "
           << status << ": \"" << escaped(data) << '"';
  }
  if (p.error.reason.empty()) {
    return testing::AssertionFailure() << "refused without a reason: \"" << escaped(data) << '"';
  }
  return testing::AssertionSuccess();
}

// The request `data` is refused with `status` and a reason.
testing::AssertionResult refuses(std::string_view data, int status,
                                 const Limits& limits = Limits{}) {
  return refused_with(parse(data, limits), data, status);
}

testing::AssertionResult refuses_response(std::string_view data, int status) {
  return refused_with(parse_resp(data), data, status);
}

testing::AssertionResult accepts(std::string_view data, const Limits& limits = Limits{}) {
  const ParsedRequest p = parse(data, limits);
  if (p.result == ParseResult::complete) return testing::AssertionSuccess();
  auto failure = testing::AssertionFailure();
  if (p.result == ParseResult::error) {
    failure << "refused with " << p.error.status << " (" << p.error.reason << ")";
  } else {
    failure << "incomplete";
  }
  return failure << ": \"" << escaped(data) << '"';
}

// A request with one header line added to a minimal HTTP/1.1 GET.
std::string with_header(std::string_view line) {
  return "GET / HTTP/1.1\r\nHost: example.com\r\n" + std::string(line) + "\r\n\r\n";
}

// A request line of exactly `length` bytes (CRLF excluded).
std::string request_line(std::size_t length) {
  constexpr std::size_t overhead = "GET /"sv.size() + " HTTP/1.1"sv.size();
  return "GET /" + std::string(length - overhead, 'a') + " HTTP/1.1";
}

// ---- Request line and target forms --------------------------------------------------------

TEST(RequestParser, ParsesSimpleGet) {
  const std::string_view data = "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n";
  const ParsedRequest p = parse(data);
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.method, "GET");
  EXPECT_EQ(p.head.target, "/index.html?q=1");
  EXPECT_EQ(p.head.minor_version, 1);
  EXPECT_EQ(p.head.host, "example.com");
  ASSERT_EQ(p.head.headers.size(), 1u);
  EXPECT_EQ(p.head.headers[0].name, "Host");
  EXPECT_EQ(p.head.headers[0].value, "example.com");
  EXPECT_EQ(p.head.head_size, data.size());
  EXPECT_FALSE(p.head.framing.content_length.has_value());
  EXPECT_FALSE(p.head.framing.chunked);
  EXPECT_TRUE(p.head.framing.keep_alive);
  EXPECT_FALSE(p.head.framing.expect_continue);
  EXPECT_FALSE(p.head.framing.upgrade);
}

TEST(RequestParser, ParsesHttp10Request) {
  const ParsedRequest p = parse("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.minor_version, 0);
  EXPECT_TRUE(p.head.headers.empty());
  EXPECT_TRUE(p.head.host.empty());
  EXPECT_EQ(p.head.head_size, 18u);
}

TEST(RequestParser, ParsesPostWithContentLength) {
  const ParsedRequest p =
      parse("POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.method, "POST");
  EXPECT_EQ(p.head.framing.content_length, 11u);
  EXPECT_FALSE(p.head.framing.chunked);
  EXPECT_EQ(p.head.head_size, 54u);  // 23 + 9 + 20 + 2
}

TEST(RequestParser, AcceptsAbsoluteForm) {
  const ParsedRequest p =
      parse("GET http://example.com:8080/a/b?c HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.target, "http://example.com:8080/a/b?c");
}

TEST(RequestParser, AcceptsAuthorityFormForConnect) {
  const ParsedRequest p =
      parse("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.method, "CONNECT");
  EXPECT_EQ(p.head.target, "example.com:443");
}

TEST(RequestParser, AcceptsAsteriskFormForOptions) {
  const ParsedRequest p = parse("OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.method, "OPTIONS");
  EXPECT_EQ(p.head.target, "*");
}

TEST(RequestParser, AcceptsOriginAndAbsoluteFormForOptions) {
  EXPECT_TRUE(accepts("OPTIONS /a HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_TRUE(accepts("OPTIONS http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"));
}

TEST(RequestParser, RejectsAsteriskFormForOtherMethods) {
  EXPECT_TRUE(refuses("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("CONNECT * HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

TEST(RequestParser, RejectsAuthorityFormForOtherMethods) {
  EXPECT_TRUE(refuses("GET example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("POST example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

TEST(RequestParser, RejectsOriginFormForConnect) {
  EXPECT_TRUE(refuses("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("CONNECT /example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

TEST(RequestParser, RejectsAbsoluteFormForConnect) {
  EXPECT_TRUE(refuses("CONNECT http://example.com:443/ HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

// RFC 9112 §3.2.3: authority-form = uri-host ":" port; a CONNECT target needs its port.
TEST(RequestParser, RejectsAuthorityFormWithoutPort) {
  EXPECT_TRUE(refuses("CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", 400));
  EXPECT_TRUE(refuses("CONNECT example.com: HTTP/1.1\r\nHost: example.com\r\n\r\n", 400));
  EXPECT_TRUE(refuses("CONNECT :443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 400));
}

TEST(RequestParser, RejectsTargetsOfNoForm) {
  EXPECT_TRUE(refuses("GET ://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET example.com/a HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET ht\"tp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

TEST(RequestParser, RejectsControlAndNonAsciiBytesInTarget) {
  EXPECT_TRUE(refuses("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"sv, 400));
  EXPECT_TRUE(refuses("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

TEST(RequestParser, RejectsMalformedRequestLine) {
  EXPECT_TRUE(refuses("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET /\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET\r\nHost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400));
}

TEST(RequestParser, RejectsHttp2VersionWith505) {
  EXPECT_TRUE(refuses("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505));
  EXPECT_TRUE(refuses("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505));
  EXPECT_TRUE(refuses("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505));
}

TEST(RequestParser, RejectsMalformedVersionWith400) {
  for (std::string_view version :
       {"HTTP/1"sv, "HTTP/2"sv, "HTTP/1.1.1"sv, "HTTP/11"sv, "HTTP/1.x"sv, "http/1.1"sv,
        "HTTPS/1.1"sv, "HTTP/1.10"sv, "HTTP 1.1"sv, "HTTP/ 1.1"sv, ""sv}) {
    EXPECT_TRUE(refuses("GET / " + std::string(version) + "\r\nHost: a\r\n\r\n", 400));
  }
}

TEST(RequestParser, SkipsLeadingEmptyLines) {
  const std::string_view data = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const ParsedRequest p = parse(data);
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.method, "GET");
  EXPECT_EQ(p.head.head_size, data.size());
}

// ---- Header fields ------------------------------------------------------------------------

TEST(RequestParser, ReturnsHeadersInOrderWithOwsTrimmed) {
  const ParsedRequest p = parse(
      "GET / HTTP/1.1\r\nHost:example.com\r\nAccept:  text/html \r\nX-Tab:\t a\tb \t\r\n"
      "X-Empty:\r\nX-Blank:   \r\naccept: */*\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  ASSERT_EQ(p.head.headers.size(), 6u);
  const std::pair<std::string_view, std::string_view> expected[] = {
      {"Host", "example.com"}, {"Accept", "text/html"}, {"X-Tab", "a\tb"},
      {"X-Empty", ""},         {"X-Blank", ""},         {"accept", "*/*"}};
  for (std::size_t i = 0; i < p.head.headers.size(); ++i) {
    EXPECT_EQ(p.head.headers[i].name, expected[i].first) << i;
    EXPECT_EQ(p.head.headers[i].value, expected[i].second) << i;
  }
  EXPECT_EQ(p.head.host, "example.com");
}

TEST(RequestParser, LooksUpHeadersCaseInsensitively) {
  const ParsedRequest p =
      parse("GET / HTTP/1.1\r\nHost: a\r\nX-Thing: one\r\nx-thing: two\r\nACCEPT: */*\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.header("x-thing"), "one");  // the first value
  EXPECT_EQ(p.head.header("X-THING"), "one");
  EXPECT_EQ(p.head.header("accept"), "*/*");
  EXPECT_EQ(p.head.header("host"), "a");
  EXPECT_FALSE(p.head.header("x-thin").has_value());
  EXPECT_FALSE(p.head.header("cookie").has_value());
}

TEST(RequestParser, RejectsObsFold) {
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n", 400));
}

TEST(RequestParser, RejectsWhitespaceBeforeFirstHeader) {
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400));
}

TEST(RequestParser, RejectsWhitespaceBeforeColon) {
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses(with_header("Transfer-Encoding : chunked"), 400));
  EXPECT_TRUE(refuses(with_header("Content-Length : 5"), 400));
}

TEST(RequestParser, RejectsNonTokenCharactersInHeaderNames) {
  for (std::string_view line :
       {"X(y): 1"sv, "X@y: 1"sv, "X\"y\": 1"sv, "X/y: 1"sv, "X,y: 1"sv, "X[y]: 1"sv, "X=y: 1"sv,
        "X\x80y: 1"sv, "X\x01y: 1"sv, "X\0y: 1"sv, "Bad Name: 1"sv, ": no name"sv, "NoColon"sv}) {
    EXPECT_TRUE(refuses(with_header(line), 400));
  }
}

TEST(RequestParser, RejectsControlCharactersInHeaderValues) {
  for (std::string_view line : {"X-A: a\0b"sv, "X-A: \0"sv, "X-A: a\x01"sv, "X-A: a\x7f"sv,
                                "X-A: a\x1b[0m"sv, "X-A: a\rb"sv, "X-A: a\x0b"sv}) {
    EXPECT_TRUE(refuses(with_header(line), 400));
  }
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\nHost: a\0\r\n\r\n"sv, 400));
}

TEST(RequestParser, AllowsObsTextAndTabInHeaderValues) {
  const ParsedRequest p = parse(with_header("X-A: caf\xc3\xa9\t\x80\xff end"));
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.header("x-a"), "caf\xc3\xa9\t\x80\xff end");
}

TEST(RequestParser, RejectsBareLfInRequestLine) {
  EXPECT_TRUE(refuses("GET / HTTP/1.1\nHost: a\r\n\r\n", 400));
}

TEST(RequestParser, RejectsBareLfInHeaders) {
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\n\r\n\r\n", 400));
}

// A head whose every line ends in a bare LF must be refused, not awaited until a limit trips.
TEST(RequestParser, RejectsRequestWithOnlyBareLfLineEndings) {
  EXPECT_TRUE(refuses("GET / HTTP/1.1\nHost: a\n\n", 400));
  EXPECT_TRUE(refuses("GET / HTTP/1.0\n\n", 400));
}

TEST(RequestParser, RejectsMissingHostInHttp11) {
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n", 400));
}

TEST(RequestParser, AcceptsMissingHostInHttp10) {
  EXPECT_TRUE(accepts("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n"));
}

TEST(RequestParser, RejectsDuplicateHost) {
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400));
  EXPECT_TRUE(refuses("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400));
}

// ---- Connection management ----------------------------------------------------------------

TEST(RequestParser, Http11KeepsAliveUnlessClose) {
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").head.framing.keep_alive);
  EXPECT_TRUE(parse(with_header("Connection: keep-alive")).head.framing.keep_alive);
  EXPECT_FALSE(parse(with_header("Connection: close")).head.framing.keep_alive);
  EXPECT_FALSE(parse(with_header("Connection: CLOSE")).head.framing.keep_alive);
  EXPECT_FALSE(parse(with_header("Connection: keep-alive, close")).head.framing.keep_alive);
  EXPECT_TRUE(parse(with_header("Connection: closed")).head.framing.keep_alive);
}

TEST(RequestParser, Http10ClosesUnlessKeepAlive) {
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").head.framing.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.framing.keep_alive);
  EXPECT_TRUE(
      parse("GET / HTTP/1.0\r\nConnection: foo, keep-alive\r\n\r\n").head.framing.keep_alive);
  EXPECT_FALSE(
      parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").head.framing.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\nConnection: close\r\n\r\n").head.framing.keep_alive);
}

TEST(RequestParser, DetectsExpectContinue) {
  const ParsedRequest p =
      parse("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-Continue\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_TRUE(p.head.framing.expect_continue);
  EXPECT_FALSE(parse(with_header("Content-Length: 1")).head.framing.expect_continue);
}

TEST(RequestParser, RejectsUnknownExpectationWith417) {
  EXPECT_TRUE(refuses(with_header("Expect: 200-ok"), 417));
  EXPECT_TRUE(refuses(with_header("Expect: 100-continue-ish"), 417));
}

TEST(RequestParser, DetectsUpgrade) {
  const ParsedRequest p = parse(
      "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
      "\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_TRUE(p.head.framing.upgrade);
  EXPECT_EQ(p.head.header("upgrade"), "websocket");
}

TEST(RequestParser, UpgradeNeedsBothConnectionTokenAndUpgradeHeader) {
  EXPECT_FALSE(parse(with_header("Upgrade: websocket")).head.framing.upgrade);
  EXPECT_FALSE(parse(with_header("Connection: upgrade")).head.framing.upgrade);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgraded\r\nUpgrade: h2c\r\n\r\n")
                   .head.framing.upgrade);
}

// ---- Incremental parsing and pipelining ---------------------------------------------------

TEST(RequestParser, ParsesIncrementallyOneByteAtATime) {
  const std::string_view data =
      "\r\nPOST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n"
      "X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nConnection: keep-alive\r\n\r\nhello";
  const std::size_t head_end = data.find("\r\n\r\nhello") + 4;
  const ParsedRequest whole = parse(data.substr(0, head_end));
  ASSERT_EQ(whole.result, ParseResult::complete);

  std::vector<Header> storage(Limits{}.max_headers);
  RequestHead head;
  ParseError error;
  std::size_t scanned = 0;
  for (std::size_t n = 0; n < head_end; ++n) {
    ASSERT_EQ(parse_request(data.substr(0, n), head, storage, Limits{}, scanned, error),
              ParseResult::incomplete)
        << "after " << n << " bytes";
    EXPECT_LE(scanned, n);
  }
  ASSERT_EQ(parse_request(data.substr(0, head_end), head, storage, Limits{}, scanned, error),
            ParseResult::complete);
  EXPECT_EQ(head.method, whole.head.method);
  EXPECT_EQ(head.target, whole.head.target);
  EXPECT_EQ(head.host, "example.com");
  EXPECT_EQ(head.head_size, whole.head.head_size);
  EXPECT_EQ(head.head_size, head_end);
  EXPECT_EQ(head.framing.content_length, 5u);
  ASSERT_EQ(head.headers.size(), whole.head.headers.size());
  for (std::size_t i = 0; i < head.headers.size(); ++i) {
    EXPECT_EQ(head.headers[i].name, whole.head.headers[i].name);
    EXPECT_EQ(head.headers[i].value, whole.head.headers[i].value);
  }
  // The body bytes after the head change nothing.
  scanned = 0;
  ASSERT_EQ(parse_request(data, head, storage, Limits{}, scanned, error), ParseResult::complete);
  EXPECT_EQ(head.head_size, head_end);
}

TEST(RequestParser, ParsesPipelinedRequestsUsingHeadSize) {
  const std::string_view data =
      "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
      "GET /b HTTP/1.1\r\nHost: b\r\n\r\n";
  const ParsedRequest first = parse(data);
  ASSERT_EQ(first.result, ParseResult::complete);
  EXPECT_EQ(first.head.target, "/a");
  ASSERT_EQ(first.head.framing.content_length, 3u);
  const std::size_t next = first.head.head_size + 3;
  EXPECT_EQ(data.substr(first.head.head_size, 3), "abc");

  const ParsedRequest second = parse(data.substr(next));
  ASSERT_EQ(second.result, ParseResult::complete);
  EXPECT_EQ(second.head.method, "GET");
  EXPECT_EQ(second.head.target, "/b");
  EXPECT_EQ(second.head.host, "b");
  EXPECT_EQ(next + second.head.head_size, data.size());
}

// ---- Content-Length and Transfer-Encoding -------------------------------------------------

TEST(RequestParser, RejectsContentLengthWithTransferEncoding) {
  EXPECT_TRUE(refuses(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      400));
  EXPECT_TRUE(refuses(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
      400));
  EXPECT_TRUE(refuses(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
      400));
}

TEST(RequestParser, AcceptsContentLengthListOfEqualValues) {
  const ParsedRequest p = parse(with_header("Content-Length: 42, 42"));
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.framing.content_length, 42u);
}

TEST(RequestParser, AcceptsRepeatedIdenticalContentLength) {
  const ParsedRequest p = parse(with_header("Content-Length: 7\r\nContent-Length: 7"));
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.framing.content_length, 7u);
}

TEST(RequestParser, RejectsDifferingContentLengths) {
  EXPECT_TRUE(refuses(with_header("Content-Length: 42, 43"), 400));
  EXPECT_TRUE(refuses(with_header("Content-Length: 5\r\nContent-Length: 6"), 400));
  EXPECT_TRUE(refuses(with_header("Content-Length: 0\r\ncontent-length: 10"), 400));
}

TEST(RequestParser, RejectsMalformedContentLength) {
  for (std::string_view value :
       {"+42"sv, "-1"sv, "4 2"sv, "0x10"sv, "99999999999999999999"sv, "18446744073709551616"sv,
        ""sv, "42a"sv, "a"sv, "42,"sv, ",42"sv, "42,,42"sv, "4.2"sv, "1e3"sv}) {
    EXPECT_TRUE(refuses(with_header("Content-Length: " + std::string(value)), 400));
  }
}

TEST(RequestParser, AcceptsLargestContentLength) {
  const ParsedRequest p = parse(with_header("Content-Length: 18446744073709551615"));
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.framing.content_length, 18446744073709551615u);
  EXPECT_EQ(parse(with_header("Content-Length: 000")).head.framing.content_length, 0u);
}

TEST(RequestParser, AcceptsChunkedTransferEncoding) {
  const ParsedRequest p = parse(with_header("Transfer-Encoding: Chunked"));
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_TRUE(p.head.framing.chunked);
  EXPECT_FALSE(p.head.framing.content_length.has_value());
}

TEST(RequestParser, RejectsUnknownTransferCodingWith501) {
  EXPECT_TRUE(refuses(with_header("Transfer-Encoding: gzip, chunked"), 501));
  EXPECT_TRUE(refuses(with_header("Transfer-Encoding: x-custom , chunked"), 501));
}

TEST(RequestParser, RejectsChunkedNotFinal) {
  EXPECT_TRUE(refuses(with_header("Transfer-Encoding: chunked, gzip"), 400));
  EXPECT_TRUE(refuses(with_header("Transfer-Encoding: gzip"), 400));
  EXPECT_TRUE(refuses(with_header("Transfer-Encoding: identity"), 400));
  EXPECT_TRUE(refuses(with_header("Transfer-Encoding:"), 400));
  EXPECT_TRUE(refuses(with_header("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip"), 400));
}

TEST(RequestParser, RejectsChunkedAppliedTwice) {
  EXPECT_TRUE(refuses(with_header("Transfer-Encoding: chunked, chunked"), 400));
  EXPECT_TRUE(
      refuses(with_header("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"), 400));
}

TEST(RequestParser, RejectsUnknownCodingInTransferEncodingSplitAcrossHeaders) {
  EXPECT_TRUE(refuses(with_header("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked"), 501));
}

TEST(RequestParser, RejectsTransferEncodingInHttp10Request) {
  EXPECT_TRUE(refuses("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400));
}

// ---- Limits -------------------------------------------------------------------------------

TEST(RequestParser, RejectsRequestLineOverLimitWith414) {
  const std::string line = request_line(Limits{}.max_request_line + 1);
  EXPECT_TRUE(refuses(line + "\r\nHost: a\r\n\r\n", 414));
}

TEST(RequestParser, RejectsOverlongRequestLineBeforeItEnds) {
  EXPECT_TRUE(refuses("GET /" + std::string(Limits{}.max_request_line, 'a'), 414));
}

TEST(RequestParser, AcceptsRequestLineAtLimit) {
  const std::string line = request_line(Limits{}.max_request_line);
  ASSERT_EQ(line.size(), 8192u);
  EXPECT_TRUE(accepts(line + "\r\nHost: a\r\n\r\n"));
}

// A line exactly at the limit whose CR has arrived but whose LF has not is not yet too long.
TEST(RequestParser, AcceptsRequestLineAtLimitWhileItsLineEndArrives) {
  const std::string line = request_line(Limits{}.max_request_line);
  const std::string data = line + "\r\nHost: a\r\n\r\n";
  std::vector<Header> storage(Limits{}.max_headers);
  RequestHead head;
  ParseError error;
  std::size_t scanned = 0;
  for (std::size_t n : {line.size(), line.size() + 1}) {
    EXPECT_EQ(
        parse_request(std::string_view(data).substr(0, n), head, storage, Limits{}, scanned, error),
        ParseResult::incomplete)
        << "after " << n << " bytes: " << error.status << " " << error.reason;
  }
  EXPECT_EQ(parse_request(data, head, storage, Limits{}, scanned, error), ParseResult::complete);
}

TEST(RequestParser, HonoursCustomRequestLineLimit) {
  Limits limits;
  limits.max_request_line = 20;
  EXPECT_TRUE(accepts(request_line(20) + "\r\nHost: a\r\n\r\n", limits));
  EXPECT_TRUE(refuses(request_line(21) + "\r\nHost: a\r\n\r\n", 414, limits));
}

TEST(RequestParser, Rejects101HeadersWith431) {
  std::string data = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 100; ++i) data += "X-" + std::to_string(i) + ": v\r\n";
  data += "\r\n";
  EXPECT_TRUE(refuses(data, 431));
}

TEST(RequestParser, Accepts100Headers) {
  std::string data = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 99; ++i) data += "X-" + std::to_string(i) + ": v\r\n";
  data += "\r\n";
  const ParsedRequest p = parse(data);
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.headers.size(), 100u);
  EXPECT_EQ(p.head.headers[99].name, "X-98");
}

// A request whose header lines ("Host: a\r\n" and "X: <value>\r\n") take `bytes` bytes.
std::string with_header_bytes(std::size_t bytes) {
  return "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(bytes - 9 - 5, 'v') + "\r\n\r\n";
}

TEST(RequestParser, RejectsHeaderBytesOverLimitWith431) {
  EXPECT_TRUE(refuses(with_header_bytes(Limits{}.max_header_bytes + 1), 431));
}

TEST(RequestParser, AcceptsHeaderBytesAtLimit) {
  EXPECT_TRUE(accepts(with_header_bytes(Limits{}.max_header_bytes)));
}

TEST(RequestParser, RejectsOverlongHeadersBeforeTheyEnd) {
  const std::string data = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(20 * 1024, 'v');
  EXPECT_TRUE(refuses(data, 431));
}

TEST(RequestParser, RejectsManySmallHeadersOverByteLimitWith431) {
  std::string data = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 50; ++i)
    data += "X-" + std::to_string(i) + ": " + std::string(400, 'v') + "\r\n";
  data += "\r\n";
  EXPECT_TRUE(refuses(data, 431));
}

// ---- Helpers ------------------------------------------------------------------------------

TEST(ParserHelpers, ListContainsMatchesWholeItemsCaseInsensitively) {
  EXPECT_TRUE(list_contains("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(list_contains(" close ", "close"));
  EXPECT_TRUE(list_contains(",,close,,", "close"));
  EXPECT_FALSE(list_contains("upgrades", "upgrade"));
  EXPECT_FALSE(list_contains("", "close"));
  EXPECT_TRUE(iequals("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(iequals("Content-Length", "Content-Lengt"));
  EXPECT_TRUE(is_token_char('!'));
  EXPECT_FALSE(is_token_char(':'));
  EXPECT_FALSE(is_token_char(0x80));
}

// ---- Responses ----------------------------------------------------------------------------

TEST(ResponseParser, ParsesStatusLineWithReason) {
  const std::string_view data = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found";
  const ParsedResponse p = parse_resp(data);
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.minor_version, 1);
  EXPECT_EQ(p.head.status, 404);
  EXPECT_EQ(p.head.reason, "Not Found");
  EXPECT_EQ(p.head.framing.content_length, 9u);
  EXPECT_FALSE(p.head.framing.chunked);
  EXPECT_EQ(p.head.header("content-length"), "9");
  EXPECT_EQ(p.head.head_size, data.size() - 9);
}

TEST(ResponseParser, ParsesStatusLineWithEmptyReason) {
  const ParsedResponse p = parse_resp("HTTP/1.0 204 \r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.minor_version, 0);
  EXPECT_EQ(p.head.status, 204);
  EXPECT_TRUE(p.head.reason.empty());
}

TEST(ResponseParser, ParsesStatusLineWithoutSpaceAfterCode) {
  const ParsedResponse p = parse_resp("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.status, 200);
  EXPECT_TRUE(p.head.reason.empty());
  EXPECT_EQ(p.head.framing.content_length, 0u);
}

TEST(ResponseParser, AllowsObsTextInReason) {
  const ParsedResponse p = parse_resp("HTTP/1.1 200 D\xc3\xa9j\xe0 vu\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_EQ(p.head.reason, "D\xc3\xa9j\xe0 vu");
}

TEST(ResponseParser, RejectsMalformedStatusCodeWith502) {
  for (std::string_view line :
       {"HTTP/1.1 20 OK"sv, "HTTP/1.1 2000 OK"sv, "HTTP/1.1 abc OK"sv, "HTTP/1.1 -20 OK"sv,
        "HTTP/1.1 +20 OK"sv, "HTTP/1.1 099 OK"sv, "HTTP/1.1  200 OK"sv, "HTTP/1.1 2x0 OK"sv,
        "HTTP/1.1 200x OK"sv, "HTTP/1.1 20"sv, "HTTP/1.1"sv, "HTTP/1.1 "sv}) {
    EXPECT_TRUE(refuses_response(std::string(line) + "\r\n\r\n", 502));
  }
}

TEST(ResponseParser, RejectsMalformedStatusLineWith502) {
  EXPECT_TRUE(refuses_response("HTTP/2.0 200 OK\r\n\r\n", 502));
  EXPECT_TRUE(refuses_response("HTTP/1.1-200 OK\r\n\r\n", 502));
  EXPECT_TRUE(refuses_response("http/1.1 200 OK\r\n\r\n", 502));
  EXPECT_TRUE(refuses_response("HTTP/1.1 200 O\0K\r\n\r\n"sv, 502));
  EXPECT_TRUE(refuses_response("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 502));
  EXPECT_TRUE(refuses_response("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 502));
}

TEST(ResponseParser, ParsesChunkedResponse) {
  const ParsedResponse p = parse_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_TRUE(p.head.framing.chunked);
  EXPECT_FALSE(p.head.framing.content_length.has_value());
  EXPECT_TRUE(p.head.framing.keep_alive);
}

TEST(ResponseParser, IgnoresContentLengthWithTransferEncoding) {
  const ParsedResponse p =
      parse_resp("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_TRUE(p.head.framing.chunked);
  EXPECT_FALSE(p.head.framing.content_length.has_value());
}

TEST(ResponseParser, ReadsBodyUntilCloseWithoutLength) {
  const ParsedResponse p = parse_resp("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody...");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_FALSE(p.head.framing.chunked);
  EXPECT_FALSE(p.head.framing.content_length.has_value());
}

TEST(ResponseParser, ReadsBodyUntilCloseWhenChunkedIsNotFinal) {
  const ParsedResponse p = parse_resp(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 3\r\n\r\n");
  ASSERT_EQ(p.result, ParseResult::complete);
  EXPECT_FALSE(p.head.framing.chunked);
  EXPECT_FALSE(p.head.framing.content_length.has_value());
  EXPECT_FALSE(p.head.framing.keep_alive);
}

TEST(ResponseParser, RejectsDifferingContentLengthsWith502) {
  EXPECT_TRUE(
      refuses_response("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 502));
}

TEST(ResponseParser, ParsesIncrementally) {
  const std::string_view data = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\n";
  std::vector<Header> storage(Limits{}.max_headers);
  ResponseHead head;
  ParseError error;
  std::size_t scanned = 0;
  for (std::size_t n = 0; n < data.size(); ++n) {
    ASSERT_EQ(parse_response(data.substr(0, n), head, storage, Limits{}, scanned, error),
              ParseResult::incomplete)
        << "after " << n << " bytes";
  }
  ASSERT_EQ(parse_response(data, head, storage, Limits{}, scanned, error), ParseResult::complete);
  EXPECT_EQ(head.head_size, data.size());
  EXPECT_EQ(head.header("x-a"), "b");
}

// ---- BodyDecoder --------------------------------------------------------------------------

struct Decoded {
  std::string body;
  std::size_t consumed = 0;
  bool done = false;
  ParseError error;
  bool failed = false;
};

Decoded decode(BodyDecoder decoder, std::string_view data) {
  Decoded d;
  const std::size_t n = decoder.feed(data, d.body, d.error);
  d.failed = n == BodyDecoder::npos;
  d.consumed = d.failed ? 0 : n;
  d.done = decoder.done();
  return d;
}

Decoded decode_bytewise(BodyDecoder decoder, std::string_view data) {
  Decoded d;
  for (std::size_t i = 0; i < data.size() && !decoder.done(); ++i) {
    const std::size_t n = decoder.feed(data.substr(i, 1), d.body, d.error);
    if (n == BodyDecoder::npos) {
      d.failed = true;
      break;
    }
    d.consumed += n;
  }
  d.done = decoder.done();
  return d;
}

testing::AssertionResult body_refused(const Decoded& d, int status) {
  if (!d.failed) {
    return testing::AssertionFailure() << "accepted (" << (d.done ? "done" : "not done")
                                       << ", body \"" << escaped(d.body) << "\")";
  }
  if (d.error.status != status) {
    return testing::AssertionFailure()
           << "refused with " << d.error.status << " (" << d.error.reason << ")";
  }
  if (d.error.reason.empty()) return testing::AssertionFailure() << "refused without a reason";
  return testing::AssertionSuccess();
}

TEST(BodyDecoder, DecodesFixedLengthSplitAcrossFeeds) {
  BodyDecoder decoder = BodyDecoder::fixed(11, 1024);
  std::string body;
  ParseError error;
  EXPECT_EQ(decoder.feed("hel", body, error), 3u);
  EXPECT_FALSE(decoder.done());
  EXPECT_EQ(decoder.feed("", body, error), 0u);
  EXPECT_EQ(decoder.feed("lo wo", body, error), 5u);
  EXPECT_FALSE(decoder.done());
  EXPECT_EQ(decoder.feed("rld", body, error), 3u);
  EXPECT_TRUE(decoder.done());
  EXPECT_EQ(body, "hello world");
}

TEST(BodyDecoder, ZeroLengthFixedBodyIsDoneImmediately) {
  BodyDecoder decoder = BodyDecoder::fixed(0, 1024);
  EXPECT_TRUE(decoder.done());
  std::string body;
  ParseError error;
  EXPECT_EQ(decoder.feed("GET / HTTP/1.1\r\n", body, error), 0u);
  EXPECT_TRUE(body.empty());
}

TEST(BodyDecoder, FixedBodyLeavesFollowingBytesUnconsumed) {
  const Decoded d = decode(BodyDecoder::fixed(5, 1024), "helloGET / HTTP/1.1\r\n");
  ASSERT_FALSE(d.failed);
  EXPECT_EQ(d.consumed, 5u);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, "hello");
}

constexpr std::string_view chunked_body =
    "4;name=value\r\nWiki\r\n5;ext\r\npedia\r\nE;a;b=\"q \\\"x\\\"\";c=d\r\n in\r\n\r\nchunks.\r\n"
    "0;last\r\nExpires: never\r\nX-Checksum: 1\r\n\r\n";
constexpr std::string_view chunked_payload = "Wikipedia in\r\n\r\nchunks.";

TEST(BodyDecoder, DecodesChunkedWithExtensionsAndTrailers) {
  const Decoded d = decode(BodyDecoder::chunked(Limits{}), chunked_body);
  ASSERT_FALSE(d.failed) << d.error.reason;
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.consumed, chunked_body.size());
  EXPECT_EQ(d.body, chunked_payload);
}

TEST(BodyDecoder, DecodesChunkedOneByteAtATime) {
  const Decoded whole = decode(BodyDecoder::chunked(Limits{}), chunked_body);
  const Decoded bytewise = decode_bytewise(BodyDecoder::chunked(Limits{}), chunked_body);
  ASSERT_FALSE(bytewise.failed) << bytewise.error.reason;
  EXPECT_TRUE(bytewise.done);
  EXPECT_EQ(bytewise.consumed, chunked_body.size());
  EXPECT_EQ(bytewise.body, whole.body);
  EXPECT_EQ(bytewise.body, chunked_payload);
}

TEST(BodyDecoder, DecodesChunkedInEveryTwoPieceSplit) {
  for (std::size_t split = 0; split <= chunked_body.size(); ++split) {
    BodyDecoder decoder = BodyDecoder::chunked(Limits{});
    std::string body;
    ParseError error;
    EXPECT_EQ(decoder.feed(chunked_body.substr(0, split), body, error), split);
    EXPECT_EQ(decoder.feed(chunked_body.substr(split), body, error), chunked_body.size() - split);
    EXPECT_TRUE(decoder.done()) << split;
    EXPECT_EQ(body, chunked_payload) << split;
  }
}

TEST(BodyDecoder, DecodesChunkedWithUppercaseHexAndNoTrailers) {
  const Decoded d = decode(BodyDecoder::chunked(Limits{}), "A\r\n0123456789\r\n0\r\n\r\n");
  ASSERT_FALSE(d.failed);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, "0123456789");
}

TEST(BodyDecoder, ChunkedLeavesFollowingBytesUnconsumed) {
  const std::string_view body = "3\r\nabc\r\n0\r\n\r\n";
  const std::string data = std::string(body) + "GET / HTTP/1.1\r\n";
  const Decoded d = decode(BodyDecoder::chunked(Limits{}), data);
  ASSERT_FALSE(d.failed);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.consumed, body.size());
  EXPECT_EQ(d.body, "abc");
  const Decoded bytewise = decode_bytewise(BodyDecoder::chunked(Limits{}), data);
  EXPECT_EQ(bytewise.consumed, body.size());
}

TEST(BodyDecoder, WaitsForTheEndOfTheTrailerSection) {
  const Decoded d = decode(BodyDecoder::chunked(Limits{}), "3\r\nabc\r\n0\r\n");
  ASSERT_FALSE(d.failed);
  EXPECT_FALSE(d.done);
  EXPECT_EQ(d.consumed, 11u);
}

TEST(BodyDecoder, RejectsInvalidChunkSizes) {
  for (std::string_view data :
       {"g\r\n"sv, "\r\n"sv, "11111111111111111\r\n"sv, "-1\r\n"sv, "+1\r\n"sv, " 1\r\n"sv,
        ";ext\r\n"sv, "0x5\r\n"sv, "5\n"sv, "5\r\r\n"sv, "1\0\r\n"sv}) {
    EXPECT_TRUE(body_refused(decode(BodyDecoder::chunked(Limits{}), data), 400)) << escaped(data);
  }
}

// Issue 12 item 2: what llhttp's strict mode refuses in a chunk line (its lenient flags
// LENIENT_SPACES_AFTER_CHUNK_SIZE and the like are off), wirekit refuses, byte by byte too.
TEST(BodyDecoder, RejectsLenientChunkLineSyntax) {
  for (std::string_view line :
       {"a \r\n"sv, "a\t\r\n"sv, "a ;x\r\n"sv, "2;\r\n"sv, "2;;x\r\n"sv, "2;=v\r\n"sv, "2;x=\r\n"sv,
        "2;x= v\r\n"sv, "2; x\r\n"sv, "2;x =v\r\n"sv, "2;x=\"open\r\n"sv, "2;x=\"a\"b\r\n"sv,
        "2;x=\"\\\r\n"sv, "2;x=a b\r\n"sv, "2;x@y\r\n"sv}) {
    const std::string data = std::string(line) + "ab\r\n0\r\n\r\n";
    EXPECT_TRUE(body_refused(decode(BodyDecoder::chunked(Limits{}), data), 400)) << escaped(line);
    EXPECT_TRUE(body_refused(decode_bytewise(BodyDecoder::chunked(Limits{}), data), 400))
        << escaped(line);
  }
}

TEST(BodyDecoder, AcceptsEveryFormOfChunkExtensionTheGrammarAllows) {
  for (std::string_view line :
       {"2;x\r\n"sv, "2;x=v\r\n"sv, "2;x=\"\"\r\n"sv, "2;x=\"a;b=c\"\r\n"sv, "2;x=\"\\\"\"\r\n"sv,
        "2;a;b=1;c=\"q\"\r\n"sv, "02;x=!#$%&'*+-.^_`|~\r\n"sv}) {
    const std::string data = std::string(line) + "ab\r\n0\r\n\r\n";
    const Decoded d = decode(BodyDecoder::chunked(Limits{}), data);
    EXPECT_FALSE(d.failed) << escaped(line) << ": " << d.error.reason;
    EXPECT_EQ(d.body, "ab") << escaped(line);
  }
}

TEST(BodyDecoder, RejectsControlCharactersInChunkExtension) {
  EXPECT_TRUE(
      body_refused(decode(BodyDecoder::chunked(Limits{}), "1;a\0b\r\nx\r\n0\r\n\r\n"sv), 400));
  EXPECT_TRUE(
      body_refused(decode(BodyDecoder::chunked(Limits{}), "1;a\nb\r\nx\r\n0\r\n\r\n"), 400));
}

TEST(BodyDecoder, RejectsChunkExtensionOverLimit) {
  Limits limits;
  limits.max_chunk_extension = 8;
  EXPECT_FALSE(decode(BodyDecoder::chunked(limits), "1;abcdefg\r\nx\r\n0\r\n\r\n").failed);
  EXPECT_TRUE(
      body_refused(decode(BodyDecoder::chunked(limits), "1;abcdefghij\r\nx\r\n0\r\n\r\n"), 400));
}

TEST(BodyDecoder, RejectsChunkDataLongerThanItsSize) {
  EXPECT_TRUE(body_refused(decode(BodyDecoder::chunked(Limits{}), "3\r\nabcd\r\n0\r\n\r\n"), 400));
  EXPECT_TRUE(body_refused(decode(BodyDecoder::chunked(Limits{}), "3\r\nabc\n0\r\n\r\n"), 400));
  EXPECT_TRUE(
      body_refused(decode_bytewise(BodyDecoder::chunked(Limits{}), "3\r\nabc0\r\n\r\n"), 400));
}

TEST(BodyDecoder, RejectsMalformedTrailerLines) {
  EXPECT_TRUE(body_refused(decode(BodyDecoder::chunked(Limits{}), "0\r\nX: a\0\r\n\r\n"sv), 400));
  EXPECT_TRUE(body_refused(decode(BodyDecoder::chunked(Limits{}), "0\r\nX: a\n\r\n"), 400));
}

// The header documents trailers as "parsed (and validated)": a trailer line must be a field
// line (RFC 9112 §7.1.2), name ":" value, with a token name and no obs-fold.
TEST(BodyDecoder, RejectsTrailerLinesThatAreNotFields) {
  for (std::string_view trailer :
       {"no colon here"sv, "Bad Name: x"sv, ": empty name"sv, " folded"sv}) {
    const std::string data = "0\r\nX-Ok: 1\r\n" + std::string(trailer) + "\r\n\r\n";
    EXPECT_TRUE(body_refused(decode(BodyDecoder::chunked(Limits{}), data), 400))
        << escaped(trailer);
  }
}

TEST(BodyDecoder, RejectsFixedBodyOverLimitWith413) {
  EXPECT_TRUE(body_refused(decode(BodyDecoder::fixed(20, 10), std::string(20, 'x')), 413));
  EXPECT_TRUE(body_refused(decode_bytewise(BodyDecoder::fixed(20, 10), std::string(20, 'x')), 413));
  const Decoded at_limit = decode(BodyDecoder::fixed(10, 10), std::string(10, 'x'));
  EXPECT_FALSE(at_limit.failed);
  EXPECT_TRUE(at_limit.done);
}

TEST(BodyDecoder, RejectsChunkedBodyOverLimitWith413) {
  Limits limits;
  limits.max_body = 10;
  EXPECT_FALSE(
      decode(BodyDecoder::chunked(limits), "5\r\naaaaa\r\n5\r\nbbbbb\r\n0\r\n\r\n").failed);
  EXPECT_TRUE(body_refused(
      decode(BodyDecoder::chunked(limits), "5\r\naaaaa\r\n5\r\nbbbbb\r\n1\r\nc\r\n0\r\n\r\n"),
      413));
  EXPECT_TRUE(body_refused(
      decode_bytewise(BodyDecoder::chunked(limits), "6\r\naaaaaa\r\n6\r\nbbbbbb\r\n0\r\n\r\n"),
      413));
}

TEST(BodyDecoder, RejectsOversizedChunkBeforeItsData) {
  // 0x100001 is one byte over the default 1 MiB: refused as soon as its size line ends.
  const Decoded d = decode(BodyDecoder::chunked(Limits{}), "100001\r\n");
  EXPECT_TRUE(body_refused(d, 413));
  EXPECT_TRUE(d.body.empty());
  EXPECT_TRUE(body_refused(decode(BodyDecoder::chunked(Limits{}), "fffffffffffffff\r\n"), 413));
  // Exactly 1 MiB is allowed to start.
  const Decoded at_limit = decode(BodyDecoder::chunked(Limits{}), "100000\r\n");
  EXPECT_FALSE(at_limit.failed);
  EXPECT_FALSE(at_limit.done);
}

}  // namespace
}  // namespace wirekit::http
