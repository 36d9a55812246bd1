// Fuzzes the token parsers, which read whatever a client presents: Fernet tokens, JWTs, JWKs.
// The first byte picks the mode:
//   0  the input as a Fernet token;  1  Fernet round trip of the input (must come back equal)
//   2  the input as a JWT (HS256 key, audience and issuer checks on)
//   3  the input split at the first NUL into header and payload JSON, signed with the key, so
//      the claim checks see arbitrary JSON behind a valid signature
//   4  the input as a JWK;  5  as a JWK Set
// Only wirekit::Error may come out; anything else (or a crash) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <wirekit/codec.hpp>
#include <wirekit/crypto.hpp>

namespace {

using namespace wirekit::crypto;

const Fernet& fernet() {
  static const Fernet f("OhNuYnUfOzBNEnNJ9egWs42FKbGo3k97Zesy2od1sHw=");
  return f;
}

const jwt::Key& secret() {
  static const jwt::Key key = jwt::Key::secret("your-secret-key");
  return key;
}

const jwt::DecodeOptions& options() {
  static const jwt::DecodeOptions o{.algorithms = {jwt::Algorithm::HS256, jwt::Algorithm::HS512},
                                    .leeway = std::chrono::seconds(5),
                                    .audience = {"wirekit"},
                                    .issuer = "fuzz",
                                    .now = 1'700'000'000};
  return o;
}

// A JWT whose header and payload segments are `header` and `payload` verbatim, with a valid
// HS256 signature computed here independently (OpenSSL's one-shot HMAC).
std::string signed_token(std::string_view header, std::string_view payload) {
  std::string token =
      wirekit::codec::base64url_encode(header) + "." + wirekit::codec::base64url_encode(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), "your-secret-key", 15, reinterpret_cast<const unsigned char*>(token.data()),
       token.size(), mac, &len);
  return token + "." +
         wirekit::codec::base64url_encode(std::string_view(reinterpret_cast<char*>(mac), len));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 6) {
      case 0:
        (void)fernet().decrypt_at_time(input, std::chrono::seconds(60), 1'700'000'000);
        break;
      case 1:
        if (fernet().decrypt(fernet().encrypt(input)) != input) __builtin_trap();
        break;
      case 2:
        (void)jwt::decode(input, secret(), options());
        break;
      case 3: {
        const auto nul = input.find('\0');
        const std::string token = signed_token(
            input.substr(0, nul), nul == std::string_view::npos ? "" : input.substr(nul + 1));
        (void)jwt::decode(token, secret(), options());
        break;
      }
      case 4:
        (void)jwt::Key::jwk(input);
        break;
      default:
        (void)jwt::KeySet::parse(input);
        break;
    }
  } catch (const wirekit::Error&) {
  }
  return 0;
}
