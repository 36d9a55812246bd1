#include "jwt_key.hpp"

#include <algorithm>
#include <cstring>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <wirekit/codec.hpp>

namespace wirekit::crypto::jwt {
namespace {

using detail::PkeyPtr;

[[noreturn]] void bad_key(const std::string& why) {
  ERR_clear_error();
  throw Error(errc::invalid_argument, "unusable key: " + why);
}

enum class Family { hmac, rsa_pkcs1, rsa_pss, ecdsa, eddsa };

Family family(Algorithm alg) {
  switch (alg) {
    case Algorithm::HS256:
    case Algorithm::HS384:
    case Algorithm::HS512:
      return Family::hmac;
    case Algorithm::RS256:
    case Algorithm::RS384:
    case Algorithm::RS512:
      return Family::rsa_pkcs1;
    case Algorithm::PS256:
    case Algorithm::PS384:
    case Algorithm::PS512:
      return Family::rsa_pss;
    case Algorithm::ES256:
    case Algorithm::ES384:
    case Algorithm::ES512:
      return Family::ecdsa;
    case Algorithm::EdDSA:
      return Family::eddsa;
  }
  return Family::hmac;
}

// 0, 1, 2 for the SHA-256, -384, -512 variants of a family.
int hash_index(Algorithm alg) {
  return alg == Algorithm::EdDSA ? 0 : static_cast<int>(alg) % 3;
}

const EVP_MD* digest_of(Algorithm alg) {
  if (alg == Algorithm::EdDSA) return nullptr;
  static const EVP_MD* (*const digests[])() = {detail::sha256, detail::sha384, detail::sha512};
  return digests[hash_index(alg)]();
}

// The JOSE curve an ECDSA algorithm requires, and the size of each of r and s.
constexpr std::string_view ecdsa_curve[] = {"P-256", "P-384", "P-521"};
constexpr std::size_t ecdsa_coordinate[] = {32, 48, 66};

constexpr std::size_t index_of(Algorithm alg) {
  return static_cast<std::size_t>(alg);
}

constexpr Algorithm all_algorithms[] = {
    Algorithm::HS256, Algorithm::HS384, Algorithm::HS512, Algorithm::RS256, Algorithm::RS384,
    Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512, Algorithm::ES256,
    Algorithm::ES384, Algorithm::ES512, Algorithm::EdDSA};

// PyJWT's test for text that is a key, not a secret: PEM armour or an SSH public key.
bool looks_asymmetric(std::string_view s) {
  return s.find("-----BEGIN ") != std::string_view::npos || s.starts_with("ssh-") ||
         s.starts_with("ecdsa-sha2-");
}

int refuse_passphrase(char*, int, int, void*) {
  return 0;
}

PkeyPtr decode_pem(std::string_view text, int selection) {
  EVP_PKEY* pkey = nullptr;
  OSSL_DECODER_CTX* ctx =
      OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", nullptr, nullptr, selection, nullptr, nullptr);
  if (!ctx) return nullptr;
  OSSL_DECODER_CTX_set_pem_password_cb(ctx, refuse_passphrase, nullptr);
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t len = text.size();
  OSSL_DECODER_from_data(ctx, &data, &len);
  OSSL_DECODER_CTX_free(ctx);
  ERR_clear_error();
  return PkeyPtr(pkey);
}

PkeyPtr certificate_key(std::string_view text) {
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, refuse_passphrase, nullptr);
  BIO_free(bio);
  if (!cert) bad_key("not a PEM certificate");
  PkeyPtr key(X509_get_pubkey(cert));
  X509_free(cert);
  return key;
}

std::string jose_curve(const EVP_PKEY* pkey) {
  char name[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(pkey, name, sizeof name, &len) != 1) bad_key("no EC curve");
  const std::string_view group(name, len);
  if (group == "prime256v1" || group == "P-256") return "P-256";
  if (group == "secp384r1" || group == "P-384") return "P-384";
  if (group == "secp521r1" || group == "P-521") return "P-521";
  bad_key("EC curve " + std::string(group) + " is not one JWT uses (P-256, P-384, P-521)");
}

std::shared_ptr<Key::Impl> from_pkey(PkeyPtr pkey, bool is_private) {
  auto impl = std::make_shared<Key::Impl>();
  impl->is_private = is_private;
  impl->bits = EVP_PKEY_get_bits(pkey.get());
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    impl->type = KeyType::rsa;
  } else if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    impl->type = KeyType::ec;
    impl->curve = jose_curve(pkey.get());
  } else if (EVP_PKEY_is_a(pkey.get(), "ED25519")) {
    impl->type = KeyType::okp;
    impl->curve = "Ed25519";
  } else if (EVP_PKEY_is_a(pkey.get(), "ED448")) {
    impl->type = KeyType::okp;
    impl->curve = "Ed448";
  } else {
    bad_key(std::string("key type ") + EVP_PKEY_get0_type_name(pkey.get()) +
            " is not one JWT uses (RSA, EC, Ed25519, Ed448)");
  }
  impl->pkey = std::move(pkey);
  impl->prepare();
  return impl;
}

