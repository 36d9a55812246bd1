#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/http/router.hpp>

#include "http/http_support.hpp"

namespace wirekit::http {
namespace {

// "label name=value ...": which route answered, with the parameters it saw.
Task<Response> describe(std::string label, Request& request) {
  std::string text = std::move(label);
  if (const RouteMatch* m = request.route()) {
    for (const auto& [name, value] : m->params) {
      text += ' ';
      text += name;
      text += '=';
      text += value;
    }
  }
  co_return Response::text(std::move(text));
}

Handler reply(std::string label) {
  return [label = std::move(label)](Request& request) { return describe(label, request); };
}

Task<Response> handle_task(const Router& router, std::string method, std::string target) {
  support::TestRequest request(support::request_text(method, target));
  co_return co_await router.handle(*request);
}

Response handle(const Router& router, std::string method, std::string target) {
  return wirekit::test::run(handle_task(router, std::move(method), std::move(target)));
}

std::string body(const Router& router, std::string target) {
  return handle(router, "GET", std::move(target)).body;
}

// The methods of an Allow value, one by one.
std::vector<std::string> allow_list(std::string_view allow) {
  std::vector<std::string> out;
  while (!allow.empty()) {
    const std::size_t comma = allow.find(',');
    std::string_view item = allow.substr(0, comma);
    while (item.starts_with(' ')) item.remove_prefix(1);
    out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    allow.remove_prefix(comma + 1);
  }
  return out;
}

// ---- specificity ----------------------------------------------------------------------------

TEST(Router, LiteralBeatsParameterBeatsRestInRegistrationOrder) {
  Router r;
  r.get("/a/b", reply("literal")).get("/a/{x}", reply("param")).get("/a/{rest...}", reply("rest"));
  EXPECT_EQ(body(r, "/a/b"), "literal");
  EXPECT_EQ(body(r, "/a/c"), "param x=c");
  EXPECT_EQ(body(r, "/a/c/d"), "rest rest=c/d");
}

TEST(Router, LiteralBeatsParameterBeatsRestInReverseOrder) {
  Router r;
  r.get("/a/{rest...}", reply("rest")).get("/a/{x}", reply("param")).get("/a/b", reply("literal"));
  EXPECT_EQ(body(r, "/a/b"), "literal");
  EXPECT_EQ(body(r, "/a/c"), "param x=c");
  EXPECT_EQ(body(r, "/a/c/d"), "rest rest=c/d");
}

TEST(Router, SpecificityIsComparedFromTheLeftWhateverTheOrder) {
  Router one;
  one.get("/{x}/b", reply("param-first")).get("/a/{y}", reply("literal-first"));
  Router two;
  two.get("/a/{y}", reply("literal-first")).get("/{x}/b", reply("param-first"));
  EXPECT_EQ(body(one, "/a/b"), "literal-first y=b");
  EXPECT_EQ(body(two, "/a/b"), "literal-first y=b");
}

TEST(Router, ALiteralRouteBeatsARestRouteMatchingNothing) {
  // "/files" matches "/files" exactly and "/files/{path...}" with an empty rest: the literal
  // route is the more specific, whatever the order.
  Router one;
  one.get("/files", reply("literal")).get("/files/{path...}", reply("rest"));
  Router two;
  two.get("/files/{path...}", reply("rest")).get("/files", reply("literal"));
  EXPECT_EQ(body(one, "/files"), "literal");
  EXPECT_EQ(body(two, "/files"), "literal");
}

TEST(Router, AParameterRouteBeatsARestRouteMatchingNothing) {
  Router one;
  one.get("/{name}", reply("param")).get("/{name}/{rest...}", reply("rest"));
  Router two;
  two.get("/{name}/{rest...}", reply("rest")).get("/{name}", reply("param"));
  EXPECT_EQ(body(one, "/x"), "param name=x");
  EXPECT_EQ(body(two, "/x"), "param name=x");
}

// ---- parameters -----------------------------------------------------------------------------

TEST(Router, ParametersAreDecoded) {
  Router r;
  r.get("/hello/{name}", reply("hello"));
  EXPECT_EQ(body(r, "/hello/John%20Doe"), "hello name=John Doe");
  EXPECT_EQ(body(r, "/hello/caf%C3%A9"), "hello name=caf\xC3\xA9");
  EXPECT_EQ(body(r, "/hello/a+b"), "hello name=a+b");  // '+' is a space only in queries
}

TEST(Router, SeveralParametersAreDecodedEachInItsSegment) {
  Router r;
  r.get("/{a}/x/{b}", reply("two"));
  const Router::Match m = r.match("GET", "/one%201/x/two%202");
  ASSERT_NE(m.handler, nullptr);
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0].first, "a");
  EXPECT_EQ(m.params[0].second, "one 1");
  EXPECT_EQ(m.params[1].first, "b");
  EXPECT_EQ(m.params[1].second, "two 2");
}

