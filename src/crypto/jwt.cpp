#include <array>
#include <cmath>

#include <wirekit/codec.hpp>
#include <wirekit/codec/python_json.hpp>
#include <wirekit/crypto/jwt.hpp>

#include "jwt_key.hpp"

namespace wirekit::crypto::jwt {
namespace {

constexpr std::string_view algorithm_names[] = {"HS256", "HS384", "HS512", "RS256", "RS384",
                                                "RS512", "PS256", "PS384", "PS512", "ES256",
                                                "ES384", "ES512", "EdDSA"};

std::string segment(const Json& value) {
  std::string text;
  codec::append_python_json(text, value, {.item_separator = ",", .key_separator = ":"});
  return codec::base64url_encode(text);
}

// The header PyJWT writes when no extra fields are given, {"alg":"HS256","typ":"JWT"}, encoded
// once per algorithm.
const std::string& plain_header(Algorithm alg) {
  static const auto headers = [] {
    std::array<std::string, std::size(algorithm_names)> out;
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = segment(Json{{"alg", algorithm_names[i]}, {"typ", "JWT"}});
    }
    return out;
  }();
  return headers[static_cast<std::size_t>(alg)];
}

Json header_for(Algorithm alg, const Json& extra) {
  if (!extra.is_null() && !extra.is_object()) {
    throw Error(errc::invalid_argument, "JWT headers must be a JSON object");
  }
  std::map<std::string, Json> fields{{"alg", std::string(name(alg))}, {"typ", "JWT"}};
  if (extra.is_object()) {
    for (const auto& [key, value] : extra.items()) {
      if (key == "alg" && value != fields["alg"]) {
        throw Error(errc::invalid_argument, "the \"alg\" header is set by the algorithm argument");
      }
      if (key == "kid" && !value.is_string()) {
        throw Error(errc::invalid_argument, "Key ID header parameter must be a string");
      }
      fields[key] = value;
    }
  }
  // As PyJWT: an empty "typ" removes the field.
  if (const auto& typ = fields["typ"]; typ.is_null() || (typ.is_string() && typ.empty())) {
    fields.erase("typ");
  }
  Json header = Json::object();
  for (auto& [key, value] : fields) header[key] = std::move(value);  // sorted, as PyJWT sorts
  return header;
}

std::string decode_segment(std::string_view text, const char* what) {
  try {
    return codec::base64url_decode(text);
  } catch (const Error&) {
    throw InvalidTokenError(std::string("Invalid ") + what + " padding");
  }
}

Json parse_object(const std::string& text, const char* what) {
  Json value = Json::parse(text.data(), text.data() + text.size(), nullptr, false);
  if (value.is_discarded() || !value.is_object()) {
    throw InvalidTokenError(std::string("Invalid ") + what + " string: must be a json object");
  }
  return value;
}

// A NumericDate claim as whole seconds, as PyJWT's int(): floats are truncated.
std::int64_t numeric_date(const Json& value, const char* message) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && std::abs(d) < 9.2e18) return static_cast<std::int64_t>(d);
  }
  throw InvalidTokenError(message);
}

const Json* claim(const Json& payload, const char* name) {
  const auto it = payload.find(name);
  return it == payload.end() ? nullptr : &*it;
}

// Python's truth value of a JSON value: null, false, 0, "", [] and {} are false.
bool python_falsy(const Json& value) {
  if (value.is_null()) return true;
  if (value.is_boolean()) return !value.get<bool>();
  if (value.is_number()) return value.get<double>() == 0.0;
  if (value.is_string()) return value.get_ref<const std::string&>().empty();
  return value.empty();  // nlohmann: true for an empty array or object only
}

void missing(const std::string& name) {
  throw InvalidTokenError("Token is missing the \"" + name + "\" claim");
}

