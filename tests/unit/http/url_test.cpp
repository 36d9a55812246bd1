// Url: parsing, errors, RFC 3986 reference resolution, and the query/form encoders.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/core/error.hpp>
#include <wirekit/http/message.hpp>
#include <wirekit/http/url.hpp>

namespace wirekit::http {
namespace {

// ---- parse ----------------------------------------------------------------------------------

TEST(UrlParse, DefaultsForAPlainHttpUrl) {
  const Url u = Url::parse("http://example.com");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.userinfo, "");
  EXPECT_EQ(u.target, "/");
  EXPECT_TRUE(u.has_default_port());
  EXPECT_EQ(u.authority(), "example.com");
  EXPECT_EQ(u.origin(), "http://example.com");
  EXPECT_EQ(u.str(), "http://example.com/");
}

TEST(UrlParse, HttpsDefaultsToPort443) {
  const Url u = Url::parse("https://example.com/x");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.port, 443);
  EXPECT_TRUE(u.has_default_port());
  EXPECT_EQ(u.authority(), "example.com");
  EXPECT_EQ(u.str(), "https://example.com/x");
}

TEST(UrlParse, ExplicitPortPathAndQuery) {
  const Url u = Url::parse("http://example.com:8080/a/b?x=1&y=2");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 8080);
  EXPECT_FALSE(u.has_default_port());
  EXPECT_EQ(u.target, "/a/b?x=1&y=2");
  EXPECT_EQ(u.authority(), "example.com:8080");
  EXPECT_EQ(u.origin(), "http://example.com:8080");
  EXPECT_EQ(u.str(), "http://example.com:8080/a/b?x=1&y=2");
}

TEST(UrlParse, ExplicitDefaultPortIsNotShown) {
  EXPECT_EQ(Url::parse("http://example.com:80/a").str(), "http://example.com/a");
  EXPECT_EQ(Url::parse("https://example.com:443/").authority(), "example.com");
  // The other scheme's default port is not a default.
  EXPECT_EQ(Url::parse("https://example.com:80/").authority(), "example.com:80");
}

TEST(UrlParse, QueryWithoutPathGetsASlash) {
  const Url u = Url::parse("http://example.com?q=1");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.target, "/?q=1");
}

TEST(UrlParse, SchemeAndHostAreLowered) {
  const Url u = Url::parse("HTTP://Example.COM:8080/Path/Keeps/Case?Q=V");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/Path/Keeps/Case?Q=V");
}

TEST(UrlParse, Ipv6Literal) {
  const Url u = Url::parse("http://[::1]:8080/x?y=1");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/x?y=1");
  EXPECT_EQ(u.authority(), "[::1]:8080");
  EXPECT_EQ(u.origin(), "http://[::1]:8080");
  EXPECT_EQ(u.str(), "http://[::1]:8080/x?y=1");

  const Url d = Url::parse("http://[2001:db8::7]/");
  EXPECT_EQ(d.host, "2001:db8::7");
  EXPECT_EQ(d.port, 80);
  EXPECT_EQ(d.authority(), "[2001:db8::7]");
}

TEST(UrlParse, Ipv4Literal) {
  const Url u = Url::parse("http://127.0.0.1:9000/");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 9000);
  EXPECT_EQ(u.authority(), "127.0.0.1:9000");
}

TEST(UrlParse, UserinfoIsKeptButNotShown) {
  const Url u = Url::parse("http://user:pa%40ss@example.com:81/p");
  EXPECT_EQ(u.userinfo, "user:pa%40ss");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 81);
  EXPECT_EQ(u.target, "/p");
  EXPECT_EQ(u.str(), "http://example.com:81/p");
  EXPECT_EQ(u.authority(), "example.com:81");
}

TEST(UrlParse, FragmentIsDropped) {
  EXPECT_EQ(Url::parse("http://example.com/a?b=1#section").target, "/a?b=1");
  EXPECT_EQ(Url::parse("http://example.com/a#x?y").target, "/a");
  EXPECT_EQ(Url::parse("http://example.com#top").target, "/");
  EXPECT_EQ(Url::parse("http://example.com#top").host, "example.com");
}

TEST(UrlParse, SpacesAndUnsafeBytesArePercentEncoded) {
  EXPECT_EQ(Url::parse("http://example.com/a b/c?q=x y").target, "/a%20b/c?q=x%20y");
  EXPECT_EQ(Url::parse("http://example.com/\"<>").target, "/%22%3C%3E");
  EXPECT_EQ(Url::parse("http://example.com/caf\xc3\xa9").target, "/caf%C3%A9");
}

