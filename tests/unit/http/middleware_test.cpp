#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <wirekit/codec.hpp>
#include <wirekit/guard.hpp>
#include <wirekit/http/middleware.hpp>
#include <wirekit/http/router.hpp>
#include <wirekit/http/server.hpp>
#include <wirekit/http/static_files.hpp>

#include "http/http_support.hpp"

namespace wirekit::http {
namespace {

using namespace std::chrono_literals;
using support::request_text;

std::string long_text() {
  std::string out;
  for (int i = 0; out.size() < 2000; ++i)
    out += "compressible line " + std::to_string(i % 7) + "\n";
  return out;
}

Task<Response> text(Request&) {
  co_return Response::text(long_text());
}
Task<Response> small(Request&) {
  co_return Response::text("tiny");
}
Task<Response> image(Request&) {
  Response r(200);
  r.headers.set("Content-Type", "image/png");
  r.body = long_text();
  co_return r;
}
Task<Response> already_encoded(Request&) {
  Response r = Response::text(long_text());
  r.headers.set("Content-Encoding", "identity");
  co_return r;
}
Task<Response> no_content(Request&) {
  Response r = Response::text(long_text(), 204);
  co_return r;
}
Task<Response> not_modified(Request&) {
  Response r = Response::text(long_text(), 304);
  co_return r;
}
Task<Response> file_body(Request&) {
  Response r(200);
  r.headers.set("Content-Type", "text/plain");
  r.file = Response::FileBody{std::make_shared<const UniqueFd>(), 0, 5000};
  co_return r;
}
Task<Response> strong_etag(Request&) {
  Response r = Response::text(long_text());
  r.headers.set("ETag", "\"v1\"");
  co_return r;
}
Task<Response> weak_etag(Request&) {
  Response r = Response::text(long_text());
  r.headers.set("ETag", "W/\"v1\"");
  co_return r;
}
Task<Response> streamed(Request&) {
  co_return Response::stream("text/plain", [](BodyWriter& out) -> Task<void> {
    co_await out.write("first piece, ");
    co_await out.write("second piece, ");
    co_await out.write("last piece");
  });
}
Task<Response> exposed(Request&) {
  Response r = Response::text("with headers");
  r.headers.set("X-Request-Id", "42");
  co_return r;
}

Router app() {
  Router r;
  r.get("/text", text).get("/small", small).get("/image", image);
  r.get("/encoded", already_encoded).get("/204", no_content).get("/304", not_modified);
  r.get("/file", file_body).get("/etag", strong_etag).get("/weak", weak_etag);
  r.get("/stream", streamed).get("/exposed", exposed).post("/exposed", exposed);
  return r;
}

Response fetch(const Server& server, std::string_view target, std::string_view headers = {},
               std::string_view method = "GET", std::string peer = "127.0.0.1:5000") {
  return wirekit::test::run(
      support::respond(server, request_text(method, target, headers), {}, std::move(peer)));
}

std::string gunzip(const std::string& data) {
  return codec::decompress(codec::Encoding::gzip, data, 1 << 20);
}

// ---- access log -----------------------------------------------------------------------------

TEST(AccessLog, WritesACombinedLine) {
  std::vector<std::string> lines;
  Server server{app()};
  server.use(
      access_log(LogFormat::combined, [&lines](const std::string& l) { lines.push_back(l); }));
  fetch(server, "/small?x=1", "Referer: https://ref.example/\r\nUser-Agent: curl/8.5\r\n");
  ASSERT_EQ(lines.size(), 1u);
  const std::regex combined(
      R"re(127\.0\.0\.1 - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] )re"
      R"re("GET /small\?x=1 HTTP/1\.1" 200 4 "https://ref\.example/" "curl/8\.5")re");
  EXPECT_TRUE(std::regex_match(lines[0], combined)) << lines[0];
}

TEST(AccessLog, MissingRefererAndAgentAreDashes) {
  std::vector<std::string> lines;
  Server server{app()};
  server.use(
      access_log(LogFormat::combined, [&lines](const std::string& l) { lines.push_back(l); }));
  fetch(server, "/nowhere");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].ends_with(R"("GET /nowhere HTTP/1.1" 404 14 "-" "-")")) << lines[0];
}

TEST(AccessLog, QuotesInHeadersAreEscaped) {
  std::vector<std::string> lines;
  Server server{app()};
  server.use(
      access_log(LogFormat::combined, [&lines](const std::string& l) { lines.push_back(l); }));
  fetch(server, "/small", "User-Agent: evil \"agent\" \\ x\r\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].ends_with(R"("-" "evil \"agent\" \\ x")")) << lines[0];
}

TEST(AccessLog, HeadRequestsLogNoBytes) {
  std::vector<std::string> lines;
  Server server{app()};
  server.use(
      access_log(LogFormat::combined, [&lines](const std::string& l) { lines.push_back(l); }));
  fetch(server, "/small", {}, "HEAD");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("HEAD /small HTTP/1.1" 200 0 )"), std::string::npos) << lines[0];
}

TEST(AccessLog, MappedIpv4PeersAreShownAsIpv4) {
  std::vector<std::string> lines;
  Server server{app()};
  server.use(
      access_log(LogFormat::combined, [&lines](const std::string& l) { lines.push_back(l); }));
  fetch(server, "/small", {}, "GET", "[::ffff:10.1.2.3]:4000");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].starts_with("10.1.2.3 - - [")) << lines[0];
}

