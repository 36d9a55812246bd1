#include <ctime>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <wirekit/http/date.hpp>
#include <wirekit/http/message.hpp>

#include "http/http_support.hpp"

namespace wirekit::http {
namespace {

using support::TestRequest;

// ---- percent-encoding and HTML ------------------------------------------------------------

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(percent_decode("a%20b%2fc%2F%41"), "a b/c/A");
  EXPECT_EQ(percent_decode("caf%C3%A9"), "caf\xC3\xA9");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("plain-text_~."), "plain-text_~.");
}

TEST(PercentDecode, DecodesANulEscapeToANulByte) {
  const auto decoded = percent_decode("a%00b");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, std::string("a\0b", 3));
}

TEST(PercentDecode, PlusIsASpaceOnlyWhenAsked) {
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a%2Bb", true), "a+b");
}

TEST(PercentDecode, MalformedEscapesAreRefused) {
  EXPECT_EQ(percent_decode("%zz"), std::nullopt);
  EXPECT_EQ(percent_decode("%1"), std::nullopt);
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("abc%"), std::nullopt);
  EXPECT_EQ(percent_decode("abc%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%g0"), std::nullopt);
  EXPECT_EQ(percent_decode("%0g"), std::nullopt);
}

TEST(PercentEncode, KeepsUnreservedCharactersAndEscapesTheRest) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("a b"), "a%20b");
  EXPECT_EQ(percent_encode("?#&=+%\"<>"), "%3F%23%26%3D%2B%25%22%3C%3E");
  EXPECT_EQ(percent_encode("caf\xC3\xA9"), "caf%C3%A9");
  EXPECT_EQ(percent_encode(std::string("\0\x7f", 2)), "%00%7F");
}

TEST(PercentEncode, KeepsSlashesSoPathsStayPaths) {
  EXPECT_EQ(percent_encode("dir/sub dir/", "/"), "dir/sub%20dir/");
}

TEST(PercentEncode, RoundTripsThroughDecode) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(percent_decode(percent_encode(all)), all);
}

TEST(HtmlEscape, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain text"), "plain text");
}

// ---- Headers --------------------------------------------------------------------------------

TEST(Headers, GetIsCaseInsensitiveAndReturnsTheFirstValue) {
  Headers h;
  h.add("X-Thing", "1");
  h.add("x-thing", "2");
  EXPECT_EQ(h.get("X-THING"), "1");
  EXPECT_TRUE(h.contains("x-Thing"));
  EXPECT_FALSE(h.contains("x-other"));
  EXPECT_EQ(h.get("x-other"), std::nullopt);
}

TEST(Headers, AddKeepsEveryFieldInOrder) {
  Headers h;
  h.add("Set-Cookie", "a=1");
  h.add("Vary", "Origin");
  h.add("set-cookie", "b=2");
  std::vector<std::string> seen;
  for (const auto& [name, value] : h) seen.push_back(std::string(name) + ": " + std::string(value));
  EXPECT_EQ(seen, (std::vector<std::string>{"Set-Cookie: a=1", "Vary: Origin", "set-cookie: b=2"}));
}

TEST(Headers, SetReplacesEveryFieldOfThatNameWhateverItsCase) {
  Headers h;
  h.add("X-A", "1");
  h.add("Other", "o");
  h.add("x-a", "2");
  h.set("X-a", "3");
  EXPECT_EQ(h.get("x-a"), "3");
  std::size_t count = 0;
  for (const auto& f : h) count += iequals(f.first, "x-a") ? 1U : 0U;
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(h.get("other"), "o");
}

TEST(Headers, RemoveIsCaseInsensitiveAndRemovesAll) {
  Headers h;
  h.add("Vary", "Origin");
  h.add("VARY", "Accept-Encoding");
  h.add("Keep", "k");
  h.remove("vary");
  EXPECT_FALSE(h.contains("Vary"));
  EXPECT_EQ(h.get("keep"), "k");
  h.remove("keep");
  EXPECT_TRUE(h.empty());
  h.remove("absent");  // nothing to do
  EXPECT_TRUE(h.empty());
}

TEST(Headers, AnEmptyValueIsAValue) {
  Headers h;
  h.add("X-Empty", "");
  EXPECT_EQ(h.get("x-empty"), "");
  EXPECT_TRUE(h.contains("X-Empty"));
}

TEST(Headers, WireHoldsTheFieldsAsSent) {
  Headers h;
  h.set("Content-Type", "text/plain");
  h.add("Vary", "Origin");
  h.add("Vary", "Accept-Encoding");
  EXPECT_EQ(h.wire(), "Content-Type: text/plain\r\nVary: Origin\r\nVary: Accept-Encoding\r\n");
  h.remove("content-type");
  EXPECT_EQ(h.wire(), "Vary: Origin\r\nVary: Accept-Encoding\r\n");
}

