// The server's answers at the edges: what follows a request in the same read, protocol
// upgrades, refusals decided by the head, and which failure becomes which status.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <wirekit/http/client.hpp>
#include <wirekit/http/server.hpp>

#include "http/http_support.hpp"

namespace wirekit::http {
namespace {

using namespace std::chrono_literals;
using support::Client;
using support::request_text;
using support::WireResponse;

Router app() {
  Router r;
  r.get("/", [](Request&) -> Task<Response> { co_return Response::text("root"); });
  r.get("/teapot", [](Request&) -> Task<Response> {
    throw HttpError(418, "no coffee here");
    co_return Response::text("unreachable");
  });
  r.get("/upstream", [](Request&) -> Task<Response> {
    throw HttpStatusError(404, "404 Not Found for url: http://internal.example/secret");
    co_return Response::text("unreachable");
  });
  // Takes the connection over and echoes one line, after what it finds already read.
  r.get("/line-echo", [](Request&) -> Task<Response> {
    co_return Response::switching_protocols("line-echo", [](Takeover t) -> Task<void> {
      std::array<std::byte, 64> buffer;
      const std::size_t n = co_await t.stream.read_some(buffer);
      co_await t.stream.write(std::span(buffer.data(), n));
    });
  });
  r.get("/bogus-101", [](Request&) -> Task<Response> { co_return Response(101); });
  return r;
}

template <class Talk>
void talk_to(const Server& server, Talk talk) {
  wirekit::test::run(support::converse(server, std::move(talk)));
}

// ---- what follows a request in the same read ------------------------------------------------

TEST(HttpServerEdges, ARequestFollowedByAStrayCrlfIsAnsweredAtOnce) {
  Server server{app()};
  talk_to(server, [](Client& c) -> Task<void> {
    co_await c.send(request_text("GET", "/") + "\r\n");
    const WireResponse r = co_await c.next(false, 2s);  // the header timeout is 60 s
    EXPECT_EQ(r.body, "root");
    co_await c.send(request_text("GET", "/"));  // the CRLF was ignored, the connection goes on
    EXPECT_EQ((co_await c.next(false, 2s)).body, "root");
  });
}

TEST(HttpServerEdges, ARequestFollowedByTheFirstByteOfTheNextIsAnsweredAtOnce) {
  Server server{app()};
  talk_to(server, [](Client& c) -> Task<void> {
    co_await c.send(request_text("GET", "/") + "G");
    EXPECT_EQ((co_await c.next(false, 2s)).body, "root");
    co_await c.send(request_text("GET", "/").substr(1));
    EXPECT_EQ((co_await c.next(false, 2s)).body, "root");
  });
}

TEST(HttpServerEdges, APipelinedBatchIsStillAnsweredInOrder) {
  Server server{app()};
  talk_to(server, [](Client& c) -> Task<void> {
    std::string batch;
    for (int i = 0; i < 50; ++i) batch += request_text("GET", "/");
    co_await c.send(batch + "GET / HT");
    for (int i = 0; i < 50; ++i) EXPECT_EQ((co_await c.next(false, 2s)).body, "root");
    co_await c.send("TP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ((co_await c.next(false, 2s)).body, "root");
  });
}

// ---- refusals decided by the head -----------------------------------------------------------

TEST(HttpServerEdges, ABodyForARouteThatDoesNotExistIsNeverWaitedFor) {
  Server server{app()};
  talk_to(server, [](Client& c) -> Task<void> {
    // Announces a megabyte and sends none of it: the answer comes from the head alone.
    co_await c.send(request_text("POST", "/", "Content-Length: 1000000\r\n"));
    const WireResponse r = co_await c.next(false, 2s);
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
    EXPECT_EQ(r.header("Connection"), "close");
    co_await c.send(request_text("PUT", "/nowhere", "Content-Length: 10\r\n"));
    EXPECT_EQ(co_await c.rest(2s), "");  // closed after the 405: the body is not read
  });
  talk_to(server, [](Client& c) -> Task<void> {
    co_await c.send(request_text("POST", "/nowhere", "Transfer-Encoding: chunked\r\n"));
    EXPECT_EQ((co_await c.next(false, 2s)).status, 404);
  });
}

// ---- failures and their statuses ------------------------------------------------------------

TEST(HttpServerEdges, AnHttpErrorIsAnsweredWithItsStatusAndMessage) {
  Server server{app()};
  talk_to(server, [](Client& c) -> Task<void> {
    co_await c.send(request_text("GET", "/teapot"));
    const WireResponse r = co_await c.next();
    EXPECT_EQ(r.status, 418);
    EXPECT_NE(r.body.find("no coffee here"), std::string::npos);
  });
}

TEST(HttpServerEdges, AnUpstreamsErrorStatusIs502WithoutItsDetail) {
  Server server{app()};
  talk_to(server, [](Client& c) -> Task<void> {
    co_await c.send(request_text("GET", "/upstream"));
    const WireResponse r = co_await c.next();
    EXPECT_EQ(r.status, 502);
    EXPECT_EQ(r.body.find("internal.example"), std::string::npos);
  });
}

// ---- the upgrade hook -----------------------------------------------------------------------

TEST(HttpServerEdges, An101HandsTheConnectionOverWithTheBytesReadPastTheRequest) {
  Server server{app()};
  talk_to(server, [](Client& c) -> Task<void> {
    co_await c.send(
        request_text("GET", "/line-echo", "Connection: Upgrade\r\nUpgrade: line-echo\r\n") +
        "sent with the request");
    const WireResponse r = co_await c.next();
    EXPECT_EQ(r.status, 101);
    EXPECT_EQ(r.header("Upgrade"), "line-echo");
    EXPECT_EQ(r.header("Connection"), "Upgrade");
    EXPECT_FALSE(r.header("Content-Length").has_value());
    EXPECT_EQ(co_await c.rest(), "sent with the request");  // echoed, then closed
  });
}

TEST(HttpServerEdges, An101WithoutAnUpgradeRequestIsAServerError) {
  Server server{app()};
  talk_to(server, [](Client& c) -> Task<void> {
    co_await c.send(request_text("GET", "/line-echo"));
    EXPECT_EQ((co_await c.next()).status, 500);
    co_await c.send(request_text("GET", "/bogus-101", "Connection: Upgrade\r\nUpgrade: x\r\n"));
    EXPECT_EQ((co_await c.next()).status, 500);
  });
}

}  // namespace
}  // namespace wirekit::http