TEST(Router, AnEncodedSlashInAParameterIsNotASeparator) {
  // "%2F" is not split on (the path has two segments, and "{name}" is the second), and once
  // decoded it would read as one: the path is refused as bad rather than taken either way.
  Router r;
  r.get("/hello/{name}", reply("hello"));
  const Router::Match m = r.match("GET", "/hello/a%2Fb");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.bad_path);
  EXPECT_EQ(handle(r, "GET", "/hello/a%2Fb").status, 400);
  EXPECT_EQ(handle(r, "GET", "/hello/a/b").status, 404);  // a real slash is a separator
}

TEST(Router, AnEncodedSlashInARestIsABadPath) {
  // Joined again with '/', "a%2Fb" could not be told from "a/b": it is refused.
  Router r;
  r.get("/files/{path...}", reply("files"));
  const Router::Match m = r.match("GET", "/files/dir/a%2Fb");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.bad_path);
  EXPECT_EQ(handle(r, "GET", "/files/dir/a%2Fb").status, 400);
  EXPECT_EQ(handle(r, "GET", "/files/..%2F..%2Fetc").status, 400);
}

TEST(Router, AnInvalidEscapeInAParameterIsABadPath) {
  Router r;
  r.get("/hello/{name}", reply("hello")).get("/files/{path...}", reply("files"));
  const Router::Match m = r.match("GET", "/hello/%zz");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.bad_path);
  EXPECT_EQ(handle(r, "GET", "/hello/%zz").status, 400);
  EXPECT_EQ(handle(r, "GET", "/hello/abc%4").status, 400);
  EXPECT_EQ(handle(r, "GET", "/files/ok/%g1").status, 400);
}

TEST(Router, AParameterNeedsANonEmptySegment) {
  Router r;
  r.get("/hello/{name}", reply("hello"));
  EXPECT_EQ(handle(r, "GET", "/hello/").status, 404);
  EXPECT_EQ(handle(r, "GET", "/hello").status, 404);
}

TEST(Router, RestMatchesAnEmptyRest) {
  Router r;
  r.get("/files/{path...}", reply("files"));
  EXPECT_EQ(body(r, "/files/"), "files path=");
  EXPECT_EQ(body(r, "/files"), "files path=");
}

TEST(Router, RestMatchesSeveralSegmentsDecodedOneByOne) {
  Router r;
  r.get("/files/{path...}", reply("files"));
  EXPECT_EQ(body(r, "/files/a/b/c.txt"), "files path=a/b/c.txt");
  EXPECT_EQ(body(r, "/files/a%20b/c%20d"), "files path=a b/c d");
  EXPECT_EQ(body(r, "/files/dir/"), "files path=dir/");  // a trailing slash is kept
}

TEST(Router, RootRestMatchesEverything) {
  Router r;
  r.get("/{path...}", reply("all"));
  EXPECT_EQ(body(r, "/"), "all path=");
  EXPECT_EQ(body(r, "/x/y"), "all path=x/y");
}

// ---- 404, 405, OPTIONS, HEAD ----------------------------------------------------------------

TEST(Router, UnknownPathIs404) {
  Router r;
  r.get("/known", reply("known"));
  const Response res = handle(r, "GET", "/unknown");
  EXPECT_EQ(res.status, 404);
  EXPECT_FALSE(res.headers.contains("Allow"));
  EXPECT_EQ(handle(r, "POST", "/unknown").status, 404);
}

TEST(Router, KnownPathWithAnotherMethodIs405WithAllow) {
  Router r;
  r.get("/a", reply("get")).post("/a", reply("post")).put("/b", reply("other path"));
  const Response res = handle(r, "DELETE", "/a");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.headers.get("Allow"), "GET, HEAD, POST");
}

TEST(Router, ParameterRoutesCountFor405) {
  Router r;
  r.get("/users/{id}", reply("user"));
  const Response res = handle(r, "DELETE", "/users/7");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.headers.get("Allow"), "GET, HEAD");
}

TEST(Router, AllowNamesEveryMethodEvenWhenOneNameContainsAnother) {
  Router r;
  r.route("PROPPATCH", "/doc", reply("proppatch")).patch("/doc", reply("patch"));
  const Response res = handle(r, "DELETE", "/doc");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(allow_list(res.headers.get("Allow").value_or("")),
            (std::vector<std::string>{"PROPPATCH", "PATCH"}));
}

TEST(Router, HeadWithoutAGetRouteIs405) {
  Router r;
  r.post("/submit", reply("post"));
  const Response res = handle(r, "HEAD", "/submit");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.headers.get("Allow"), "POST");
}