void validate_claims(const Json& payload, const DecodeOptions& options) {
  for (const std::string& required : options.require) {
    const Json* value = claim(payload, required.c_str());
    if (!value || value->is_null()) missing(required);  // PyJWT: null counts as missing
  }
  const std::int64_t now = options.now ? *options.now : detail::unix_now();
  const std::int64_t leeway = options.leeway.count();
  if (const Json* iat = claim(payload, "iat")) {
    if (numeric_date(*iat, "Issued At claim (iat) must be an integer.") > now + leeway) {
      throw InvalidTokenError("The token is not yet valid (iat)");
    }
  }
  if (const Json* nbf = claim(payload, "nbf"); nbf && options.verify_nbf) {
    if (numeric_date(*nbf, "Not Before claim (nbf) must be an integer.") > now + leeway) {
      throw InvalidTokenError("The token is not yet valid (nbf)");
    }
  }
  if (const Json* exp = claim(payload, "exp"); exp && options.verify_exp) {
    if (numeric_date(*exp, "Expiration Time claim (exp) must be an integer.") <= now - leeway) {
      throw ExpiredSignatureError();
    }
  }
  if (options.issuer) {
    const Json* iss = claim(payload, "iss");
    if (!iss) missing("iss");
    if (!iss->is_string() || iss->get_ref<const std::string&>() != *options.issuer) {
      throw InvalidTokenError("Invalid issuer");
    }
  }
  // As PyJWT 2.6: an empty or null "aud" counts as absent.
  const Json* aud = claim(payload, "aud");
  if (aud && python_falsy(*aud)) aud = nullptr;
  if (options.audience.empty()) {
    if (aud) throw InvalidTokenError("Invalid audience");
  } else {
    if (!aud) missing("aud");
    const bool well_formed =
        aud->is_string() ||
        (aud->is_array() &&
         std::all_of(aud->begin(), aud->end(), [](const Json& a) { return a.is_string(); }));
    if (!well_formed) throw InvalidTokenError("Invalid claim format in token");
    const auto accepted = [&](const Json& a) {
      return std::find(options.audience.begin(), options.audience.end(),
                       a.get_ref<const std::string&>()) != options.audience.end();
    };
    if (aud->is_string() ? !accepted(*aud) : std::none_of(aud->begin(), aud->end(), accepted)) {
      throw InvalidTokenError("Invalid audience");
    }
  }
  const Json* sub = claim(payload, "sub");
  if (sub && !sub->is_string()) throw InvalidTokenError("Subject must be a string");
  if (options.subject) {
    if (!sub) missing("sub");
    if (sub->get_ref<const std::string&>() != *options.subject) {
      throw InvalidTokenError("Invalid subject");
    }
  }
  if (const Json* jti = claim(payload, "jti"); jti && !jti->is_string()) {
    throw InvalidTokenError("JWT ID must be a string");
  }
}

struct Segments {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;
};

Segments split(std::string_view token) {
  if (token.size() > max_token_size) throw InvalidTokenError("Token is too large");
  const auto first = token.find('.');
  const auto last = token.rfind('.');
  if (first == std::string_view::npos || first == last) {
    throw InvalidTokenError("Not enough segments");
  }
  if (token.find('.', first + 1) != last) throw InvalidTokenError("Too many segments");
  return {token.substr(0, first), token.substr(first + 1, last - first - 1), token.substr(last + 1),
          token.substr(0, last)};
}

Json parse_header_text(std::string_view segment_text) {
  Json header = parse_object(decode_segment(segment_text, "header"), "header");
  if (const auto kid = header.find("kid"); kid != header.end() && !kid->is_string()) {
    throw InvalidTokenError("Key ID header parameter must be a string");
  }
  // RFC 7515 §4.1.11: extensions marked critical must be understood; none are, here.
  if (header.contains("crit")) throw InvalidTokenError("Unsupported critical header extensions");
  return header;
}

// The parsed header of `segment_text`. A sender's tokens share one header, so the last few
// parsed on this thread are kept, keyed by their exact text: half the JSON work of a decode.
// The reference stays valid until this thread parses another header.
const Json& parse_header(std::string_view segment_text) {
  struct Entry {
    std::string text;
    Json header;
  };
  thread_local std::array<Entry, 4> cache;
  thread_local std::size_t next = 0;
  for (const Entry& entry : cache) {
    if (!entry.text.empty() && entry.text == segment_text) return entry.header;
  }
  Json header = parse_header_text(segment_text);
  Entry& slot = cache[next++ % cache.size()];
  slot.text.assign(segment_text);
  slot.header = std::move(header);
  return slot.header;
}