// --- JWK members --------------------------------------------------------------------------

std::string member(const nlohmann::json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) bad_key(std::string("JWK lacks \"") + name + "\"");
  return it->get<std::string>();
}

std::string b64_member(const nlohmann::json& jwk, const char* name) {
  const std::string text = member(jwk, name);
  try {
    return codec::base64url_decode(text);
  } catch (const Error&) {
    bad_key(std::string("JWK member \"") + name + "\" is not base64url");
  }
}

struct BnDeleter {
  void operator()(BIGNUM* bn) const noexcept { BN_clear_free(bn); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

BnPtr to_bn(const std::string& bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

PkeyPtr from_params(const char* type, OSSL_PARAM_BLD* bld, bool is_private) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  const bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &pkey, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                                    params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!ok) bad_key(std::string("JWK does not make a valid ") + type + " key");
  PkeyPtr key(pkey);
  // An EC point off its curve (an invalid-curve attack) or an inconsistent RSA key fails here.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr);
  const bool valid = check && (is_private ? EVP_PKEY_pairwise_check(check) == 1
                                          : EVP_PKEY_public_check(check) == 1);
  EVP_PKEY_CTX_free(check);
  if (!valid) bad_key(std::string("JWK is not a consistent ") + type + " key");
  return key;
}

struct ParamBuilder {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::vector<BnPtr> numbers;
  ~ParamBuilder() { OSSL_PARAM_BLD_free(bld); }
  void bn(const char* key, const std::string& bytes) {
    numbers.push_back(to_bn(bytes));
    OSSL_PARAM_BLD_push_BN(bld, key, numbers.back().get());
  }
};

PkeyPtr rsa_from_jwk(const nlohmann::json& jwk, bool is_private) {
  ParamBuilder params;
  params.bn(OSSL_PKEY_PARAM_RSA_N, b64_member(jwk, "n"));
  params.bn(OSSL_PKEY_PARAM_RSA_E, b64_member(jwk, "e"));
  if (is_private) {
    params.bn(OSSL_PKEY_PARAM_RSA_D, b64_member(jwk, "d"));
    if (jwk.contains("p")) {
      params.bn(OSSL_PKEY_PARAM_RSA_FACTOR1, b64_member(jwk, "p"));
      params.bn(OSSL_PKEY_PARAM_RSA_FACTOR2, b64_member(jwk, "q"));
      params.bn(OSSL_PKEY_PARAM_RSA_EXPONENT1, b64_member(jwk, "dp"));
      params.bn(OSSL_PKEY_PARAM_RSA_EXPONENT2, b64_member(jwk, "dq"));
      params.bn(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, b64_member(jwk, "qi"));
    }
  }
  return from_params("RSA", params.bld, is_private);
}

PkeyPtr ec_from_jwk(const nlohmann::json& jwk, bool is_private) {
  const std::string crv = member(jwk, "crv");
  const auto* curve = std::find(std::begin(ecdsa_curve), std::end(ecdsa_curve), crv);
  if (curve == std::end(ecdsa_curve)) bad_key("JWK curve \"" + crv + "\" is not supported");
  const std::size_t size = ecdsa_coordinate[curve - std::begin(ecdsa_curve)];
  const std::string x = b64_member(jwk, "x");
  const std::string y = b64_member(jwk, "y");
  if (x.size() != size || y.size() != size) bad_key("JWK coordinates do not fit " + crv);
  static constexpr const char* groups[] = {"prime256v1", "secp384r1", "secp521r1"};
  ParamBuilder params;
  OSSL_PARAM_BLD_push_utf8_string(params.bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                  groups[curve - std::begin(ecdsa_curve)], 0);
  const std::string point = "\x04" + x + y;
  OSSL_PARAM_BLD_push_octet_string(params.bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  if (is_private) params.bn(OSSL_PKEY_PARAM_PRIV_KEY, b64_member(jwk, "d"));
  return from_params("EC", params.bld, is_private);
}

PkeyPtr okp_from_jwk(const nlohmann::json& jwk, bool is_private) {
  const std::string crv = member(jwk, "crv");
  int type = 0;
  if (crv == "Ed25519") {
    type = EVP_PKEY_ED25519;
  } else if (crv == "Ed448") {
    type = EVP_PKEY_ED448;
  } else {
    bad_key("JWK curve \"" + crv + "\" is not supported (Ed25519, Ed448)");
  }
  const std::string x = b64_member(jwk, "x");
  PkeyPtr key;
  if (is_private) {
    std::string d = b64_member(jwk, "d");
    key.reset(EVP_PKEY_new_raw_private_key(
        type, nullptr, reinterpret_cast<const unsigned char*>(d.data()), d.size()));
    OPENSSL_cleanse(d.data(), d.size());
    if (!key) bad_key("JWK \"d\" is not an " + crv + " private key");
    unsigned char pub[57];
    std::size_t len = sizeof pub;
    if (EVP_PKEY_get_raw_public_key(key.get(), pub, &len) != 1 ||
        std::string_view(reinterpret_cast<char*>(pub), len) != x) {
      bad_key("JWK \"x\" does not match its \"d\"");
    }
  } else {
    key.reset(EVP_PKEY_new_raw_public_key(
        type, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size()));
    if (!key) bad_key("JWK \"x\" is not an " + crv + " public key");
  }
  return key;
}

std::string bn_param(const EVP_PKEY* pkey, const char* name, std::size_t pad_to = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) bad_key(std::string("no ") + name);
  std::string out(std::max<std::size_t>(pad_to, static_cast<std::size_t>(BN_num_bytes(bn))), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return codec::base64url_encode(out);
}

}  // namespace

Key::Impl::~Impl() {
  OPENSSL_cleanse(secret.data(), secret.size());
}

ContextPool::Lease ContextPool::take() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      detail::PkeyCtxPtr ctx = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(ctx));
    }
  }
  return Lease(*this, make_());
}

