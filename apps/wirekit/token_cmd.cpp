// wirekit fernet genkey/encrypt/decrypt (§12.1) and wirekit jwt sign/verify/decode (§12.2).
#include <cstdio>
#include <cstdlib>

#include <wirekit/crypto.hpp>

#include "cli.hpp"

namespace wirekit::cli {

namespace {

namespace jwt = crypto::jwt;

// Token outcomes have exit codes of their own (docs/errors.md).
constexpr int exit_token_expired = 3;
constexpr int exit_invalid_token = 4;

std::string trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

// The positional argument, or standard input when it is absent or "-".
std::string argument_or_stdin(const std::string& arg, bool is_set) {
  return !is_set || arg == "-" ? read_stdin() : arg;
}

// --- fernet ---------------------------------------------------------------------------------

struct FernetFlags {
  std::string key;
  std::string key_file;
  std::string input;
  std::int64_t ttl = -1;
  CLI::Option* input_option = nullptr;

  crypto::Fernet fernet() const {
    if (!key.empty()) return crypto::Fernet(key);
    if (!key_file.empty()) return crypto::Fernet(trimmed(read_file(key_file, "key file")));
    if (const char* env = std::getenv("WIREKIT_FERNET_KEY"); env && *env) {
      return crypto::Fernet(trimmed(env));
    }
    throw Error(errc::invalid_argument, "no key: give --key, --key-file or WIREKIT_FERNET_KEY");
  }
};

void add_key_options(CLI::App& command, FernetFlags& flags) {
  command.add_option("--key", flags.key, "Fernet key (url-safe base64 of 32 bytes)");
  command.add_option("--key-file", flags.key_file, "File holding the key");
}

int fernet_decrypt(const FernetFlags& flags) {
  const crypto::Fernet fernet = flags.fernet();
  const std::string token = trimmed(argument_or_stdin(flags.input, flags.input_option->count()));
  try {
    write_stdout(flags.ttl >= 0 ? fernet.decrypt(token, std::chrono::seconds(flags.ttl))
                                : fernet.decrypt(token));
  } catch (const crypto::InvalidToken&) {
    std::fprintf(stderr, "Invalid token\n");
    return exit_invalid_token;
  }
  return 0;
}

void add_fernet_commands(CLI::App& app, Action& action) {
  static FernetFlags flags;
  CLI::App* group = app.add_subcommand("fernet", "Fernet symmetric encryption (§12.1)");
  group->require_subcommand(1);

  CLI::App* genkey = group->add_subcommand("genkey", "Print a new random key (§12.1 generate_key)");
  genkey->callback([&action] {
    action = [] {
      write_stdout(crypto::Fernet::generate_key() + "\n");
      return 0;
    };
  });

  CLI::App* encrypt =
      group->add_subcommand("encrypt", "Encrypt TEXT, or standard input (§12.1 encrypt_message)");
  add_key_options(*encrypt, flags);
  flags.input_option =
      encrypt->add_option("text", flags.input, "Text to encrypt; - or none: stdin");
  encrypt->callback([&action] {
    action = [] {
      const crypto::Fernet fernet = flags.fernet();
      write_stdout(fernet.encrypt(argument_or_stdin(flags.input, flags.input_option->count())) +
                   "\n");
      return 0;
    };
  });

  CLI::App* decrypt =
      group->add_subcommand("decrypt", "Decrypt TOKEN, or standard input (§12.1 decrypt_message)");
  add_key_options(*decrypt, flags);
  decrypt->add_option("--ttl", flags.ttl, "Refuse tokens older than this many seconds")
      ->check(CLI::NonNegativeNumber);
  CLI::Option* token = decrypt->add_option("token", flags.input, "Token; - or none: stdin");
  decrypt->callback([&action, token] {
    flags.input_option = token;
    action = [] { return fernet_decrypt(flags); };
  });
}

// --- jwt ------------------------------------------------------------------------------------

struct JwtFlags {
  std::string secret;
  std::string key_file;
  std::string jwks_file;
  std::vector<std::string> algorithms;
  std::vector<std::string> claims;
  std::vector<std::string> headers;
  std::string exp;
  bool iat = false;
  std::string leeway = "0s";
  std::vector<std::string> audience;
  std::string issuer;
  std::string subject;
  std::vector<std::string> require;
  std::string token;
  CLI::Option* token_option = nullptr;
};

jwt::Key key_of(const JwtFlags& flags) {
  if (!flags.secret.empty()) return jwt::Key::secret(flags.secret);
  if (!flags.key_file.empty()) return jwt::Key::pem(read_file(flags.key_file, "key file"));
  if (const char* env = std::getenv("WIREKIT_JWT_SECRET"); env && *env) {
    return jwt::Key::secret(env);
  }
  throw Error(errc::invalid_argument, "no key: give --secret, --key or WIREKIT_JWT_SECRET");
}

// The algorithm a key signs with when none is named: HS256 for secrets, else the key's kind.
jwt::Algorithm natural_algorithm(const jwt::Key& key) {
  if (key.algorithm()) return *key.algorithm();
  switch (key.type()) {
    case jwt::KeyType::secret:
      return jwt::Algorithm::HS256;
    case jwt::KeyType::rsa:
      return jwt::Algorithm::RS256;
    case jwt::KeyType::okp:
      return jwt::Algorithm::EdDSA;
    case jwt::KeyType::ec:
      break;
  }
  const std::string curve = key.to_jwk().value("crv", "");
  return curve == "P-384"   ? jwt::Algorithm::ES384
         : curve == "P-521" ? jwt::Algorithm::ES512
                            : jwt::Algorithm::ES256;
}

std::vector<jwt::Algorithm> algorithms_of(const JwtFlags& flags, const jwt::Key* key) {
  std::vector<jwt::Algorithm> out;
  for (const std::string& text : flags.algorithms) {
    const auto alg = jwt::algorithm_from_name(text);
    if (!alg) throw Error(errc::invalid_argument, "unknown algorithm '" + text + "'");
    out.push_back(*alg);
  }
  if (out.empty() && key) out.push_back(natural_algorithm(*key));
  if (out.empty()) throw Error(errc::invalid_argument, "name the accepted algorithms with --alg");
  return out;
}

// "k=v": v as JSON when it parses (numbers, true, {"a":1}), else as a string.
std::pair<std::string, jwt::Json> key_value(const std::string& text, std::string_view what) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error(errc::invalid_argument, std::string(what) + " '" + text + "' is not key=value");
  }
  const std::string value = text.substr(eq + 1);
  jwt::Json parsed = jwt::Json::parse(value, nullptr, false);
  return {text.substr(0, eq), parsed.is_discarded() ? jwt::Json(value) : std::move(parsed)};
}