TEST(Headers, ALineBreakOrControlInAValueIsRefused) {
  for (const std::string& value :
       {std::string("a\r\nSet-Cookie: x=1"), std::string("a\nb"), std::string("a\rb"),
        std::string("a\0b", 3), std::string("a\x7f")}) {
    Headers h;
    h.set("X-Safe", "kept");
    try {
      h.set("X-Safe", value);
      ADD_FAILURE() << "accepted a value with a control character";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument);
    }
    try {
      h.add("X-Other", value);
      ADD_FAILURE() << "accepted a value with a control character";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument);
    }
    EXPECT_FALSE(h.contains("Set-Cookie"));
    EXPECT_FALSE(h.contains("X-Other"));
  }
}

TEST(Headers, ATabInAValueIsAllowed) {
  Headers h;
  h.set("X-Tab", "a\tb");
  EXPECT_EQ(h.get("x-tab"), "a\tb");
}

TEST(Headers, ANameThatIsNotATokenIsRefused) {
  for (const char* name : {"", "Bad Name", "X:Y", "X\r\nY", "(x)", "X-\xC3\xA9"}) {
    Headers h;
    try {
      h.add(name, "v");
      ADD_FAILURE() << "accepted the name '" << name << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument) << name;
    }
    EXPECT_TRUE(h.empty()) << name;
  }
}

// ---- Request --------------------------------------------------------------------------------

TEST(Request, OriginFormSplitsPathAndQuery) {
  TestRequest r(support::request_text("GET", "/files/a%20b?x=1&y=2"));
  EXPECT_EQ(r->method(), "GET");
  EXPECT_EQ(r->target(), "/files/a%20b?x=1&y=2");
  EXPECT_EQ(r->path(), "/files/a%20b");  // still encoded
  EXPECT_EQ(r->query_string(), "x=1&y=2");
}

TEST(Request, NoQueryMeansAnEmptyQueryString) {
  TestRequest r(support::request_text("GET", "/plain"));
  EXPECT_EQ(r->path(), "/plain");
  EXPECT_EQ(r->query_string(), "");
  TestRequest empty(support::request_text("GET", "/x?"));
  EXPECT_EQ(empty->path(), "/x");
  EXPECT_EQ(empty->query_string(), "");
}

TEST(Request, AFragmentIsNeitherQueryNorPath) {
  TestRequest with_query(support::request_text("GET", "/p?q=1#frag"));
  EXPECT_EQ(with_query->path(), "/p");
  EXPECT_EQ(with_query->query_string(), "q=1");
  TestRequest without_query(support::request_text("GET", "/p#frag"));
  EXPECT_EQ(without_query->path(), "/p");
  EXPECT_EQ(without_query->query_string(), "");
}

TEST(Request, AbsoluteFormTakesThePathAfterTheAuthority) {
  TestRequest r(support::request_text("GET", "http://example.com:8080/a/b?x=1"));
  EXPECT_EQ(r->path(), "/a/b");
  EXPECT_EQ(r->query_string(), "x=1");
  TestRequest bare(support::request_text("GET", "http://example.com"));
  EXPECT_EQ(bare->path(), "/");
  EXPECT_EQ(bare->query_string(), "");
}

TEST(Request, AbsoluteFormWithAQueryButNoPathKeepsTheQuery) {
  // "http://host?q" has an empty path and a query (RFC 3986 §3): the path is "/", and a slash
  // inside the query must not be taken for the start of the path.
  TestRequest r(support::request_text("GET", "http://example.com?next=/admin"));
  EXPECT_EQ(r->path(), "/");
  EXPECT_EQ(r->query_string(), "next=/admin");
}

TEST(Request, QueryDecodesKeysAndValues) {
  TestRequest r(
      support::request_text("GET", "/s?q=hello+world&c=%41%42&na%6De=v&flag&empty=&x=1&x=2"));
  EXPECT_EQ(r->query("q"), "hello world");
  EXPECT_EQ(r->query("c"), "AB");
  EXPECT_EQ(r->query("name"), "v");
  EXPECT_EQ(r->query("flag"), "");
  EXPECT_EQ(r->query("empty"), "");
  EXPECT_EQ(r->query("x"), "1");  // the first value
  EXPECT_EQ(r->query("missing"), std::nullopt);
}

TEST(Request, HeadersAndVersionComeFromTheHead) {
  TestRequest r(support::request_text("GET", "/", "X-Custom: yes\r\n", "1.0"));
  EXPECT_EQ(r->header("x-custom"), "yes");
  EXPECT_EQ(r->header("host"), "test");
  EXPECT_EQ(r->minor_version(), 0);
  EXPECT_FALSE(r->keep_alive());
  EXPECT_EQ(r->peer().to_string(), "127.0.0.1:5000");
}

TEST(Request, JsonParsesTheBody) {
  TestRequest r(support::request_text("POST", "/"));
  r->mutable_body() = R"({"a": [1, 2]})";
  EXPECT_EQ(r->json()["a"][1], 2);
}

TEST(Request, InvalidJsonThrowsAProtocolError) {
  TestRequest r(support::request_text("POST", "/"));
  r->mutable_body() = "{not json";
  try {
    (void)r->json();
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::protocol_error);
    EXPECT_NE(std::string(e.what()).find("invalid JSON"), std::string::npos) << e.what();
  }
}