void ContextPool::give_back(detail::PkeyCtxPtr ctx) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(ctx));
}

void Key::Impl::prepare() {
  if (type == KeyType::secret) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(secret.data());
    for (int i = 0; i < 3; ++i) {
      hmac[i].emplace(digest_of(all_algorithms[i]), std::span(bytes, secret.size()));
    }
    return;
  }
  for (Algorithm alg : all_algorithms) {
    if (family(alg) == Family::hmac) continue;
    try {
      check_usable(alg, true);
    } catch (const Error&) {
      continue;
    }
    for (bool signing : {false, true}) {
      if (signing && !is_private) continue;
      if (alg == Algorithm::EdDSA) {
        detail::MdCtxPtr ctx(EVP_MD_CTX_new());
        const int ok = signing ? EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr,
                                                       nullptr, pkey.get(), nullptr)
                               : EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr,
                                                         nullptr, pkey.get(), nullptr);
        if (ok != 1) bad_key("cannot use the key with EdDSA");
        (signing ? eddsa_sign : eddsa_verify) = std::move(ctx);
        continue;
      }
      EVP_PKEY* key = pkey.get();
      auto make = [key, alg, signing] {
        detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
        const bool ok =
            ctx &&
            (signing ? EVP_PKEY_sign_init(ctx.get()) : EVP_PKEY_verify_init(ctx.get())) == 1 &&
            EVP_PKEY_CTX_set_signature_md(ctx.get(), digest_of(alg)) == 1 &&
            (family(alg) != Family::rsa_pss ||
             (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) == 1));
        if (!ok) bad_key("cannot use the key with " + std::string(name(alg)));
        return ctx;
      };
      auto pool = std::make_unique<ContextPool>(make);
      pool->take();  // set one up now, so an unusable key fails here rather than mid-request
      (signing ? signers : verifiers)[index_of(alg)] = std::move(pool);
    }
  }
}

