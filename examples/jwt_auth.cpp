// Tutorial §12.2: a JWT issued for a user and verified, with the tutorial's two failure
// outcomes. The token is the one PyJWT makes from the same claims (docs/tokens.md). With a
// token as argument, verifies that one instead.
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include <wirekit/crypto.hpp>

namespace jwt = wirekit::crypto::jwt;
using namespace std::chrono_literals;

const jwt::Key secret_key = jwt::Key::secret("your-secret-key");

std::string generate_token(std::string_view username) {
  const jwt::Json payload{{"username", username}, {"exp", jwt::from_now(1h)}};
  return jwt::encode(payload, secret_key, jwt::Algorithm::HS256);
}

std::string verify_token(std::string_view token) {
  try {
    const jwt::Json payload =
        jwt::decode(token, secret_key, {.algorithms = {jwt::Algorithm::HS256}});
    return payload.at("username").get<std::string>();
  } catch (const jwt::ExpiredSignatureError&) {
    return "Token expired";
  } catch (const jwt::InvalidTokenError&) {
    return "Invalid token";
  }
}

int main(int argc, char** argv) {
  const std::string token = argc > 1 ? argv[1] : generate_token("user123");
  std::printf("Generated token: %s\n", token.c_str());
  std::printf("Verified username: %s\n", verify_token(token).c_str());
}