// The header's "alg", if the caller allows it.
Algorithm allowed_algorithm(const Json& header, const DecodeOptions& options) {
  if (options.algorithms.empty()) {
    throw Error(errc::invalid_argument,
                "decoding a JWT needs the list of algorithms the caller accepts");
  }
  const auto alg = header.find("alg");
  const auto parsed = alg != header.end() && alg->is_string()
                          ? algorithm_from_name(alg->get_ref<const std::string&>())
                          : std::nullopt;
  if (!parsed || std::find(options.algorithms.begin(), options.algorithms.end(), *parsed) ==
                     options.algorithms.end()) {
    throw InvalidTokenError("The specified alg value is not allowed");
  }
  return *parsed;
}

// The payload once the signature checks out and the claims pass.
Json verify_and_decode(const Segments& parts, const Json& header, const Key& key,
                       const DecodeOptions& options) {
  const Algorithm alg = allowed_algorithm(header, options);
  const std::string signature = decode_segment(parts.signature, "crypto");
  if (!key.impl().verify(alg, parts.signing_input, signature)) {
    throw InvalidTokenError("Signature verification failed");
  }
  Json payload = parse_object(decode_segment(parts.payload, "payload"), "payload");
  validate_claims(payload, options);
  return payload;
}

}  // namespace

std::string_view name(Algorithm alg) noexcept {
  return algorithm_names[static_cast<std::size_t>(alg)];
}

std::optional<Algorithm> algorithm_from_name(std::string_view text) noexcept {
  for (std::size_t i = 0; i < std::size(algorithm_names); ++i) {
    if (algorithm_names[i] == text) return static_cast<Algorithm>(i);
  }
  return std::nullopt;
}

InvalidTokenError::InvalidTokenError(const std::string& reason)
    : InvalidTokenError(errc::invalid_token, reason) {}
InvalidTokenError::InvalidTokenError(errc code, const std::string& reason) : Error(code, reason) {}
ExpiredSignatureError::ExpiredSignatureError()
    : InvalidTokenError(errc::token_expired, "Signature has expired") {}

std::int64_t from_now(std::chrono::seconds d) {
  return detail::unix_now() + d.count();
}

std::string encode(const Json& payload, const Key& key, Algorithm alg, const Json& headers) {
  if (!payload.is_object()) {
    throw Error(errc::invalid_argument,
                "Expecting a dict object, as JWT only supports JSON objects as payloads.");
  }
  std::string token = headers.is_null() || (headers.is_object() && headers.empty())
                          ? plain_header(alg)
                          : segment(header_for(alg, headers));
  token += '.';
  token += segment(payload);
  std::string signature = key.impl().sign(alg, token);
  token += '.';
  token += codec::base64url_encode(signature);
  return token;
}

Decoded decode_complete(std::string_view token, const Key& key, const DecodeOptions& options) {
  const Segments parts = split(token);
  const Json& header = parse_header(parts.header);
  Json payload = verify_and_decode(parts, header, key, options);
  return {header, std::move(payload)};
}

Json decode(std::string_view token, const Key& key, const DecodeOptions& options) {
  const Segments parts = split(token);
  return verify_and_decode(parts, parse_header(parts.header), key, options);
}

Json decode(std::string_view token, const KeySet& keys, const DecodeOptions& options) {
  const Segments parts = split(token);
  const Json& header = parse_header(parts.header);
  const auto kid = header.find("kid");
  const Key* key = nullptr;
  if (kid != header.end()) {
    key = keys.find(kid->get_ref<const std::string&>());
    if (!key) {
      // The kid itself stays out of the message: it is the sender's text.
      throw InvalidTokenError("Unable to find a signing key that matches the token's \"kid\"");
    }
  } else if (keys.keys().size() == 1) {
    key = &keys.keys().front();
  } else {
    throw InvalidTokenError("The token names no \"kid\" and the key set has several keys");
  }
  return verify_and_decode(parts, header, *key, options);
}

Json unverified_header(std::string_view token) {
  return parse_header(split(token).header);
}

Decoded decode_unverified(std::string_view token) {
  const Segments parts = split(token);
  return {parse_header(parts.header),
          parse_object(decode_segment(parts.payload, "payload"), "payload")};
}

}  // namespace wirekit::crypto::jwt