void Key::Impl::check_usable(Algorithm alg, bool verifying) const {
  std::string problem;
  const Family fam = family(alg);
  if (algorithm && *algorithm != alg) {
    problem = "The key is for " + std::string(name(*algorithm)) + ", not " + std::string(name(alg));
  } else if (fam == Family::hmac) {
    if (type != KeyType::secret) {
      problem = "The specified key cannot be used with " + std::string(name(alg));
    } else if (looks_asymmetric) {
      problem =
          "The specified key is an asymmetric key or x509 certificate and should not be used as "
          "an HMAC secret.";
    } else if (secret.empty()) {
      problem = "The HMAC secret is empty";
    }
  } else if ((fam == Family::rsa_pkcs1 || fam == Family::rsa_pss) ? type != KeyType::rsa
             : fam == Family::ecdsa ? (type != KeyType::ec || curve != ecdsa_curve[hash_index(alg)])
                                    : type != KeyType::okp) {
    problem = "The specified key cannot be used with " + std::string(name(alg));
  } else if (type == KeyType::rsa && bits < 2048) {
    problem = "RSA keys must have at least 2048 bits (this one has " + std::to_string(bits) + ")";
  } else if (!verifying && !is_private) {
    problem = "A public key cannot sign";
  }
  if (problem.empty()) return;
  if (verifying) throw InvalidTokenError(problem);
  throw Error(errc::invalid_argument, problem);
}

std::string Key::Impl::sign(Algorithm alg, std::string_view input) const {
  check_usable(alg, false);
  if (type == KeyType::secret) {
    const detail::Hmac& mac = *hmac[hash_index(alg)];
    std::string out(mac.size(), '\0');
    mac.sign({input}, reinterpret_cast<std::uint8_t*>(out.data()));
    return out;
  }
  std::string der(static_cast<std::size_t>(EVP_PKEY_get_size(pkey.get())), '\0');
  std::size_t len = der.size();
  auto* der_bytes = reinterpret_cast<unsigned char*>(der.data());
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  bool ok = false;
  if (alg == Algorithm::EdDSA) {
    detail::MdCtxPtr ctx(EVP_MD_CTX_new());
    ok = ctx && EVP_MD_CTX_copy_ex(ctx.get(), eddsa_sign.get()) == 1 &&
         EVP_DigestSign(ctx.get(), der_bytes, &len, data, input.size()) == 1;
  } else {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    const ContextPool::Lease ctx = signers[index_of(alg)]->take();
    ok = EVP_Digest(data, input.size(), digest, &digest_len, digest_of(alg), nullptr) == 1 &&
         EVP_PKEY_sign(ctx.get(), der_bytes, &len, digest, digest_len) == 1;
  }
  if (!ok) {
    throw Error(errc::invalid_argument,
                std::string(name(alg)) + " signing failed: " + detail::openssl_error());
  }
  der.resize(len);
  if (family(alg) != Family::ecdsa) return der;
  // JOSE writes an ECDSA signature as r ‖ s, each the curve's size (RFC 7518 §3.4).
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  const std::size_t n = ecdsa_coordinate[hash_index(alg)];
  std::string out(2 * n, '\0');
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data() + n), static_cast<int>(n));
  ECDSA_SIG_free(sig);
  return out;
}