TEST(UrlParse, ExistingEscapesAreNotEncodedTwice) {
  EXPECT_EQ(Url::parse("http://example.com/a%20b?x=%2F").target, "/a%20b?x=%2F");
}

TEST(UrlParse, SurroundingWhitespaceIsIgnored) {
  const Url u = Url::parse("  http://example.com/a  ");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.target, "/a");
}

// ---- parse errors -------------------------------------------------------------------------

// Expects Url::parse(text) to throw Error(invalid_argument) with a one-line message naming
// the URL.
void expect_invalid(const std::string& text) {
  SCOPED_TRACE(text);
  try {
    const Url u = Url::parse(text);
    ADD_FAILURE() << "parsed as " << u.str();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
    const std::string message = e.what();
    EXPECT_NE(message.find("'" + text + "'"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(UrlParseErrors, NoScheme) {
  expect_invalid("example.com/path");
  expect_invalid("/just/a/path");
  expect_invalid("");
}

TEST(UrlParseErrors, UnsupportedScheme) {
  expect_invalid("ftp://example.com/file");
  expect_invalid("file:///etc/passwd");
  expect_invalid("ws://example.com/");
}

TEST(UrlParseErrors, EmptyHost) {
  expect_invalid("http:///path");
  expect_invalid("http://");
  expect_invalid("http://:8080/");
  expect_invalid("http://user@/x");
}

TEST(UrlParseErrors, BadPort) {
  expect_invalid("http://example.com:0/");
  expect_invalid("http://example.com:70000/");
  expect_invalid("http://example.com:65536/");
  expect_invalid("http://example.com:abc/");
  expect_invalid("http://example.com:-1/");
  expect_invalid("http://example.com:80x/");
}

TEST(UrlParseErrors, NonAsciiHost) {
  expect_invalid("http://exa\xc3\xa4mple.com/");
  expect_invalid("http://\xe4\xbe\x8b\xe3\x81\x88.jp/");
}

TEST(UrlParseErrors, MalformedIpv6Literal) {
  expect_invalid("http://[::1/");
  expect_invalid("http://[]/");
  expect_invalid("http://[::1]x/");
  expect_invalid("http://[D]/");  // hex digits, but not an address (found by the fuzzer)
  expect_invalid("http://[1:2:3]/");
}

TEST(UrlParse, Ipv6LiteralIsLowerCasedAndPrintsBracketed) {
  const Url url = Url::parse("http://[2001:DB8::A]:8080/x");
  EXPECT_EQ(url.host, "2001:db8::a");
  EXPECT_EQ(url.str(), "http://[2001:db8::a]:8080/x");
  EXPECT_EQ(Url::parse(url.str()).str(), url.str());
}

TEST(UrlParseErrors, PortBoundariesThatAreValid) {
  EXPECT_EQ(Url::parse("http://h:1/").port, 1);
  EXPECT_EQ(Url::parse("http://h:65535/").port, 65535);
}

// ---- resolve (RFC 3986 §5.4) --------------------------------------------------------------

const Url& rfc_base() {
  static const Url base = Url::parse("http://a/b/c/d;p?q");
  return base;
}

struct ResolveCase {
  const char* reference;
  const char* expected;
};

void expect_resolutions(const std::vector<ResolveCase>& cases) {
  for (const ResolveCase& c : cases) {
    SCOPED_TRACE(std::string("reference '") + c.reference + "'");
    EXPECT_EQ(rfc_base().resolve(c.reference).str(), c.expected);
  }
}

TEST(UrlResolve, Rfc3986NormalExamples) {
  expect_resolutions({
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g/"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q"},  // fragments are dropped
      {"g#s", "http://a/b/c/g"},
      {"g?y#s", "http://a/b/c/g?y"},
      {";x", "http://a/b/c/;x"},
      {"g;x", "http://a/b/c/g;x"},
      {"g;x?y#s", "http://a/b/c/g;x?y"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../", "http://a/"},
      {"../../g", "http://a/g"},
  });
}

TEST(UrlResolve, SchemeRelativeReferenceNamesTheHost) {
  const Url u = rfc_base().resolve("//g");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "g");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/");
  const Url v = Url::parse("https://a:8443/x").resolve("//other:9000/p?q");
  EXPECT_EQ(v.scheme, "https");
  EXPECT_EQ(v.host, "other");
  EXPECT_EQ(v.port, 9000);
  EXPECT_EQ(v.target, "/p?q");
}

TEST(UrlResolve, Rfc3986AbnormalExamples) {
  expect_resolutions({
      {"../../../g", "http://a/g"},
      {"../../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {".g", "http://a/b/c/.g"},
      {"g..", "http://a/b/c/g.."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
      {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
      {"g;x=1/../y", "http://a/b/c/y"},
      {"g?y/./x", "http://a/b/c/g?y/./x"},  // dot segments in the query stay
      {"g?y/../x", "http://a/b/c/g?y/../x"},
  });
}

TEST(UrlResolve, AbsolutePathReferenceKeepsEmptySegments) {
  // A Location of "/p//q" names the path /p//q: urllib.parse.urljoin and yarl (aiohttp) keep it
  // as it is, as RFC 3986 §5.2.4 does (it removes only "." and ".." segments).
  EXPECT_EQ(rfc_base().resolve("/p//q").str(), "http://a/p//q");
  EXPECT_EQ(rfc_base().resolve("/p//q/../r").str(), "http://a/p//r");
}

TEST(UrlResolve, RelativeReferenceKeepsEmptySegments) {
  // RFC 3986 §5.2.3-5.2.4 merge then remove dot segments only, so "x//y" keeps its empty
  // segment. (Python's urljoin and yarl collapse it to "x/y"; the RFC and the WHATWG URL
  // standard do not.)
  EXPECT_EQ(rfc_base().resolve("x//y").str(), "http://a/b/c/x//y");
}

TEST(UrlResolve, AbsoluteReferences) {
  const Url base = Url::parse("http://a:8080/b/c?q");
  const Url other = base.resolve("http://other.example:81/z?k=1");
  EXPECT_EQ(other.host, "other.example");
  EXPECT_EQ(other.port, 81);
  EXPECT_EQ(other.target, "/z?k=1");
  EXPECT_EQ(other.str(), "http://other.example:81/z?k=1");

  const Url secure = base.resolve("HTTPS://Secure.Example/");
  EXPECT_EQ(secure.scheme, "https");
  EXPECT_EQ(secure.host, "secure.example");
  EXPECT_EQ(secure.port, 443);

  EXPECT_EQ(base.resolve("http://a/").str(), "http://a/");  // the port goes back to 80
}

TEST(UrlResolve, RelativeReferencesKeepSchemeHostPortAndUserinfo) {
  const Url base = Url::parse("http://u:p@a:8080/b/c?q");
  const Url r = base.resolve("d?e=1");
  EXPECT_EQ(r.scheme, "http");
  EXPECT_EQ(r.host, "a");
  EXPECT_EQ(r.port, 8080);
  EXPECT_EQ(r.userinfo, "u:p");
  EXPECT_EQ(r.str(), "http://a:8080/b/d?e=1");
}

TEST(UrlResolve, ReferenceWithSpacesIsEncoded) {
  EXPECT_EQ(rfc_base().resolve("new page?x=a b").target, "/b/c/new%20page?x=a%20b");
}

TEST(UrlResolve, InvalidAbsoluteReferenceThrows) {
  try {
    (void)rfc_base().resolve("ftp://a/b");
    ADD_FAILURE() << "an ftp:// Location resolved";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("ftp://a/b"), std::string::npos) << e.what();
  }
}

// ---- encoding -----------------------------------------------------------------------------

TEST(UrlEncoding, PercentEncodeForForms) {
  EXPECT_EQ(percent_encode("abcXYZ019-._~", {}, true), "abcXYZ019-._~");
  EXPECT_EQ(percent_encode("a b", {}, true), "a+b");
  EXPECT_EQ(percent_encode("a&b=c/d?e#f+g%", {}, true), "a%26b%3Dc%2Fd%3Fe%23f%2Bg%25");
  EXPECT_EQ(percent_encode("caf\xc3\xa9", {}, true), "caf%C3%A9");
  EXPECT_EQ(percent_encode("", {}, true), "");
  EXPECT_EQ(percent_encode(std::string("\0\n", 2), {}, true), "%00%0A");
}

TEST(UrlEncoding, PercentEncodeOutsideForms) {
  EXPECT_EQ(percent_encode("a b"), "a%20b");
  EXPECT_EQ(percent_encode("a+b"), "a%2Bb");
  EXPECT_EQ(percent_encode("~user/x y"), "~user%2Fx%20y");
}

TEST(UrlEncoding, EncodeForm) {
  const std::vector<std::pair<std::string, std::string>> fields{
      {"a", "1"}, {"b", "x y"}, {"c&d", "e=f"}, {"empty", ""}, {"u", "\xc3\xa9"}};
  EXPECT_EQ(encode_form(fields), "a=1&b=x+y&c%26d=e%3Df&empty=&u=%C3%A9");
  EXPECT_EQ(encode_form({}), "");
  const std::vector<std::pair<std::string, std::string>> repeated{{"k", "1"}, {"k", "2"}};
  EXPECT_EQ(encode_form(repeated), "k=1&k=2");
}

}  // namespace
}  // namespace wirekit::http