TEST(Request, AttributesAreSetReplacedAndRead) {
  TestRequest r(support::request_text("GET", "/"));
  EXPECT_EQ(r->attribute("user"), std::nullopt);
  r->set_attribute("user", "ann");
  r->set_attribute("user", "bob");
  EXPECT_EQ(r->attribute("user"), "bob");
}

TEST(Request, ParamIsEmptyBeforeRouting) {
  TestRequest r(support::request_text("GET", "/x"));
  EXPECT_EQ(r->route(), nullptr);
  EXPECT_EQ(r->param("name"), "");
}

// ---- Response -------------------------------------------------------------------------------

TEST(Response, TextIsPlainUtf8) {
  const Response r = Response::text("hi", 201);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.headers.get("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "hi");
  EXPECT_EQ(r.body_size(), 2u);
}

TEST(Response, HtmlIsHtmlUtf8) {
  EXPECT_EQ(Response::html("<p>").headers.get("Content-Type"), "text/html; charset=utf-8");
}

TEST(Response, JsonSerializesTheValue) {
  const Response r = Response::json({{"ok", true}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(r.body), (nlohmann::json{{"ok", true}}));
}

TEST(Response, ErrorNamesTheStatusAndTheDetail) {
  const Response plain = Response::error(404);
  EXPECT_EQ(plain.status, 404);
  EXPECT_EQ(plain.body, "404 Not Found\n");
  EXPECT_EQ(plain.headers.get("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(Response::error(400, "bad thing").body, "400 Bad Request: bad thing\n");
}

TEST(Response, StreamKeepsTheProducerAndTheType) {
  Response r = Response::stream("text/event-stream", [](BodyWriter& w) -> Task<void> {
    co_await w.write("a");
    co_await w.write("b");
  });
  EXPECT_EQ(r.headers.get("content-type"), "text/event-stream");
  ASSERT_TRUE(static_cast<bool>(r.producer));
  support::CollectingWriter writer;
  wirekit::test::run(r.producer(writer));
  EXPECT_EQ(writer.joined(), "ab");
}

TEST(Response, HeaderSetsAndChains) {
  Response r;
  r.header("X-A", "1").header("x-a", "2");
  EXPECT_EQ(r.headers.get("X-A"), "2");
}

TEST(ReasonPhrase, KnowsTheStandardCodes) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(204), "No Content");
  EXPECT_EQ(reason_phrase(304), "Not Modified");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
}

TEST(ReasonPhrase, IsEmptyForOtherCodes) {
  EXPECT_EQ(reason_phrase(299), "");
  EXPECT_EQ(reason_phrase(999), "");
  EXPECT_EQ(reason_phrase(0), "");
}

// ---- HTTP dates -----------------------------------------------------------------------------

constexpr std::time_t rfc_example = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(format_http_date(rfc_example), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(HttpDate, ParsesImfFixdate) {
  EXPECT_EQ(try_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), rfc_example);
}

TEST(HttpDate, ParsesRfc850) {
  EXPECT_EQ(try_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), rfc_example);
}

TEST(HttpDate, ParsesAsctime) {
  EXPECT_EQ(try_parse_http_date("Sun Nov  6 08:49:37 1994"), rfc_example);
  EXPECT_EQ(try_parse_http_date("Wed Nov 16 08:49:37 1994"), rfc_example + 10 * 86400);
}

TEST(HttpDate, RoundTrips) {
  for (const std::time_t t :
       {std::time_t{0}, rfc_example, std::time_t{1700000000}, std::time_t{4102444799}}) {
    EXPECT_EQ(try_parse_http_date(format_http_date(t)), t) << t;
  }
}

TEST(HttpDate, GarbageIsRefused) {
  for (const char* text :
       {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37",
        "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 06 Nov 19x4 08:49:37 GMT",
        "Sun, 06 Nov 1994 08-49-37 GMT", "Sunday, 06-Nov-94 08:49:37", "Sun Nov  6 08:49:37",
        "Sun Nov 6 08:49:37 1994", "1994-11-06T08:49:37Z"}) {
    EXPECT_EQ(try_parse_http_date(text), std::nullopt) << '"' << text << '"';
  }
}

TEST(HttpDate, NegativeClockFieldsAreRefused) {
  EXPECT_EQ(try_parse_http_date("Sun, 06 Nov 1994 -1:49:37 GMT"), std::nullopt);
  EXPECT_EQ(try_parse_http_date("Sun, 06 Nov 1994 08:-1:37 GMT"), std::nullopt);
  EXPECT_EQ(try_parse_http_date("Sun, 06 Nov 1994 08:49:-1 GMT"), std::nullopt);
}

TEST(HttpDate, CurrentDateIsNow) {
  const std::time_t before = std::time(nullptr);
  const std::string_view now = current_http_date();
  const std::time_t after = std::time(nullptr);
  EXPECT_EQ(now.size(), 29u);
  const auto parsed = try_parse_http_date(now);
  ASSERT_TRUE(parsed.has_value()) << now;
  EXPECT_GE(*parsed, before);
  EXPECT_LE(*parsed, after);
}

}  // namespace
}  // namespace wirekit::http