bool Key::Impl::verify(Algorithm alg, std::string_view input, std::string_view signature) const {
  check_usable(alg, true);
  if (type == KeyType::secret) return hmac[hash_index(alg)]->verify({input}, signature);
  std::string der;
  if (family(alg) == Family::ecdsa) {
    const std::size_t n = ecdsa_coordinate[hash_index(alg)];
    if (signature.size() != 2 * n) return false;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG_set0(sig, BN_bin2bn(bytes, static_cast<int>(n), nullptr),
                   BN_bin2bn(bytes + n, static_cast<int>(n), nullptr));
    unsigned char* out = nullptr;
    const int len = i2d_ECDSA_SIG(sig, &out);
    ECDSA_SIG_free(sig);
    if (len <= 0) return false;
    der.assign(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    signature = der;
  }
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  bool ok = false;
  if (alg == Algorithm::EdDSA) {
    detail::MdCtxPtr ctx(EVP_MD_CTX_new());
    ok = ctx && EVP_MD_CTX_copy_ex(ctx.get(), eddsa_verify.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig, signature.size(), data, input.size()) == 1;
  } else {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    const ContextPool::Lease ctx = verifiers[index_of(alg)]->take();
    ok = EVP_Digest(data, input.size(), digest, &digest_len, digest_of(alg), nullptr) == 1 &&
         EVP_PKEY_verify(ctx.get(), sig, signature.size(), digest, digest_len) == 1;
  }
  ERR_clear_error();
  return ok;
}

Key Key::secret(std::string_view bytes) {
  auto impl = std::make_shared<Impl>();
  impl->type = KeyType::secret;
  impl->is_private = true;
  impl->secret.assign(bytes);
  impl->bits = static_cast<int>(bytes.size() * 8);
  impl->looks_asymmetric = looks_asymmetric(bytes);
  impl->prepare();
  return Key(std::move(impl));
}

Key Key::pem(std::string_view text) {
  if (text.find("ENCRYPTED") != std::string_view::npos) {
    bad_key("encrypted private keys are not supported; decrypt it first (openssl pkey -in KEY)");
  }
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    return Key(from_pkey(certificate_key(text), false));
  }
  if (PkeyPtr key = decode_pem(text, EVP_PKEY_KEYPAIR)) return Key(from_pkey(std::move(key), true));
  if (PkeyPtr key = decode_pem(text, EVP_PKEY_PUBLIC_KEY)) {
    return Key(from_pkey(std::move(key), false));
  }
  bad_key("not a PEM private key, public key or certificate");
}

