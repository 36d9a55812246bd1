// The bearer-JWT guard (http::jwt_guard in include/wirekit/http/middleware.hpp) in front of a
// Router, driven through Server::respond and, once, over an in-memory pipe as a client sees it.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <wirekit/crypto/jwt.hpp>
#include <wirekit/http/middleware.hpp>
#include <wirekit/http/router.hpp>
#include <wirekit/http/server.hpp>

#include "http/http_support.hpp"

namespace wirekit::http {
namespace {

namespace jwt = crypto::jwt;
using namespace std::chrono_literals;
using jwt::Algorithm;
using jwt::Json;
using jwt::Key;
using support::request_text;

constexpr std::string_view secret_text = "guard-test-secret-0123456789";

const Key& secret() {
  static const Key key = Key::secret(secret_text);
  return key;
}

std::string valid_token(Json claims = Json{{"username", "user123"}}) {
  if (!claims.contains("exp")) claims["exp"] = jwt::from_now(1h);
  return jwt::encode(claims, secret(), Algorithm::HS256);
}

// Handlers answer with the claims the guard left (and say which route ran).
Task<Response> me(Request& request) {
  co_return Response::json({{"route", "me"}, {"claims", jwt_claims(request)}});
}
Task<Response> public_page(Request& request) {
  co_return Response::json({{"route", "public"}, {"claims", jwt_claims(request)}});
}

Router app() {
  Router r;
  r.get("/api/me", me).get("/public", public_page).get("/apix", public_page);
  return r;
}

JwtGuardOptions guard_options() {
  JwtGuardOptions o;
  o.key = secret();
  o.decode.algorithms = {Algorithm::HS256};
  o.paths = {"/api/"};
  return o;
}

Response fetch(const Server& server, std::string_view target, std::string_view extra_headers = {}) {
  return wirekit::test::run(support::respond(server, request_text("GET", target, extra_headers)));
}

std::string bearer(std::string_view token) {
  return "Authorization: Bearer " + std::string(token) + "\r\n";
}

// Neither the token nor the secret may be reflected anywhere in the response.
void expect_nothing_leaks(const Response& r, std::string_view token) {
  const std::string body = support::body_of(r);
  const std::string_view headers = r.headers.wire();
  EXPECT_EQ(body.find(secret_text), std::string::npos) << body;
  EXPECT_EQ(headers.find(secret_text), std::string_view::npos) << headers;
  if (!token.empty()) {
    // Each segment is distinctive enough on its own.
    std::size_t start = 0;
    while (start < token.size()) {
      std::size_t end = token.find('.', start);
      if (end == std::string_view::npos) end = token.size();
      const std::string_view segment = token.substr(start, end - start);
      if (segment.size() >= 8) {
        EXPECT_EQ(body.find(segment), std::string::npos) << "body repeats the token: " << body;
        EXPECT_EQ(headers.find(segment), std::string_view::npos)
            << "headers repeat the token: " << headers;
      }
      start = end + 1;
    }
  }
}

std::string www_authenticate(const Response& r) {
  const auto v = r.headers.get("WWW-Authenticate");
  return v ? std::string(*v) : std::string();
}

// ---- refusals -------------------------------------------------------------------------------

TEST(JwtGuard, MissingTokenIs401WithABearerChallenge) {
  Server server{app()};
  server.use(jwt_guard(guard_options()));
  const Response r = fetch(server, "/api/me");
  EXPECT_EQ(r.status, 401);
  const std::string challenge = www_authenticate(r);
  EXPECT_TRUE(challenge.starts_with("Bearer realm=\"wirekit\"")) << challenge;
  // RFC 6750 §3.1: no error code when the request carried no credentials.
  EXPECT_EQ(challenge.find("error="), std::string::npos) << challenge;
  EXPECT_EQ(support::body_of(r).find("\"route\""), std::string::npos)
      << "the handler ran: " << support::body_of(r);
}

TEST(JwtGuard, RealmIsConfigurable) {
  Server server{app()};
  JwtGuardOptions o = guard_options();
  o.realm = "example api";
  server.use(jwt_guard(o));
  const Response r = fetch(server, "/api/me");
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(www_authenticate(r).starts_with("Bearer realm=\"example api\""))
      << www_authenticate(r);
}

TEST(JwtGuard, OtherSchemesAreNotABearerToken) {
  Server server{app()};
  server.use(jwt_guard(guard_options()));
  const Response r = fetch(server, "/api/me", "Authorization: Basic dXNlcjpwYXNz\r\n");
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(www_authenticate(r).starts_with("Bearer realm=")) << www_authenticate(r);
}

TEST(JwtGuard, BadTokenIs401InvalidToken) {
  Server server{app()};
  server.use(jwt_guard(guard_options()));
  for (const std::string& token :
       {std::string("not-a-jwt"), valid_token() + "x",
        jwt::encode(Json{{"username", "user123"}, {"exp", jwt::from_now(1h)}},
                    Key::secret("some-other-secret"), Algorithm::HS256),
        jwt::encode(Json{{"username", "user123"}, {"exp", jwt::from_now(1h)}}, secret(),
                    Algorithm::HS512)}) {
    const Response r = fetch(server, "/api/me", bearer(token));
    EXPECT_EQ(r.status, 401) << token;
    const std::string challenge = www_authenticate(r);
    EXPECT_TRUE(challenge.starts_with("Bearer realm=\"wirekit\"")) << challenge;
    EXPECT_NE(challenge.find("error=\"invalid_token\""), std::string::npos) << challenge;
    EXPECT_NE(challenge.find("error_description="), std::string::npos) << challenge;
    expect_nothing_leaks(r, token);
  }
}

TEST(JwtGuard, ExpiredTokenSaysSo) {
  Server server{app()};
  server.use(jwt_guard(guard_options()));
  const std::string token = jwt::encode(Json{{"username", "user123"}, {"exp", jwt::from_now(-60s)}},
                                        secret(), Algorithm::HS256);
  const Response r = fetch(server, "/api/me", bearer(token));
  EXPECT_EQ(r.status, 401);
  const std::string challenge = www_authenticate(r);
  EXPECT_NE(challenge.find("error=\"invalid_token\""), std::string::npos) << challenge;
  const std::size_t at = challenge.find("error_description=");
  ASSERT_NE(at, std::string::npos) << challenge;
  std::string description = challenge.substr(at);
  for (char& c : description) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(description.find("expired"), std::string::npos) << challenge;
  expect_nothing_leaks(r, token);
}

TEST(JwtGuard, ClaimChecksOfTheDecodeOptionsApply) {
  Server server{app()};
  JwtGuardOptions o = guard_options();
  o.decode.audience = {"wirekit-api"};
  server.use(jwt_guard(o));
  EXPECT_EQ(fetch(server, "/api/me", bearer(valid_token(Json{{"aud", "wirekit-api"}}))).status,
            200);
  const std::string wrong = valid_token(Json{{"aud", "other"}});
  const Response r = fetch(server, "/api/me", bearer(wrong));
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(www_authenticate(r).find("error=\"invalid_token\""), std::string::npos);
  expect_nothing_leaks(r, wrong);
}

// ---- acceptance -----------------------------------------------------------------------------

TEST(JwtGuard, ValidTokenRunsTheHandlerWithTheClaims) {
  Server server{app()};
  server.use(jwt_guard(guard_options()));
  const std::int64_t exp = jwt::from_now(1h);
  const std::string token =
      valid_token(Json{{"username", "user123"}, {"role", "admin"}, {"exp", exp}});
  const Response r = fetch(server, "/api/me", bearer(token));
  ASSERT_EQ(r.status, 200) << www_authenticate(r);
  const nlohmann::json body = nlohmann::json::parse(support::body_of(r));
  EXPECT_EQ(body["route"], "me");
  EXPECT_EQ(body["claims"]["username"], "user123");
  EXPECT_EQ(body["claims"]["role"], "admin");
  EXPECT_EQ(body["claims"]["exp"], exp);
  EXPECT_FALSE(r.headers.contains("WWW-Authenticate"));
}

TEST(JwtGuard, BearerSchemeIsCaseInsensitive) {
  // RFC 7235 §2.1: the auth-scheme is case-insensitive.
  Server server{app()};
  server.use(jwt_guard(guard_options()));
  EXPECT_EQ(fetch(server, "/api/me", "Authorization: bearer " + valid_token() + "\r\n").status,
            200);
}

TEST(JwtGuard, UnguardedPathsPassWithoutAToken) {
  Server server{app()};
  server.use(jwt_guard(guard_options()));
  const Response r = fetch(server, "/public");
  ASSERT_EQ(r.status, 200);
  const nlohmann::json body = nlohmann::json::parse(support::body_of(r));
  EXPECT_EQ(body["route"], "public");
  EXPECT_EQ(body["claims"], nlohmann::json::object());  // jwt_claims: empty when unguarded
  // "/apix" is not under "/api/".
  EXPECT_EQ(fetch(server, "/apix").status, 200);
}

TEST(JwtGuard, NoPathsGuardsEverything) {
  Server server{app()};
  JwtGuardOptions o = guard_options();
  o.paths.clear();
  server.use(jwt_guard(o));
  EXPECT_EQ(fetch(server, "/public").status, 401);
  EXPECT_EQ(fetch(server, "/api/me").status, 401);
  EXPECT_EQ(fetch(server, "/public", bearer(valid_token())).status, 200);
}

TEST(JwtGuard, KeySetChoosesByKid) {
  Server server{app()};
  JwtGuardOptions o;
  o.keys = jwt::KeySet::parse(R"({"keys":[
    {"kty":"oct","kid":"old","k":"b2xkLXNlY3JldC0wMTIzNDU2Nzg5"},
    {"kty":"oct","kid":"new","k":"Z3VhcmQtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ"}]})");
  o.decode.algorithms = {Algorithm::HS256};
  server.use(jwt_guard(o));
  const Json claims = {{"username", "user123"}, {"exp", jwt::from_now(1h)}};
  const std::string with_new =
      jwt::encode(claims, secret(), Algorithm::HS256, Json{{"kid", "new"}});
  EXPECT_EQ(fetch(server, "/api/me", bearer(with_new)).status, 200);
  const std::string with_old = jwt::encode(claims, Key::secret("old-secret-0123456789"),
                                           Algorithm::HS256, Json{{"kid", "old"}});
  EXPECT_EQ(fetch(server, "/api/me", bearer(with_old)).status, 200);
  const std::string unknown = jwt::encode(claims, secret(), Algorithm::HS256, Json{{"kid", "x"}});
  EXPECT_EQ(fetch(server, "/api/me", bearer(unknown)).status, 401);
}

