// A bearer-JWT guard for HTTP routes (RFC 6750):
//
//   server.use(crypto::jwt_guard({.key = jwt::Key::secret(secret),
//                                 .decode = {.algorithms = {jwt::Algorithm::HS256}},
//                                 .paths = {"/api/"}}));
//   router.get("/api/me", [](http::Request& req) -> Task<http::Response> {
//     co_return http::Response::json({{"user", crypto::jwt_claims(req).value("username", "")}});
//   });
//
// Requests on a guarded path without a valid "Authorization: Bearer <token>" get 401 with
// WWW-Authenticate: Bearer (error="invalid_token" and a description when a token was given);
// the reason never includes the token or the key.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <wirekit/crypto/jwt.hpp>
#include <wirekit/http/message.hpp>

namespace wirekit::crypto {

struct JwtGuardOptions {
  std::optional<jwt::Key> key;      // the key, or
  std::optional<jwt::KeySet> keys;  // a key set, chosen by "kid"
  jwt::DecodeOptions decode;        // algorithms (required), audience, issuer, leeway...
  // Path prefixes that need a token; empty: every path.
  std::vector<std::string> paths;
  std::string realm = "wirekit";
};

// Throws Error(errc::invalid_argument) when neither a key nor a key set is given or no
// algorithm is allowed.
http::Middleware jwt_guard(JwtGuardOptions options);

// The claims of the request's verified token (an empty object if the guard did not run).
jwt::Json jwt_claims(const http::Request& request);

}  // namespace wirekit::crypto