Key Key::jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) bad_key("a JWK is a JSON object");
  const std::string kty = member(jwk, "kty");
  const bool is_private = jwk.contains("d");
  std::shared_ptr<Impl> impl;
  if (kty == "oct") {
    std::string k = b64_member(jwk, "k");
    Key secret_key = secret(k);
    OPENSSL_cleanse(k.data(), k.size());
    impl = std::const_pointer_cast<Impl>(secret_key.impl_);
  } else if (kty == "RSA") {
    impl = from_pkey(rsa_from_jwk(jwk, is_private), is_private);
  } else if (kty == "EC") {
    impl = from_pkey(ec_from_jwk(jwk, is_private), is_private);
  } else if (kty == "OKP") {
    impl = from_pkey(okp_from_jwk(jwk, is_private), is_private);
  } else {
    bad_key("JWK key type \"" + kty + "\" is not supported (oct, RSA, EC, OKP)");
  }
  if (const auto kid = jwk.find("kid"); kid != jwk.end() && kid->is_string()) {
    impl->kid = kid->get<std::string>();
  }
  if (const auto alg = jwk.find("alg"); alg != jwk.end() && alg->is_string()) {
    impl->algorithm = algorithm_from_name(alg->get<std::string>());
    if (!impl->algorithm) bad_key("JWK algorithm \"" + alg->get<std::string>() + "\" is unknown");
    impl->check_usable(*impl->algorithm, true);
  }
  return Key(std::move(impl));
}

Key Key::jwk(std::string_view jwk_json) {
  const auto json = nlohmann::json::parse(jwk_json, nullptr, false);
  if (json.is_discarded()) bad_key("the JWK is not valid JSON");
  return jwk(json);
}

KeyType Key::type() const noexcept {
  return impl_->type;
}
bool Key::is_private() const noexcept {
  return impl_->is_private;
}
int Key::bits() const noexcept {
  return impl_->bits;
}
const std::string& Key::kid() const noexcept {
  return impl_->kid;
}
std::optional<Algorithm> Key::algorithm() const noexcept {
  return impl_->algorithm;
}

nlohmann::json Key::to_jwk() const {
  nlohmann::json jwk;
  const EVP_PKEY* pkey = impl_->pkey.get();
  switch (impl_->type) {
    case KeyType::secret:
      jwk["kty"] = "oct";
      jwk["k"] = codec::base64url_encode(impl_->secret);
      break;
    case KeyType::rsa:
      jwk["kty"] = "RSA";
      jwk["n"] = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N);
      jwk["e"] = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E);
      break;
    case KeyType::ec: {
      const auto* curve = std::find(std::begin(ecdsa_curve), std::end(ecdsa_curve), impl_->curve);
      const std::size_t size = ecdsa_coordinate[curve - std::begin(ecdsa_curve)];
      jwk["kty"] = "EC";
      jwk["crv"] = impl_->curve;
      jwk["x"] = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, size);
      jwk["y"] = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, size);
      break;
    }
    case KeyType::okp: {
      unsigned char pub[57];
      std::size_t len = sizeof pub;
      EVP_PKEY_get_raw_public_key(pkey, pub, &len);
      jwk["kty"] = "OKP";
      jwk["crv"] = impl_->curve;
      jwk["x"] = codec::base64url_encode(std::as_bytes(std::span(pub, len)));
      break;
    }
  }
  if (!impl_->kid.empty()) jwk["kid"] = impl_->kid;
  if (impl_->algorithm) jwk["alg"] = std::string(name(*impl_->algorithm));
  return jwk;
}

KeySet KeySet::parse(std::string_view jwks_json) {
  const auto json = nlohmann::json::parse(jwks_json, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("keys") ||
      !json["keys"].is_array()) {
    throw Error(errc::invalid_argument, "a JWK Set is a JSON object with a \"keys\" array");
  }
  KeySet set;
  for (const auto& jwk : json["keys"]) {
    if (jwk.is_object() && jwk.value("use", "sig") == "enc") continue;
    try {
      set.add(Key::jwk(jwk));
    } catch (const Error&) {
      // RFC 7517 §5: keys of unknown types or parameters are skipped, not fatal.
    }
  }
  if (set.keys_.empty())
    throw Error(errc::invalid_argument, "the JWK Set has no usable signing key");
  return set;
}

const Key* KeySet::find(std::string_view kid) const noexcept {
  for (const Key& key : keys_) {
    if (key.kid() == kid) return &key;
  }
  return nullptr;
}

}  // namespace wirekit::crypto::jwt