TEST(JwtGuard, JwtClaimsWithoutTheGuardIsAnEmptyObject) {
  Server server{app()};
  const Response r = fetch(server, "/api/me", bearer(valid_token()));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(support::body_of(r))["claims"], nlohmann::json::object());
}

TEST(JwtGuard, NeedsAKeyAndAnAlgorithm) {
  JwtGuardOptions no_key;
  no_key.decode.algorithms = {Algorithm::HS256};
  try {
    (void)jwt_guard(no_key);
    ADD_FAILURE() << "a guard without a key was made";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
  }
  JwtGuardOptions no_alg;
  no_alg.key = secret();
  try {
    (void)jwt_guard(no_alg);
    ADD_FAILURE() << "a guard without algorithms was made";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
  }
}

// ---- over the wire --------------------------------------------------------------------------

TEST(JwtGuard, OverAConnectionTheChallengeAndTheHandlerAreWhatAClientSees) {
  Server server{app()};
  server.use(jwt_guard(guard_options()));
  const std::string token = valid_token();
  const std::string bad = token.substr(0, token.size() - 2);
  wirekit::test::run([&]() -> Task<void> {
    co_await support::converse(server, [&](support::Client& client) -> Task<void> {
      co_await client.send(request_text("GET", "/api/me"));
      const support::WireResponse missing = co_await client.next();
      EXPECT_EQ(missing.status, 401);
      EXPECT_TRUE(missing.header("WWW-Authenticate").value_or("").starts_with("Bearer realm="));

      co_await client.send(request_text("GET", "/api/me", bearer(bad)));
      const support::WireResponse refused = co_await client.next();
      EXPECT_EQ(refused.status, 401);
      EXPECT_NE(refused.header("WWW-Authenticate").value_or("").find("error=\"invalid_token\""),
                std::string::npos);
      EXPECT_EQ(refused.body.find(secret_text), std::string::npos);
      for (const auto& [name, value] : refused.headers) {
        EXPECT_EQ(value.find(secret_text), std::string::npos) << name;
        EXPECT_EQ(value.find(bad.substr(bad.rfind('.') + 1)), std::string::npos) << name;
      }

      co_await client.send(request_text("GET", "/api/me", bearer(token)));
      const support::WireResponse ok = co_await client.next();
      EXPECT_EQ(ok.status, 200);
      EXPECT_EQ(nlohmann::json::parse(ok.body)["claims"]["username"], "user123");
    });
  }());
}

}  // namespace
}  // namespace wirekit::http