int jwt_sign(const JwtFlags& flags) {
  const jwt::Key key = key_of(flags);
  const auto algorithms = algorithms_of(flags, &key);
  jwt::Json payload = jwt::Json::object();
  for (const std::string& c : flags.claims) {
    auto [name, value] = key_value(c, "claim");
    payload[name] = std::move(value);
  }
  if (flags.iat) payload["iat"] = jwt::from_now(std::chrono::seconds(0));
  if (!flags.exp.empty()) {
    payload["exp"] =
        jwt::from_now(std::chrono::duration_cast<std::chrono::seconds>(parse_duration(flags.exp)));
  }
  jwt::Json headers = jwt::Json::object();
  for (const std::string& h : flags.headers) {
    auto [name, value] = key_value(h, "header");
    headers[name] = std::move(value);
  }
  write_stdout(jwt::encode(payload, key, algorithms.front(), headers) + "\n");
  return 0;
}

int jwt_verify(const JwtFlags& flags) {
  const std::string token = trimmed(argument_or_stdin(flags.token, flags.token_option->count()));
  std::optional<jwt::Key> key;
  std::optional<jwt::KeySet> keys;
  if (!flags.jwks_file.empty()) {
    keys = jwt::KeySet::parse(read_file(flags.jwks_file, "JWK Set"));
  } else {
    key = key_of(flags);
  }
  jwt::DecodeOptions options{
      .algorithms = algorithms_of(flags, key ? &*key : nullptr),
      .leeway = std::chrono::duration_cast<std::chrono::seconds>(parse_duration(flags.leeway)),
      .audience = flags.audience,
      .issuer = flags.issuer.empty() ? std::nullopt : std::optional(flags.issuer),
      .subject = flags.subject.empty() ? std::nullopt : std::optional(flags.subject),
      .require = flags.require};
  try {
    const jwt::Json payload =
        key ? jwt::decode(token, *key, options) : jwt::decode(token, *keys, options);
    write_stdout(payload.dump(2) + "\n");
  } catch (const jwt::ExpiredSignatureError&) {
    std::fprintf(stderr, "Token expired\n");
    return exit_token_expired;
  } catch (const jwt::InvalidTokenError& e) {
    std::fprintf(stderr, "Invalid token: %s\n", e.what());
    return exit_invalid_token;
  }
  return 0;
}