TEST(AccessLog, WritesJsonLines) {
  std::vector<std::string> lines;
  Server server{app()};
  server.use(access_log(LogFormat::json, [&lines](const std::string& l) { lines.push_back(l); }));
  const std::time_t before = std::time(nullptr);
  fetch(server, "/small?q=\"x\"", "User-Agent: agent/1\r\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find('\n'), std::string::npos);
  const nlohmann::json j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["remote"], "127.0.0.1");
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["target"], "/small?q=\"x\"");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["bytes"], 4);
  EXPECT_EQ(j["referer"], "-");
  EXPECT_EQ(j["user_agent"], "agent/1");
  ASSERT_TRUE(j["duration_ms"].is_number());
  EXPECT_GE(j["duration_ms"].get<double>(), 0.0);
  ASSERT_TRUE(j["time"].is_number_integer());
  EXPECT_GE(j["time"].get<std::int64_t>(), before);
}

TEST(AccessLog, SeesTheResponseOfTheInnerMiddleware) {
  std::vector<std::string> lines;
  Server server{app()};
  server.use(access_log(LogFormat::json, [&lines](const std::string& l) { lines.push_back(l); }))
      .use(compression());
  fetch(server, "/text", "Accept-Encoding: gzip\r\n");
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json j = nlohmann::json::parse(lines[0]);
  EXPECT_LT(j["bytes"].get<std::size_t>(), long_text().size());  // the compressed size
}

// ---- compression ----------------------------------------------------------------------------

Server& with_compression(Server& server, CompressionOptions options = {}) {
  server.use(compression(std::move(options)));
  return server;
}

