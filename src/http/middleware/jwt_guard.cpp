#include <algorithm>

#include <wirekit/http/middleware.hpp>
#include <wirekit/http/parser.hpp>

namespace wirekit::http {

namespace jwt = crypto::jwt;

namespace {

constexpr std::string_view claims_attribute = "jwt.claims";

// The token of "Authorization: Bearer <token>" (RFC 6750 §2.1), or empty.
std::string_view bearer_token(std::optional<std::string_view> authorization) {
  if (!authorization) return {};
  const std::string_view value = *authorization;
  const auto space = value.find(' ');
  if (space == std::string_view::npos || !iequals(value.substr(0, space), "Bearer")) return {};
  return trim_ows(value.substr(space));
}

// 401 with a Bearer challenge; `error` and `description` only when a token was offered.
Response challenge(const std::string& realm, std::string_view description) {
  std::string value = "Bearer realm=\"" + realm + "\"";
  if (!description.empty()) {
    value += ", error=\"invalid_token\", error_description=\"";
    for (char c : description) value += c == '"' || c == '\\' ? '\'' : c;
    value += '"';
  }
  Response response = Response::error(401);
  response.header("WWW-Authenticate", value);
  return response;
}

}  // namespace

Middleware jwt_guard(JwtGuardOptions options) {
  if (!options.key && !options.keys) {
    throw Error(errc::invalid_argument, "the JWT guard needs a key or a key set");
  }
  if (options.decode.algorithms.empty()) {
    throw Error(errc::invalid_argument, "the JWT guard needs the algorithms it accepts");
  }
  auto shared = std::make_shared<const JwtGuardOptions>(std::move(options));
  return [shared](Request& request, const Handler& next) -> Task<Response> {
    const JwtGuardOptions& opts = *shared;
    const bool guarded = opts.paths.empty() ||
                         std::any_of(opts.paths.begin(), opts.paths.end(),
                                     [&](const auto& p) { return request.path().starts_with(p); });
    if (guarded) {
      const std::string_view token = bearer_token(request.header("authorization"));
      if (token.empty()) co_return challenge(opts.realm, {});
      std::string failure;
      try {
        const jwt::Json claims = opts.key ? jwt::decode(token, *opts.key, opts.decode)
                                          : jwt::decode(token, *opts.keys, opts.decode);
        request.set_attribute(std::string(claims_attribute), claims.dump());
      } catch (const jwt::ExpiredSignatureError&) {
        failure = "The token has expired";
      } catch (const jwt::InvalidTokenError& e) {
        failure = e.what();
      }
      if (!failure.empty()) co_return challenge(opts.realm, failure);
    }
    co_return co_await next(request);
  };
}

jwt::Json jwt_claims(const Request& request) {
  const auto text = request.attribute(claims_attribute);
  return text ? jwt::Json::parse(*text) : jwt::Json::object();
}

}  // namespace wirekit::http