TEST(Router, OptionsOnAKnownPathIs204WithAllow) {
  Router r;
  r.get("/a", reply("get")).delete_("/a", reply("delete"));
  const Response res = handle(r, "OPTIONS", "/a");
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(res.headers.get("Allow"), "GET, HEAD, DELETE");
  EXPECT_EQ(handle(r, "OPTIONS", "/b").status, 404);
}

TEST(Router, AnOptionsRouteTakesOptions) {
  Router r;
  r.get("/a", reply("get")).route("OPTIONS", "/a", reply("options"));
  const Response res = handle(r, "OPTIONS", "/a");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "options");
}

TEST(Router, HeadIsServedByTheGetRoute) {
  Router r;
  r.get("/page", reply("page"));
  const Response res = handle(r, "HEAD", "/page");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "page");  // the server, not the router, leaves the body out
}

TEST(Router, AnyTakesEveryMethod) {
  Router r;
  r.any("/hook", reply("any"));
  for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"}) {
    const Response res = handle(r, method, "/hook");
    EXPECT_EQ(res.status, 200) << method;
    EXPECT_EQ(res.body, "any") << method;
  }
}

TEST(Router, MethodsAreMatchedExactly) {
  Router r;
  r.get("/a", reply("get"));
  EXPECT_EQ(handle(r, "get", "/a").status, 405);  // methods are case-sensitive
}

TEST(Router, TrailingSlashIsSignificant) {
  Router r;
  r.get("/a", reply("no slash"));
  EXPECT_EQ(handle(r, "GET", "/a").status, 200);
  EXPECT_EQ(handle(r, "GET", "/a/").status, 404);
  r.get("/a/", reply("slash"));
  EXPECT_EQ(body(r, "/a"), "no slash");
  EXPECT_EQ(body(r, "/a/"), "slash");
}

TEST(Router, APathDeeperThan64SegmentsMatchesNoRoute) {
  Router r;
  r.get("/{path...}", reply("all"));
  std::string deep;
  for (int i = 0; i < 64; ++i) deep += "/s";
  EXPECT_EQ(handle(r, "GET", deep).status, 200);
  EXPECT_EQ(handle(r, "GET", deep + "/s").status, 404);
}

TEST(Router, RootRouteMatchesOnlyTheRoot) {
  Router r;
  r.get("/", reply("root"));
  EXPECT_EQ(body(r, "/"), "root");
  EXPECT_EQ(handle(r, "GET", "/x").status, 404);
}

TEST(Router, LiteralSegmentsMatchWholeSegments) {
  Router r;
  r.get("/api/users", reply("users"));
  EXPECT_EQ(handle(r, "GET", "/api/users2").status, 404);
  EXPECT_EQ(handle(r, "GET", "/api/user").status, 404);
  EXPECT_EQ(handle(r, "GET", "/api/users/x").status, 404);
  EXPECT_EQ(handle(r, "GET", "/api//users").status, 404);
}

TEST(Router, QueryIsNotPartOfTheMatch) {
  Router r;
  r.get("/search", reply("search"));
  EXPECT_EQ(body(r, "/search?q=a/b"), "search");
}

// ---- patterns and options -------------------------------------------------------------------

TEST(Router, InvalidPatternsThrow) {
  const Handler h = reply("x");
  for (const char* pattern :
       {"", "no-slash", "relative/{x}", "/{}", "/a/{...}", "/{rest...}/x", "/a/{rest...}/{more}"}) {
    Router r;
    try {
      r.get(pattern, h);
      ADD_FAILURE() << "no exception for '" << pattern << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument) << pattern;
    }
  }
}

TEST(Router, RouteMaxBodySurfacesInMatch) {
  Router r;
  r.post("/upload", reply("upload"), RouteOptions{.max_body = 123});
  r.post("/plain", reply("plain"));
  EXPECT_EQ(r.match("POST", "/upload").max_body, 123u);
  EXPECT_EQ(r.match("POST", "/plain").max_body, std::nullopt);
}

TEST(Router, MatchReportsAllowWithoutAHandlerFor405) {
  Router r;
  r.get("/a", reply("get"));
  const Router::Match m = r.match("POST", "/a");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.allow, "GET, HEAD");
  EXPECT_FALSE(m.bad_path);
  const Router::Match none = r.match("GET", "/b");
  EXPECT_EQ(none.handler, nullptr);
  EXPECT_EQ(none.allow, "");
}

TEST(Router, HandleUsesTheMatchAlreadyOnTheRequest) {
  Router r;
  r.get("/a", reply("a")).get("/b", reply("b"));
  auto scenario = [](const Router& router) -> Task<std::string> {
    support::TestRequest request(support::request_text("GET", "/a"));
    request->set_route(router.match("GET", "/b"));  // e.g. the server matched it already
    const Response res = co_await router.handle(*request);
    co_return res.body;
  };
  EXPECT_EQ(wirekit::test::run(scenario(r)), "b");
}

}  // namespace
}  // namespace wirekit::http