TEST(Compression, CompressesTextTheClientAccepts) {
  Server server{app()};
  with_compression(server);
  const Response r = fetch(server, "/text", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Content-Encoding"), "gzip");
  EXPECT_EQ(r.headers.get("Vary"), "Accept-Encoding");
  EXPECT_LT(r.body.size(), long_text().size());
  EXPECT_EQ(gunzip(r.body), long_text());
}

TEST(Compression, PicksTheEncodingByQValues) {
  Server server{app()};
  with_compression(server);
  const auto encoding = [&](std::string_view accept) {
    const Response r = fetch(server, "/text", "Accept-Encoding: " + std::string(accept) + "\r\n");
    return std::string(r.headers.get("Content-Encoding").value_or("none"));
  };
  EXPECT_EQ(encoding("gzip, br, zstd"), "br");  // the server's preference among equals
  EXPECT_EQ(encoding("gzip, zstd"), "zstd");
  EXPECT_EQ(encoding("gzip;q=0.5, br;q=0.8"), "br");
  EXPECT_EQ(encoding("br;q=0.1, gzip;q=0.9, zstd;q=0.5"), "gzip");
  EXPECT_EQ(encoding("br;q=0, gzip"), "gzip");
  EXPECT_EQ(encoding("*"), "br");
  EXPECT_EQ(encoding("*;q=0.5, br;q=0"), "zstd");
  EXPECT_EQ(encoding("identity"), "none");
  EXPECT_EQ(encoding("deflate"), "none");
}

TEST(Compression, EachEncodingDecodesToTheBody) {
  Server server{app()};
  with_compression(server);
  for (const codec::Encoding e :
       {codec::Encoding::br, codec::Encoding::zstd, codec::Encoding::gzip}) {
    const Response r =
        fetch(server, "/text", "Accept-Encoding: " + std::string(codec::to_string(e)) + "\r\n");
    EXPECT_EQ(r.headers.get("Content-Encoding"), codec::to_string(e));
    EXPECT_EQ(codec::decompress(e, r.body, 1 << 20), long_text()) << codec::to_string(e);
  }
}

TEST(Compression, WithoutAcceptEncodingTheBodyIsUntouched) {
  Server server{app()};
  with_compression(server);
  const Response r = fetch(server, "/text");
  EXPECT_FALSE(r.headers.contains("Content-Encoding"));
  EXPECT_EQ(r.body, long_text());
  EXPECT_EQ(r.headers.get("Vary"), "Accept-Encoding");
}

TEST(Compression, SkipsSmallBodies) {
  Server server{app()};
  with_compression(server);
  const Response r = fetch(server, "/small", "Accept-Encoding: gzip\r\n");
  EXPECT_FALSE(r.headers.contains("Content-Encoding"));
  EXPECT_EQ(r.body, "tiny");
}

TEST(Compression, MinSizeIsAnOption) {
  Server server{app()};
  with_compression(server, CompressionOptions{.min_size = 1});
  const Response r = fetch(server, "/small", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(r.headers.get("Content-Encoding"), "gzip");
  EXPECT_EQ(gunzip(r.body), "tiny");
}

TEST(Compression, OffersOnlyTheConfiguredEncodings) {
  Server server{app()};
  with_compression(server, CompressionOptions{.encodings = {codec::Encoding::gzip}});
  EXPECT_FALSE(
      fetch(server, "/text", "Accept-Encoding: br\r\n").headers.contains("Content-Encoding"));
  EXPECT_EQ(fetch(server, "/text", "Accept-Encoding: br, gzip\r\n").headers.get("Content-Encoding"),
            "gzip");
}

TEST(Compression, SkipsBodiesAlreadyEncoded) {
  Server server{app()};
  with_compression(server);
  const Response r = fetch(server, "/encoded", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(r.headers.get("Content-Encoding"), "identity");
  EXPECT_EQ(r.body, long_text());
}

TEST(Compression, SkipsTypesThatAreNotText) {
  Server server{app()};
  with_compression(server);
  const Response r = fetch(server, "/image", "Accept-Encoding: gzip\r\n");
  EXPECT_FALSE(r.headers.contains("Content-Encoding"));
  EXPECT_EQ(r.body, long_text());
}

TEST(Compression, SkipsNoContentAndNotModified) {
  Server server{app()};
  with_compression(server);
  for (const char* target : {"/204", "/304"}) {
    const Response r = fetch(server, target, "Accept-Encoding: gzip\r\n");
    EXPECT_FALSE(r.headers.contains("Content-Encoding")) << target;
    EXPECT_EQ(r.body, long_text()) << target;
  }
}

TEST(Compression, SkipsFileBodies) {
  Server server{app()};
  with_compression(server);
  const Response r = fetch(server, "/file", "Accept-Encoding: gzip\r\n");
  EXPECT_FALSE(r.headers.contains("Content-Encoding"));
  ASSERT_TRUE(r.file.has_value());
  EXPECT_EQ(r.file->length, 5000u);
}

TEST(Compression, WeakensAStrongEtag) {
  Server server{app()};
  with_compression(server);
  EXPECT_EQ(fetch(server, "/etag", "Accept-Encoding: gzip\r\n").headers.get("ETag"), "W/\"v1\"");
  EXPECT_EQ(fetch(server, "/weak", "Accept-Encoding: gzip\r\n").headers.get("ETag"), "W/\"v1\"");
  EXPECT_EQ(fetch(server, "/etag").headers.get("ETag"), "\"v1\"");  // not compressed: unchanged
}

TEST(Compression, CompressesStreamedBodies) {
  Server server{app()};
  with_compression(server);
  auto scenario = [](const Server& s) -> Task<void> {
    const Response r =
        co_await support::respond(s, request_text("GET", "/stream", "Accept-Encoding: gzip\r\n"));
    EXPECT_EQ(r.headers.get("Content-Encoding"), "gzip");
    EXPECT_TRUE(static_cast<bool>(r.producer));
    support::CollectingWriter out;
    co_await r.producer(out);
    EXPECT_EQ(gunzip(out.joined()), "first piece, second piece, last piece");
    // Each piece is flushed as it comes, not held back until the end.
    EXPECT_GE(out.pieces.size(), 3u);
    for (std::size_t i = 0; i < 3 && i < out.pieces.size(); ++i) {
      EXPECT_FALSE(out.pieces[i].empty()) << i;
    }
  };
  wirekit::test::run(scenario(server));
}

TEST(Compression, StreamedBodiesArriveCompressedAndChunked) {
  Server server{app()};
  with_compression(server);
  wirekit::test::run(support::converse(server, [](support::Client& c) -> Task<void> {
    co_await c.send(request_text("GET", "/stream", "Accept-Encoding: zstd\r\n"));
    const support::WireResponse r = co_await c.next();
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.header("Content-Encoding"), "zstd");
    EXPECT_EQ(codec::decompress(codec::Encoding::zstd, r.body, 1 << 20),
              "first piece, second piece, last piece");
  }));
}

TEST(Compression, KeepsTheVaryOfInnerMiddleware) {
  // CORS inside compression: both Origin and Accept-Encoding select the response, so caches
  // must be told about both.
  Server server{app()};
  server.use(compression()).use(cors(CorsOptions{.origins = {"https://app.example"}}));
  const Response r =
      fetch(server, "/text", "Origin: https://app.example\r\nAccept-Encoding: gzip\r\n");
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Origin"), "https://app.example");
  std::string vary;
  for (const auto& [name, value] : r.headers) {
    if (iequals(name, "vary")) vary += std::string(value) + ",";
  }
  EXPECT_TRUE(list_contains(vary, "Origin")) << vary;
  EXPECT_TRUE(list_contains(vary, "Accept-Encoding")) << vary;
}

TEST(Compression, LeavesPartialContentAlone) {
  // A 206 body is a byte range of the identity representation (Content-Range counts those
  // bytes): compressing it would make Content-Range lie.
  char pattern[] = "/tmp/wirekit-mw-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::filesystem::path dir = pattern;
  {
    std::ofstream out(dir / "page.txt", std::ios::binary);
    out << long_text();
  }
  Router router;
  router.get("/{path...}", StaticFiles{{.root = dir}});
  Server server{std::move(router)};
  server.use(compression());
  const Response r = fetch(server, "/page.txt", "Accept-Encoding: gzip\r\nRange: bytes=0-999\r\n");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.headers.get("Content-Range"), "bytes 0-999/" + std::to_string(long_text().size()));
  EXPECT_FALSE(r.headers.contains("Content-Encoding"));
  EXPECT_EQ(support::body_of(r), long_text().substr(0, 1000));
}

// ---- IP blocking and rate limiting ----------------------------------------------------------

TEST(IpBlocking, RefusesAClientAfterItsAttempts) {
  Server server{app()};
  server.use(
      ip_blocking(std::make_shared<guard::IpBlocker>(guard::IpBlockerOptions{.max_attempts = 3})));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(fetch(server, "/small").status, 200) << i;
  const Response blocked = fetch(server, "/small");
  EXPECT_EQ(blocked.status, 403);
  EXPECT_NE(blocked.body.find("too many attempts"), std::string::npos) << blocked.body;
  // Another client is not affected.
  EXPECT_EQ(fetch(server, "/small", {}, "GET", "127.0.0.2:5000").status, 200);
}

TEST(IpBlocking, RefusesDeniedNetworksAtOnce) {
  guard::IpBlockerOptions options;
  options.deny.push_back(net::IpNetwork::parse("10.0.0.0/8"));
  Server server{app()};
  server.use(ip_blocking(std::make_shared<guard::IpBlocker>(options)));
  const Response r = fetch(server, "/small", {}, "GET", "10.9.8.7:1234");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("not allowed"), std::string::npos) << r.body;
  EXPECT_EQ(fetch(server, "/small", {}, "GET", "192.168.1.1:1234").status, 200);
}