int jwt_decode(const JwtFlags& flags) {
  const std::string token = trimmed(argument_or_stdin(flags.token, flags.token_option->count()));
  try {
    const jwt::Decoded decoded = jwt::decode_unverified(token);
    std::fprintf(stderr, "warning: the signature was not verified\n");
    write_stdout(jwt::Json{{"header", decoded.header}, {"payload", decoded.payload}}.dump(2) +
                 "\n");
  } catch (const jwt::InvalidTokenError& e) {
    std::fprintf(stderr, "Invalid token: %s\n", e.what());
    return exit_invalid_token;
  }
  return 0;
}

void add_secret_options(CLI::App& command, JwtFlags& flags) {
  command.add_option("--secret", flags.secret, "HMAC secret (or WIREKIT_JWT_SECRET)");
  command.add_option("--key", flags.key_file, "PEM key file (private to sign, public to verify)");
  command.add_option("--alg", flags.algorithms,
                     "Algorithm (HS256, RS256, PS256, ES256, EdDSA...; default from the key)");
}

void add_jwt_commands(CLI::App& app, Action& action) {
  static JwtFlags flags;
  CLI::App* group = app.add_subcommand("jwt", "JSON Web Tokens (§12.2)");
  group->require_subcommand(1);

  CLI::App* sign = group->add_subcommand("sign", "Print a signed token (§12.2 generate_token)");
  add_secret_options(*sign, flags);
  sign->add_option("--claim", flags.claims, "Claim key=value (value parsed as JSON if it is)");
  sign->add_option("--header", flags.headers, "Extra header key=value (kid=...)");
  sign->add_option("--exp", flags.exp, "Expire this long from now (1h, 30m...)");
  sign->add_flag("--iat", flags.iat, "Add the issued-at time");
  sign->callback([&action] { action = [] { return jwt_sign(flags); }; });

  CLI::App* verify =
      group->add_subcommand("verify", "Verify a token and print its claims (§12.2 verify_token)");
  add_secret_options(*verify, flags);
  verify->add_option("--jwks", flags.jwks_file, "JWK Set file; the key is chosen by kid");
  verify->add_option("--leeway", flags.leeway, "Clock slack for exp/nbf")->capture_default_str();
  verify->add_option("--aud", flags.audience, "Accepted audience");
  verify->add_option("--iss", flags.issuer, "Required issuer");
  verify->add_option("--sub", flags.subject, "Required subject");
  verify->add_option("--require", flags.require, "Claim that must be present");
  CLI::Option* verify_token = verify->add_option("token", flags.token, "Token; - or none: stdin");
  verify->callback([&action, verify_token] {
    flags.token_option = verify_token;
    action = [] { return jwt_verify(flags); };
  });

  CLI::App* decode = group->add_subcommand("decode", "Print header and claims, unverified");
  CLI::Option* decode_token = decode->add_option("token", flags.token, "Token; - or none: stdin");
  decode->callback([&action, decode_token] {
    flags.token_option = decode_token;
    action = [] { return jwt_decode(flags); };
  });
}

}  // namespace

void add_token_commands(CLI::App& app, Action& action) {
  add_fernet_commands(app, action);
  add_jwt_commands(app, action);
}

}  // namespace wirekit::cli