TEST(RateLimit, Answers429WithRetryAfterWhenTheBucketIsEmpty) {
  Server server{app()};
  server.use(rate_limit(
      std::make_shared<guard::RateLimiter>(guard::RateLimitOptions{.rate = 0.5, .burst = 2})));
  EXPECT_EQ(fetch(server, "/small").status, 200);
  EXPECT_EQ(fetch(server, "/small").status, 200);
  const Response limited = fetch(server, "/small");
  EXPECT_EQ(limited.status, 429);
  const std::string retry(limited.headers.get("Retry-After").value_or(""));
  ASSERT_FALSE(retry.empty());
  EXPECT_EQ(retry.find_first_not_of("0123456789"), std::string::npos) << retry;
  EXPECT_GE(std::stoi(retry), 1);
  EXPECT_LE(std::stoi(retry), 2);
  // Another client has its own bucket.
  EXPECT_EQ(fetch(server, "/small", {}, "GET", "127.0.0.9:5000").status, 200);
}

TEST(RateLimit, RetryAfterIsAtLeastOneSecond) {
  Server server{app()};
  server.use(rate_limit(
      std::make_shared<guard::RateLimiter>(guard::RateLimitOptions{.rate = 1000, .burst = 1})));
  EXPECT_EQ(fetch(server, "/small").status, 200);
  const Response limited = fetch(server, "/small");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.headers.get("Retry-After"), "1");
}

// ---- CORS -----------------------------------------------------------------------------------

const std::string preflight_headers =
    "Origin: https://app.example\r\nAccess-Control-Request-Method: PUT\r\n"
    "Access-Control-Request-Headers: content-type, x-token\r\n";

TEST(Cors, AnswersAnAllowedPreflight) {
  Server server{app()};
  server.use(cors(CorsOptions{.origins = {"https://app.example"}}));
  const Response r = fetch(server, "/exposed", preflight_headers, "OPTIONS");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Methods"), "GET, HEAD, POST, PUT, PATCH, DELETE");
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Headers"), "content-type, x-token");
  EXPECT_EQ(r.headers.get("Access-Control-Max-Age"), "600");
  EXPECT_EQ(r.headers.get("Vary"), "Origin");
  EXPECT_FALSE(r.headers.contains("Access-Control-Allow-Credentials"));
}

TEST(Cors, FixedAllowHeadersAnswerEveryPreflight) {
  Server server{app()};
  server.use(cors(CorsOptions{.allow_headers = "Content-Type", .max_age = 30s}));
  const Response r = fetch(server, "/exposed", preflight_headers, "OPTIONS");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Headers"), "Content-Type");
  EXPECT_EQ(r.headers.get("Access-Control-Max-Age"), "30");
}

TEST(Cors, RefusesAPreflightFromAnotherOrigin) {
  Server server{app()};
  server.use(cors(CorsOptions{.origins = {"https://app.example"}}));
  const Response r =
      fetch(server, "/exposed",
            "Origin: https://evil.example\r\nAccess-Control-Request-Method: PUT\r\n", "OPTIONS");
  EXPECT_EQ(r.status, 403);
  EXPECT_FALSE(r.headers.contains("Access-Control-Allow-Origin"));
  EXPECT_FALSE(r.headers.contains("Access-Control-Allow-Methods"));
}

TEST(Cors, OptionsWithoutTheRequestMethodIsNotAPreflight) {
  Server server{app()};
  server.use(cors(CorsOptions{}));
  const Response r = fetch(server, "/exposed", "Origin: https://app.example\r\n", "OPTIONS");
  EXPECT_EQ(r.status, 204);  // the router's OPTIONS answer
  EXPECT_EQ(r.headers.get("Allow"), "GET, HEAD, POST");
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Origin"), "*");
}

TEST(Cors, ASimpleRequestGetsTheWildcardOrigin) {
  Server server{app()};
  server.use(cors(CorsOptions{}));
  const Response r = fetch(server, "/exposed", "Origin: https://any.example\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(r.headers.contains("Vary"));
  EXPECT_FALSE(r.headers.contains("Access-Control-Allow-Credentials"));
}

TEST(Cors, AnAllowedOriginIsEchoedWithVary) {
  Server server{app()};
  server.use(cors(CorsOptions{.origins = {"https://a.example", "https://b.example"}}));
  const Response r = fetch(server, "/exposed", "Origin: https://b.example\r\n");
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Origin"), "https://b.example");
  EXPECT_EQ(r.headers.get("Vary"), "Origin");
}

TEST(Cors, AnotherOriginGetsNoAllowOrigin) {
  Server server{app()};
  server.use(cors(CorsOptions{.origins = {"https://a.example"}}));
  const Response r = fetch(server, "/exposed", "Origin: https://evil.example\r\n");
  EXPECT_EQ(r.status, 200);  // the browser, not the server, withholds the response
  EXPECT_FALSE(r.headers.contains("Access-Control-Allow-Origin"));
}

TEST(Cors, ResponsesVaryByOriginWhateverTheOrigin) {
  // With a list of origins, the response depends on Origin even when it names none of them or
  // is absent: a cache must not serve the answer without ACAO to an allowed origin (Fetch
  // standard, "CORS protocol and HTTP caches").
  Server server{app()};
  server.use(cors(CorsOptions{.origins = {"https://a.example"}}));
  const Response other = fetch(server, "/exposed", "Origin: https://evil.example\r\n");
  EXPECT_TRUE(list_contains(other.headers.get("Vary").value_or(""), "Origin"));
  const Response none = fetch(server, "/exposed");
  EXPECT_TRUE(list_contains(none.headers.get("Vary").value_or(""), "Origin"));
}

TEST(Cors, CredentialsEchoTheOriginWithVary) {
  Server server{app()};
  server.use(cors(CorsOptions{.credentials = true}));  // origins: "*"
  const Response r = fetch(server, "/exposed", "Origin: https://app.example\r\n");
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(r.headers.get("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(r.headers.get("Vary"), "Origin");
  const Response pre = fetch(server, "/exposed", preflight_headers, "OPTIONS");
  EXPECT_EQ(pre.headers.get("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(pre.headers.get("Access-Control-Allow-Credentials"), "true");
}

TEST(Cors, ExposeHeadersAreListed) {
  Server server{app()};
  server.use(cors(CorsOptions{.expose_headers = "X-Request-Id"}));
  const Response r = fetch(server, "/exposed", "Origin: https://app.example\r\n");
  EXPECT_EQ(r.headers.get("Access-Control-Expose-Headers"), "X-Request-Id");
  EXPECT_EQ(r.headers.get("X-Request-Id"), "42");
}

TEST(Cors, NoOriginMeansNoCorsHeaders) {
  Server server{app()};
  server.use(cors(CorsOptions{.expose_headers = "X-Request-Id"}));
  const Response r = fetch(server, "/exposed");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.headers.contains("Access-Control-Allow-Origin"));
  EXPECT_FALSE(r.headers.contains("Access-Control-Expose-Headers"));
}

}  // namespace
}  // namespace wirekit::http
