// JWT against the contract of include/wirekit/crypto/jwt.hpp, the tokens PyJWT 2.6.0 makes
// (tests/vectors/jwt_vectors.json, from make_vectors.py there) and literal tokens PyJWT
// made from the fixed keys below (each with the Python that made it).
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <wirekit/crypto/jwt.hpp>

#include "crypto/base64_reference.hpp"

namespace wirekit::crypto {
namespace {

using namespace std::chrono_literals;
using jwt::Algorithm;
using jwt::Json;
using jwt::Key;

// ---- helpers --------------------------------------------------------------------------------

using test::b64_alphabet;
using test::b64url_decode;
// base64url without padding (JWS).
std::string b64url(std::string_view bytes) {
  return test::b64url_encode(bytes, false);
}

std::vector<std::string> segments(const std::string& token) {
  std::vector<std::string> out(1);
  for (const char c : token) {
    if (c == '.') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// The character whose 6-bit value differs in its top bit: always changes a decoded data bit,
// even in a segment's last character (whose low bits may be padding).
char altered(char c) {
  const std::size_t v = b64_alphabet.find(c);
  return v == std::string_view::npos ? 'A' : b64_alphabet[v ^ 32];
}

std::filesystem::path vectors_dir() {
  // Set by tests/unit/CMakeLists.txt: __FILE__ is relative when ccache rewrites paths
  // (base_dir), and the tests do not run where the compiler did.
  return WIREKIT_TEST_VECTORS_DIR;
}

std::optional<Json> load_vectors() {
  std::ifstream in(vectors_dir() / "jwt_vectors.json");
  if (!in) return std::nullopt;
  return Json::parse(in);  // ordered: payloads keep PyJWT's claim order
}

#define LOAD_VECTORS_OR_FAIL(var)                                                     \
  const std::optional<Json> var = load_vectors();                                     \
  if (!var) {                                                                         \
    GTEST_FAIL() << "no JWT test vectors at " << (vectors_dir() / "jwt_vectors.json") \
                 << " (made by tests/vectors/make_vectors.py)";                       \
  }

Algorithm alg_of(const Json& v) {
  const auto alg = jwt::algorithm_from_name(v["alg"].get<std::string>());
  if (!alg) throw std::invalid_argument("unknown alg in vectors");
  return *alg;
}

Key key_of(const Json& v) {
  return v.contains("public_key_pem") ? Key::pem(v["public_key_pem"].get<std::string>())
                                      : Key::secret(v["key"].get<std::string>());
}

const Json* vector_for(const Json& vectors, std::string_view alg) {
  for (const auto& v : vectors["valid"]) {
    if (v["alg"] == alg) return &v;
  }
  return nullptr;
}

constexpr std::string_view secret_text = "your-secret-key";
constexpr std::int64_t far = 4102444800;  // 2100-01-01
constexpr std::int64_t now0 = 1'700'000'000;

const Key& secret() {
  static const Key key = Key::secret(secret_text);
  return key;
}

// Decode options for HS256 at the fixed time now0.
jwt::DecodeOptions hs256_at_now0() {
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::HS256};
  o.now = now0;
  return o;
}

std::string sign(const Json& payload) {
  return jwt::encode(payload, secret(), Algorithm::HS256);
}

// No error message may carry a key or a secret.
void expect_no_secret(std::string_view message, const std::string& what) {
  for (const std::string_view s :
       {secret_text, std::string_view("wrong-secret"), std::string_view("BEGIN"),
        std::string_view("PRIVATE KEY"), std::string_view("MII")}) {
    EXPECT_EQ(message.find(s), std::string_view::npos)
        << what << ": the message reveals key material: " << message;
  }
}

template <class F>
void expect_invalid(F f, const std::string& what, std::string_view message_part = {}) {
  try {
    (void)f();
    ADD_FAILURE() << what << ": accepted";
  } catch (const jwt::ExpiredSignatureError& e) {
    ADD_FAILURE() << what
                  << ": ExpiredSignatureError where InvalidTokenError was expected: " << e.what();
  } catch (const jwt::InvalidTokenError& e) {
    EXPECT_EQ(e.code(), errc::invalid_token) << what;
    if (!message_part.empty()) {
      EXPECT_NE(std::string_view(e.what()).find(message_part), std::string_view::npos)
          << what << ": message '" << e.what() << "' lacks '" << message_part << "'";
    }
    expect_no_secret(e.what(), what);
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw something other than InvalidTokenError: " << e.what();
  }
}

template <class F>
void expect_expired(F f, const std::string& what) {
  try {
    (void)f();
    ADD_FAILURE() << what << ": accepted";
  } catch (const jwt::ExpiredSignatureError& e) {
    EXPECT_EQ(e.code(), errc::token_expired) << what;
    EXPECT_NE(std::string_view(e.what()).find("Signature has expired"), std::string_view::npos)
        << what << ": " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": not ExpiredSignatureError: " << e.what();
  }
}

// Error(errc::invalid_argument), as encode and the key factories throw for unusable input.
template <class F>
void expect_invalid_argument(F f, const std::string& what) {
  try {
    (void)f();
    ADD_FAILURE() << what << ": no exception";
  } catch (const jwt::InvalidTokenError& e) {
    ADD_FAILURE() << what
                  << ": InvalidTokenError where Error(invalid_argument) was expected: " << e.what();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << what << ": " << e.what();
    expect_no_secret(e.what(), what);
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": not a wirekit::Error: " << e.what();
  }
}

// Any wirekit::Error (construction or use refused), but never success.
template <class F>
void expect_refused(F f, const std::string& what) {
  try {
    (void)f();
    ADD_FAILURE() << what << ": accepted";
  } catch (const Error& e) {
    expect_no_secret(e.what(), what);
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": not a wirekit::Error: " << e.what();
  }
}

// ---- fixed keys and the tokens PyJWT 2.6.0 made with them -----------------------------------

// An RSA-2048 key, PKCS#1 ("RSA PRIVATE KEY").
constexpr std::string_view rsa_private_pkcs1 = R"(-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAsLknUC04NEVAfL6UAbgbwEdlryOfvhWvA1uZL4MI8PiNkadQ
4hpnZH1GZAqW6UYJuZIKPagyAHSiHAIISP5PImgEh1mBEURu1OJc097IUleS0y9w
tfGh4MJ7+sni3z9znJM/fRO/VIKyYS1qbpgS4PRTyneEfeQGvo7WNVGVPc7x4AZ3
BUPYGQkpyu8nh7zIJH2zClNtfv5HLugERy9RU4xZeCmCaBN+PD3XC33twxn2epuy
F+x4YVKb8HgpUY7JOW+P1zrBqE5LGc9MTq7x8sGCvtrgW+alwK6j6KFea5x48vE+
cBpfmh9qApyxWi4bMXo6yDoTcHNTtCXzQ/CN+wIDAQABAoIBACrhCfpotmnsYazC
2wudvdIGINSBesl23mucposCKsG5NTRhmfz6dhrKULGGZj58mXB20FhMfrFgm1Lb
ZWI8njvVbD/hBjGH3rJ1qBtaQ1XDXOMz8A+dbO8pkUZ1BMCxVx5nFfEFwRdCzQBK
MjhaWr5NWiVWoYWgNci3xJ7USDdiH1GzZaq+CriVkYTpP26B/1ZJpXGjQDptcprq
63mSknfLreRobesugry4WnggkjSwG/lOnGFmILyEOBBgf6JQiy1ygzUKv6/9bOmR
vNdaAyiuSl11ixx2MbJc4k835bl21jnEiIQzc18wNC0OaemTsYDFsNeoH0FLrlJY
DtqpeK0CgYEA1v8rv1PFSkgHcYUhcpzu3YRd+7DXyc6SLag8dfa5tdzHoE2TEp8q
88YTo3Mnz909KT8i3WAVHV5vUy43ngqHrqXYjopYOPjDpPv63+eLFJBWrxnyNf1A
2gO2K818cZlNLWrOIJpUUFKVS5rEkJqtzwcvaFeHnXTCQcS348VagG0CgYEA0m1Z
CpXdaycsK+ekwtrb/Vga048EdbkrVyv1lNOV/W/siIuvKu1Xf0sKu5e1N4gUgpL0
BK9t53c0Ydb0XvWo9NMCXhg/45PTPclMilRnMOtr6aXLt9pGnYhly6J2REpLoSMa
YNHWhRUbm84zcUzTU9AV+ZBCjrBGxAgB1MDaVwcCgYEAnoTb+6DHaYJ8Qn4XcEs3
b4rGROpZ4Ij3jMRrd8qnmOilI5Ou6d8Dq2OTXUNtyjxkeQH9Md5DEzlquZjtFxDK
g8HyTv7AF5mLnxzPF8G/8TSPRWHLDXWiGFz+N4O1yohuuBr0ymMf4W1SeMEvRzNV
Db1NfhBzhGvvQtDJiR4dIW0CgYANuRffetqPzGQzEM5L7t397asCNQeDbeoHq1Q+
unXDq3LvjLyFvijAonI2vbQRxQwhX9gOHiq6t6lw4AXb04WLQd+bp1UzUEasdt5I
/ywjopbNDAT3HoMQbv7EgvnXhkjcX1+vBMBKuY+tX4s3Tl1Rz/Y+6kuM5q4Wxrbn
2xPiLQKBgEh7KXO3lyQE20txYkp2i9AO+PoKUicQ9teN6X1wmo9jtm2J9WDBHSm5
AVkA4cnA1ZbJEkAa3GNMvudAenxngFjHLZZqfMk+ABoaQ8g2d0MTZl6d3mNFnT1g
KsvL48dEVqfb66HzBbNfHMC1RUm4KwgNn4ecFe2SRnmeYEEoGsvo
-----END RSA PRIVATE KEY-----
)";
// Its public half as SubjectPublicKeyInfo and as PKCS#1 ("RSA PUBLIC KEY").
constexpr std::string_view rsa_public_spki = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsLknUC04NEVAfL6UAbgb
wEdlryOfvhWvA1uZL4MI8PiNkadQ4hpnZH1GZAqW6UYJuZIKPagyAHSiHAIISP5P
ImgEh1mBEURu1OJc097IUleS0y9wtfGh4MJ7+sni3z9znJM/fRO/VIKyYS1qbpgS
4PRTyneEfeQGvo7WNVGVPc7x4AZ3BUPYGQkpyu8nh7zIJH2zClNtfv5HLugERy9R
U4xZeCmCaBN+PD3XC33twxn2epuyF+x4YVKb8HgpUY7JOW+P1zrBqE5LGc9MTq7x
8sGCvtrgW+alwK6j6KFea5x48vE+cBpfmh9qApyxWi4bMXo6yDoTcHNTtCXzQ/CN
+wIDAQAB
-----END PUBLIC KEY-----
)";
constexpr std::string_view rsa_public_pkcs1 = R"(-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAsLknUC04NEVAfL6UAbgbwEdlryOfvhWvA1uZL4MI8PiNkadQ4hpn
ZH1GZAqW6UYJuZIKPagyAHSiHAIISP5PImgEh1mBEURu1OJc097IUleS0y9wtfGh
4MJ7+sni3z9znJM/fRO/VIKyYS1qbpgS4PRTyneEfeQGvo7WNVGVPc7x4AZ3BUPY
GQkpyu8nh7zIJH2zClNtfv5HLugERy9RU4xZeCmCaBN+PD3XC33twxn2epuyF+x4
YVKb8HgpUY7JOW+P1zrBqE5LGc9MTq7x8sGCvtrgW+alwK6j6KFea5x48vE+cBpf
mh9qApyxWi4bMXo6yDoTcHNTtCXzQ/CN+wIDAQAB
-----END RSA PUBLIC KEY-----
)";
// jwt.algorithms.RSAAlgorithm.to_jwk(public key)
constexpr std::string_view rsa_n =
    "sLknUC04NEVAfL6UAbgbwEdlryOfvhWvA1uZL4MI8PiNkadQ4hpnZH1GZAqW6UYJuZIKPagyAHSiHAIISP5PImgEh1mB"
    "EURu1OJc097IUleS0y9wtfGh4MJ7-sni3z9znJM_fRO_VIKyYS1qbpgS4PRTyneEfeQGvo7WNVGVPc7x4AZ3BUPYGQkp"
    "yu8nh7zIJH2zClNtfv5HLugERy9RU4xZeCmCaBN-PD3XC33twxn2epuyF-x4YVKb8HgpUY7JOW-P1zrBqE5LGc9MTq7x"
    "8sGCvtrgW-alwK6j6KFea5x48vE-cBpfmh9qApyxWi4bMXo6yDoTcHNTtCXzQ_CN-w";
// jwt.encode({"username": "user123", "exp": 4102444800}, rsa_key, algorithm="RS256")
constexpr std::string_view rsa_token =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6InVzZXIxMjMiLCJleHAiOjQxMDI0NDQ4MDB9."
    "FBpGzJgRTw3edP87oiBzZ07LTd8tHSycHTfw9kMBpsauGwZ7tfwEOQVGHB4tFaqvz0CxF2_5GvjHbiFFl-ghI9DTUohe"
    "0Jg-da4qLt0fKUPkpdjYn-3_5iRzEhTsKRL2Q3y6AFh3dPkdOWkIS71m3yjC9TKJzmfoXkwWGZqRX6RIyffryaCf361m"
    "yzqQpOnbS7snS-dnaoB-Iyrtaebvn1bQmc5pEH5IW4UtopN9SLoylaLNA6zZTYjoT7iPwTGqwoaZMu0No1ifGTzP8zLEp"
    "E-Lx7Q1Nc1nb4LfkwVZ3tac2ZhC8NWqKeViDYMq8FAErc5Uuk9nWzb55cxgZ3Oedw";
// The key-confusion forgery: an HS256 token whose HMAC secret is the text of rsa_public_spki.
//   si = b64({"alg":"HS256","typ":"JWT"}) + "." + b64({"username":"admin","exp":4102444800})
//   si + "." + b64(hmac.new(rsa_public_spki.encode(), si.encode(), hashlib.sha256).digest())
constexpr std::string_view forged_hs256 =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImFkbWluIiwiZXhwIjo0MTAyNDQ0ODAwfQ."
    "Z_Q4ifzsL_k25UKxgmoBenGxM_CRzyorjVgIpSKyYfg";
constexpr std::string_view rsa_ssh_public =
    "ssh-rsa "
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQCwuSdQLTg0RUB8vpQBuBvAR2WvI5++Fa8DW5kvgwjw+I2Rp1DiGmdkfUZkCpbp"
    "Rgm5kgo9qDIAdKIcAghI/k8iaASHWYERRG7U4lzT3shSV5LTL3C18aHgwnv6yeLfP3Ockz99E79UgrJhLWpumBLg9FPK"
    "d4R95Aa+jtY1UZU9zvHgBncFQ9gZCSnK7yeHvMgkfbMKU21+/kcu6ARHL1FTjFl4KYJoE348PdcLfe3DGfZ6m7IX7Hhh"
    "UpvweClRjsk5b4/XOsGoTksZz0xOrvHywYK+2uBb5qXArqPooV5rnHjy8T5wGl+aH2oCnLFaLhsxejrIOhNwc1O0JfND"
    "8I37";

// RSA-1024: too small for RS*/PS* (RFC 7518 §3.3).
constexpr std::string_view rsa1024_private = R"(-----BEGIN PRIVATE KEY-----
MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBANXCfVMsi59OBhoY
khLERvN1oqx+eq5x7HGkhTh/R1/rHjUt1tJpCEwSDMhcz27izxcXH/AxBuDaaBvK
fvL0cOi0LZfuuDWxGVcojzYH+PCra5DDIOzcwRU/07k1Y3Gf/LLk8IqYZBQdxKCw
D2692pE36/cF44BV0EBJnfq5kKKFAgMBAAECgYAn4IqEs7CwXVviDmdhvOAHlxBr
4YR9ep9DbA+2RHhKOpB+FzkWM6XqmwtrbXT9GK7NffDlXCAOXnBBjvsz08okJ8KT
UbiXUoIdRxr7IwCDkFj/+jW2UlUgzUTcU6nQnWyipAPFAo0n92/HrMWPXXdHfqr4
9W1/jpL6oVPm78zymQJBAPwSSp2Jz206pwzst+W80VhkEPwcakwhJLIqz0q9afMe
EtwxgTZd8rTuSDqM7DKerei+2J7Ey7hPn7My2M7t6YsCQQDZF1fHyBHbpb0Fz5cX
5fewkqceC+lKaC0keC0eqHP81JK0D3Z34Xn4ELM9KHgttPqYM54fSid8KAe6AOyn
bIYvAkEA3tn9BZJUxCjaj16opn9sRU0ShxFIGM4kdy/J3DXheYLZAbrylXIxpSwU
x07Xc1k+P0qakKNDyEr80ZzeePN1SQJAR+5PHJgzKpdBCXLeOoHtTylYjEEgHJJm
GsZjFNx2ChkZPuY8t74THtnRufr1zxc/TT0VMILukFnnLX9u6o6v6wJBANQu5Nr0
LnZL55FQeQG0a+MfgJ6Q7ZgMu5fIco8N1Y1VPX6JpO8ras5ghfAuCUZiA5CiXt/l
/4USn90CTCpZcf8=
-----END PRIVATE KEY-----
)";
constexpr std::string_view rsa1024_public = R"(-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDVwn1TLIufTgYaGJISxEbzdaKs
fnqucexxpIU4f0df6x41LdbSaQhMEgzIXM9u4s8XFx/wMQbg2mgbyn7y9HDotC2X
7rg1sRlXKI82B/jwq2uQwyDs3MEVP9O5NWNxn/yy5PCKmGQUHcSgsA9uvdqRN+v3
BeOAVdBASZ36uZCihQIDAQAB
-----END PUBLIC KEY-----
)";
// jwt.encode({"username": "user123", "exp": 4102444800}, rsa1024_key, algorithm="RS256")
constexpr std::string_view rsa1024_token =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6InVzZXIxMjMiLCJleHAiOjQxMDI0NDQ4MDB9."
    "jWx05uyLUzYiqKapysCR8XhPIBNPWqp874mlvufxub0qzV53u_LaXUBCN_M7OYq7IRucQYNydXXkERkVAC_zZ91H50Ha"
    "dFmc6fTmJpsMux_cE_7Gb02uNFdtetQyaUM9oZNQF6_vi-cXoox_r_Q_bBCPCN6-6eAxUF44b3JuVL8";

// A P-256 key: PKCS#8, SEC1 ("EC PRIVATE KEY"), public SPKI, a self-signed certificate, JWK.
constexpr std::string_view p256_private = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxKz0IQUT827mSh7v
+KO3cWYTFfhyKlqUauVLKHPOj1ChRANCAAT/gTeT5WaFDEPRfUHVF6k3pyg3f5zS
8xiG+3qeeutwOFY6r0j1JGeKlzzCVpqlfHbb9+USpfybhW2rb9cWqoey
-----END PRIVATE KEY-----
)";
constexpr std::string_view p256_private_sec1 = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIMSs9CEFE/Nu5koe7/ijt3FmExX4cipalGrlSyhzzo9QoAoGCCqGSM49
AwEHoUQDQgAE/4E3k+VmhQxD0X1B1RepN6coN3+c0vMYhvt6nnrrcDhWOq9I9SRn
ipc8wlaapXx22/flEqX8m4Vtq2/XFqqHsg==
-----END EC PRIVATE KEY-----
)";
constexpr std::string_view p256_public = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/4E3k+VmhQxD0X1B1RepN6coN3+c
0vMYhvt6nnrrcDhWOq9I9SRnipc8wlaapXx22/flEqX8m4Vtq2/XFqqHsg==
-----END PUBLIC KEY-----
)";
constexpr std::string_view p256_certificate = R"(-----BEGIN CERTIFICATE-----
MIIBHDCBw6ADAgECAgEBMAoGCCqGSM49BAMCMBcxFTATBgNVBAMMDHdpcmVraXQg
dGVzdDAgFw0yMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFowFzEVMBMGA1UE
AwwMd2lyZWtpdCB0ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/4E3k+Vm
hQxD0X1B1RepN6coN3+c0vMYhvt6nnrrcDhWOq9I9SRnipc8wlaapXx22/flEqX8
m4Vtq2/XFqqHsjAKBggqhkjOPQQDAgNIADBFAiBcF22WYBjA5kT1u7FUfpvriR3x
plc5qX83WOZWj8AnAQIhAPVf6tbONxpkMEIjwDxDiakKLKmc4RLcFFzmwONrUIrT
-----END CERTIFICATE-----
)";
// jwt.algorithms.ECAlgorithm.to_jwk(public key); d from private_numbers().private_value.
constexpr std::string_view p256_x = "_4E3k-VmhQxD0X1B1RepN6coN3-c0vMYhvt6nnrrcDg";
constexpr std::string_view p256_y = "VjqvSPUkZ4qXPMJWmqV8dtv35RKl_JuFbatv1xaqh7I";
constexpr std::string_view p256_d = "xKz0IQUT827mSh7v-KO3cWYTFfhyKlqUauVLKHPOj1A";

constexpr std::string_view p384_private = R"(-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBYbiDcvFc/HdL9bIdE
1RV74vY6mvcrNYNOxu1dP7u4VsWFgT3h66mKA+US8iy3Y9ihZANiAATmBSEEARn1
5Bum0BxrvITWB8AUb2LVLtYAzNirsDP9Ter4qcmwxD0AnE4o1zCWlDymswmvQ/iV
vWrVB6qCe/f7JNc7LbeSsvbTaW/eM2FMDRwHgHmeLgRJJt8teNY8u/A=
-----END PRIVATE KEY-----
)";
constexpr std::string_view p521_private = R"(-----BEGIN PRIVATE KEY-----
MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIAbSLDm8oI87MHIcnl
CBLhY2lVLe8oSpkF1laUjmBZbQCf2PBzUwyIVKa0e4HRKdjkEX7H4pINs8E2QtKq
p8OFawyhgYkDgYYABACGrP1HWdFTXt32kM2OgdWX3JROJMO4ACz1SfPaQ+PU03J2
+ga1iEM7uHBGAcRH9iTpkSyeC2RQz7qf+rmdXaxCfgHgWBWMK6nB530k+elU/ODi
RA7lKy0uD4CkXJ8zSijSUJ8goHkxkSmReU385Bp2HAFtgBluWkcbwITtxITg46KK
9g==
-----END PRIVATE KEY-----
)";

// Ed25519 from the seed sha256(b"wirekit ed25519 test key"):
//   ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"wirekit ed25519 test key")
//   .digest())
constexpr std::string_view ed25519_private = R"(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIAunqGFg5nvzRvinZwKETqWti3gErUzscjmmUm3tq4dw
-----END PRIVATE KEY-----
)";
constexpr std::string_view ed25519_public = R"(-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAQp4zeopA8kloZhh4wIELTsgaayHfA/1mCHoVJgZkMiw=
-----END PUBLIC KEY-----
)";
constexpr std::string_view ed25519_x = "Qp4zeopA8kloZhh4wIELTsgaayHfA_1mCHoVJgZkMiw";
constexpr std::string_view ed25519_d = "C6eoYWDme_NG-KdnAoROpa2LeAStTOxyOaZSbe2rh3A";
// jwt.encode({"username": "user123", "exp": 4102444800}, ed_key, algorithm="EdDSA")
constexpr std::string_view ed25519_token =
    "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6InVzZXIxMjMiLCJleHAiOjQxMDI0NDQ4MDB9."
    "rgAYhnuee6E91d316r2nJc8nSckRzIZQ7aSntohRoOGwbGJf23AhBAyBd9OpBpHbLqcRD-p942juIbj3iHB7CQ";

// jwt.encode({"username": "user123", "exp": 4102444800}, "your-secret-key", algorithm="HS256",
//            headers={"kid": "k2"})
constexpr std::string_view kid_k2_token =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsyIiwidHlwIjoiSldUIn0."
    "eyJ1c2VybmFtZSI6InVzZXIxMjMiLCJleHAiOjQxMDI0NDQ4MDB9."
    "q1pymYKOusfdL1Dqksz9O3Pnnn61vu9rpRYmxeVAHHI";

// jwt.api_jws.encode(b"[1,2]", "your-secret-key", algorithm="HS256") and b'"user123"'
constexpr std::string_view array_payload_token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.WzEsMl0.GKBooP0HbpevOikZL50H3VAzhSqYpXGS-ccrwVbd1c0";
constexpr std::string_view string_payload_token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.InVzZXIxMjMi.PJs_7tv2l83nFO28zyXv_vsosG9zIDSwVDqQxHZsWvg";

const Json username_payload = Json{{"username", "user123"}, {"exp", far}};

// ---- the vectors of PyJWT -------------------------------------------------------------------

TEST(JwtVectors, EveryValidVectorDecodesWithItsKey) {
  LOAD_VECTORS_OR_FAIL(vectors);
  ASSERT_FALSE((*vectors)["valid"].empty());
  for (const auto& v : (*vectors)["valid"]) {
    const std::string alg = v["alg"].get<std::string>();
    SCOPED_TRACE(alg);
    jwt::DecodeOptions options;
    options.algorithms = {alg_of(v)};
    const std::string token = v["token"].get<std::string>();
    EXPECT_EQ(jwt::decode(token, key_of(v), options), v["payload"]);
    const jwt::Decoded complete = jwt::decode_complete(token, key_of(v), options);
    EXPECT_EQ(complete.payload, v["payload"]);
    EXPECT_EQ(complete.header, (Json{{"alg", alg}, {"typ", "JWT"}}));
    EXPECT_EQ(jwt::unverified_header(token), (Json{{"alg", alg}, {"typ", "JWT"}}));
  }
}

TEST(JwtVectors, DeterministicAlgorithmsEncodeByteIdenticalTokens) {
  LOAD_VECTORS_OR_FAIL(vectors);
  ASSERT_TRUE(vectors->contains("rsa_private_key_pem"));
  const Key rsa_private = Key::pem((*vectors)["rsa_private_key_pem"].get<std::string>());
  int checked = 0;
  for (const auto& v : (*vectors)["valid"]) {
    const std::string alg = v["alg"].get<std::string>();
    SCOPED_TRACE(alg);
    if (alg.starts_with("HS")) {
      EXPECT_EQ(jwt::encode(v["payload"], Key::secret(v["key"].get<std::string>()), alg_of(v)),
                v["token"].get<std::string>());
      ++checked;
    } else if (alg.starts_with("RS")) {
      EXPECT_EQ(jwt::encode(v["payload"], rsa_private, alg_of(v)), v["token"].get<std::string>());
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6);  // HS256/384/512, RS256/384/512
}

TEST(JwtVectors, EdDSAEncodesByteIdenticalToPyJwt) {
  // The vectors carry no Ed25519 private key; this fixed key's token was made by PyJWT 2.6.0.
  const std::string token =
      jwt::encode(username_payload, Key::pem(ed25519_private), Algorithm::EdDSA);
  EXPECT_EQ(token, ed25519_token);
  jwt::DecodeOptions options;
  options.algorithms = {Algorithm::EdDSA};
  EXPECT_EQ(jwt::decode(ed25519_token, Key::pem(ed25519_public), options), username_payload);
}

TEST(JwtVectors, RS256FromAPkcs1KeyIsByteIdenticalToPyJwt) {
  EXPECT_EQ(jwt::encode(username_payload, Key::pem(rsa_private_pkcs1), Algorithm::RS256),
            rsa_token);
  jwt::DecodeOptions options;
  options.algorithms = {Algorithm::RS256};
  EXPECT_EQ(jwt::decode(rsa_token, Key::pem(rsa_public_spki), options), username_payload);
  EXPECT_EQ(jwt::decode(rsa_token, Key::pem(rsa_public_pkcs1), options), username_payload);
}

TEST(JwtVectors, RandomizedAlgorithmsVerifyWithThePublicKey) {
  LOAD_VECTORS_OR_FAIL(vectors);
  const Key rsa_private = Key::pem((*vectors)["rsa_private_key_pem"].get<std::string>());
  const Json* rs256 = vector_for(*vectors, "RS256");
  ASSERT_NE(rs256, nullptr);
  const Key rsa_public = Key::pem((*rs256)["public_key_pem"].get<std::string>());
  for (const Algorithm alg : {Algorithm::PS256, Algorithm::PS384, Algorithm::PS512}) {
    SCOPED_TRACE(std::string(jwt::name(alg)));
    const std::string token = jwt::encode(username_payload, rsa_private, alg);
    jwt::DecodeOptions options;
    options.algorithms = {alg};
    EXPECT_EQ(jwt::decode(token, rsa_public, options), username_payload);
    EXPECT_EQ(b64url_decode(segments(token)[2]).size(), 256u);  // one RSA-2048 block
  }
  struct Ec {
    std::string_view pem;
    Algorithm alg;
    std::size_t signature_bytes;  // r ‖ s, not DER
  };
  for (const Ec& ec :
       {Ec{p256_private, Algorithm::ES256, 64}, Ec{p384_private, Algorithm::ES384, 96},
        Ec{p521_private, Algorithm::ES512, 132}}) {
    SCOPED_TRACE(std::string(jwt::name(ec.alg)));
    const Key priv = Key::pem(ec.pem);
    const Key pub = Key::jwk(priv.to_jwk());  // the public half only
    EXPECT_FALSE(pub.is_private());
    const std::string t1 = jwt::encode(username_payload, priv, ec.alg);
    const std::string t2 = jwt::encode(username_payload, priv, ec.alg);
    EXPECT_NE(t1, t2);  // ECDSA is randomized
    jwt::DecodeOptions options;
    options.algorithms = {ec.alg};
    EXPECT_EQ(jwt::decode(t1, pub, options), username_payload);
    EXPECT_EQ(jwt::decode(t2, pub, options), username_payload);
    EXPECT_EQ(b64url_decode(segments(t1)[2]).size(), ec.signature_bytes);
  }
  // ES256 against PyJWT's own key and token.
  const Json* es256 = vector_for(*vectors, "ES256");
  ASSERT_NE(es256, nullptr);
  EXPECT_EQ(b64url_decode(segments((*es256)["token"].get<std::string>())[2]).size(), 64u);
}

TEST(JwtVectors, EveryInvalidVectorFailsAsExpected) {
  LOAD_VECTORS_OR_FAIL(vectors);
  ASSERT_FALSE((*vectors)["invalid"].empty());
  for (const auto& v : (*vectors)["invalid"]) {
    const std::string expect = v["expect"].get<std::string>();
    jwt::DecodeOptions options;
    for (const auto& a : v["algorithms"]) {
      options.algorithms.push_back(*jwt::algorithm_from_name(a.get<std::string>()));
    }
    const std::string token = v["token"].get<std::string>();
    const Key key = Key::secret(v["key"].get<std::string>());
    auto run = [&] { return jwt::decode(token, key, options); };
    if (expect == "expired") {
      expect_expired(run, expect);
    } else if (expect == "invalid (signature)") {
      expect_invalid(run, expect, "Signature verification failed");
    } else if (expect == "invalid (alg not allowed)" || expect == "invalid (alg none)") {
      expect_invalid(run, expect, "The specified alg value is not allowed");
    } else if (expect == "invalid (not yet valid)") {
      expect_invalid(run, expect, "The token is not yet valid (nbf)");
    } else {
      expect_invalid(run, expect);
    }
  }
}

// ---- algorithms -----------------------------------------------------------------------------

TEST(JwtAlgorithms, NamesRoundTripAndNoneIsNotOne) {
  const std::vector<std::pair<Algorithm, std::string_view>> all = {
      {Algorithm::HS256, "HS256"}, {Algorithm::HS384, "HS384"}, {Algorithm::HS512, "HS512"},
      {Algorithm::RS256, "RS256"}, {Algorithm::RS384, "RS384"}, {Algorithm::RS512, "RS512"},
      {Algorithm::PS256, "PS256"}, {Algorithm::PS384, "PS384"}, {Algorithm::PS512, "PS512"},
      {Algorithm::ES256, "ES256"}, {Algorithm::ES384, "ES384"}, {Algorithm::ES512, "ES512"},
      {Algorithm::EdDSA, "EdDSA"}};
  for (const auto& [alg, text] : all) {
    EXPECT_EQ(jwt::name(alg), text);
    EXPECT_EQ(jwt::algorithm_from_name(text), alg) << text;
  }
  for (const std::string_view bad : {"none", "None", "NONE", "", "hs256", "HS257", "ES256K"}) {
    EXPECT_FALSE(jwt::algorithm_from_name(bad).has_value()) << "'" << bad << "'";
  }
}

std::vector<Algorithm> every_algorithm() {
  return {Algorithm::HS256, Algorithm::HS384, Algorithm::HS512, Algorithm::RS256, Algorithm::RS384,
          Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512, Algorithm::ES256,
          Algorithm::ES384, Algorithm::ES512, Algorithm::EdDSA};
}

TEST(JwtAlgorithms, AlgNoneIsRejectedWhateverIsAllowed) {
  // {"alg":"none","typ":"JWT"} . {"username":"admin"} . (empty or any signature)
  const std::string header = b64url(R"({"alg":"none","typ":"JWT"})");
  const std::string payload = b64url(R"({"username":"admin"})");
  jwt::DecodeOptions options;
  options.algorithms = every_algorithm();
  for (const std::string& token : {header + "." + payload + ".", header + "." + payload + ".AAAA",
                                   b64url(R"({"alg":"None"})") + "." + payload + ".",
                                   b64url(R"({"typ":"JWT"})") + "." + payload + "."}) {
    expect_invalid([&] { return jwt::decode(token, secret(), options); }, token);
  }
}

TEST(JwtAlgorithms, AlgNotInTheAllowedListIsRejected) {
  const std::string token = sign(username_payload);
  jwt::DecodeOptions options;
  options.algorithms = {Algorithm::HS384, Algorithm::HS512};
  expect_invalid([&] { return jwt::decode(token, secret(), options); }, "HS256 with HS384/512",
                 "The specified alg value is not allowed");
  const std::string rs =
      jwt::encode(username_payload, Key::pem(rsa_private_pkcs1), Algorithm::RS256);
  options.algorithms = {Algorithm::RS384};
  expect_invalid([&] { return jwt::decode(rs, Key::pem(rsa_public_spki), options); },
                 "RS256 with RS384 allowed", "The specified alg value is not allowed");
}

TEST(JwtAlgorithms, EmptyAlgorithmListIsRefused) {
  const std::string token = sign(username_payload);
  expect_refused([&] { return jwt::decode(token, secret(), jwt::DecodeOptions{}); },
                 "decode with no algorithm allowed");
}

TEST(JwtAlgorithms, RsaPublicKeyAsHmacSecretIsRejected) {
  // The classic key confusion: the attacker signs HS256 with the server's public key text.
  jwt::DecodeOptions both;
  both.algorithms = {Algorithm::RS256, Algorithm::HS256};
  expect_invalid([&] { return jwt::decode(forged_hs256, Key::pem(rsa_public_spki), both); },
                 "Key::pem(public) with RS256+HS256 allowed");
  jwt::DecodeOptions hs;
  hs.algorithms = {Algorithm::HS256};
  expect_invalid([&] { return jwt::decode(forged_hs256, Key::pem(rsa_public_spki), hs); },
                 "Key::pem(public) with HS256 allowed");
  expect_invalid([&] { return jwt::decode(forged_hs256, Key::secret(rsa_public_spki), hs); },
                 "Key::secret(public PEM) with HS256");
  expect_invalid([&] { return jwt::decode(forged_hs256, Key::secret(rsa_public_pkcs1), hs); },
                 "Key::secret(RSA PUBLIC KEY PEM) with HS256");
}

TEST(JwtAlgorithms, PublicKeysCannotSignAsSecrets) {
  for (const std::string_view pub :
       {rsa_public_spki, rsa_public_pkcs1, p256_certificate, rsa_ssh_public}) {
    expect_invalid_argument(
        [&] { return jwt::encode(username_payload, Key::secret(pub), Algorithm::HS256); },
        "HS256 with a public key as the secret: " + std::string(pub.substr(0, 30)));
  }
  expect_invalid_argument(
      [&] { return jwt::encode(username_payload, Key::pem(rsa_public_spki), Algorithm::HS256); },
      "HS256 with Key::pem(public)");
  expect_invalid_argument(
      [&] { return jwt::encode(username_payload, Key::pem(rsa_public_spki), Algorithm::RS256); },
      "RS256 with a public key");
  expect_invalid_argument(
      [&] { return jwt::encode(username_payload, Key::pem(p256_public), Algorithm::ES256); },
      "ES256 with a public key");
}

TEST(JwtAlgorithms, KeyTypeMustMatchTheAlgorithm) {
  const Key ec256 = Key::pem(p256_private);
  const Key ec384 = Key::pem(p384_private);
  const Key rsa = Key::pem(rsa_private_pkcs1);
  const Key ed = Key::pem(ed25519_private);
  const struct {
    const Key* key;
    Algorithm alg;
    const char* what;
  } mismatches[] = {
      {&ec256, Algorithm::RS256, "P-256 key with RS256"},
      {&ec256, Algorithm::PS256, "P-256 key with PS256"},
      {&ec256, Algorithm::HS256, "P-256 key with HS256"},
      {&ec256, Algorithm::EdDSA, "P-256 key with EdDSA"},
      {&ec256, Algorithm::ES384, "P-256 key with ES384"},
      {&ec256, Algorithm::ES512, "P-256 key with ES512"},
      {&ec384, Algorithm::ES256, "P-384 key with ES256"},
      {&rsa, Algorithm::ES256, "RSA key with ES256"},
      {&rsa, Algorithm::HS256, "RSA key with HS256"},
      {&rsa, Algorithm::EdDSA, "RSA key with EdDSA"},
      {&ed, Algorithm::RS256, "Ed25519 key with RS256"},
      {&ed, Algorithm::ES256, "Ed25519 key with ES256"},
      {&secret(), Algorithm::RS256, "secret with RS256"},
      {&secret(), Algorithm::ES256, "secret with ES256"},
      {&secret(), Algorithm::EdDSA, "secret with EdDSA"},
  };
  for (const auto& m : mismatches) {
    expect_invalid_argument([&] { return jwt::encode(username_payload, *m.key, m.alg); }, m.what);
  }
  // And verification: a token of one kind never verifies with a key of another.
  const std::string es384 = jwt::encode(username_payload, ec384, Algorithm::ES384);
  jwt::DecodeOptions o384;
  o384.algorithms = {Algorithm::ES384};
  expect_invalid([&] { return jwt::decode(es384, Key::pem(p256_public), o384); },
                 "ES384 token with a P-256 key");
  jwt::DecodeOptions ors;
  ors.algorithms = {Algorithm::RS256};
  expect_invalid([&] { return jwt::decode(rsa_token, Key::pem(p256_public), ors); },
                 "RS256 token with an EC key");
  expect_invalid([&] { return jwt::decode(rsa_token, Key::pem(ed25519_public), ors); },
                 "RS256 token with an Ed25519 key");
  expect_invalid([&] { return jwt::decode(rsa_token, secret(), ors); },
                 "RS256 token with a secret");
  const std::string es256 = jwt::encode(username_payload, ec256, Algorithm::ES256);
  jwt::DecodeOptions oes;
  oes.algorithms = {Algorithm::ES256};
  expect_invalid([&] { return jwt::decode(es256, Key::pem(rsa_public_spki), oes); },
                 "ES256 token with an RSA key");
}

TEST(JwtAlgorithms, RsaKeysUnder2048BitsAreRefused) {
  expect_refused(
      [&] { return jwt::encode(username_payload, Key::pem(rsa1024_private), Algorithm::RS256); },
      "signing RS256 with RSA-1024");
  expect_refused(
      [&] { return jwt::encode(username_payload, Key::pem(rsa1024_private), Algorithm::PS256); },
      "signing PS256 with RSA-1024");
  // A token PyJWT signed with the 1024-bit key.
  jwt::DecodeOptions options;
  options.algorithms = {Algorithm::RS256};
  expect_refused([&] { return jwt::decode(rsa1024_token, Key::pem(rsa1024_public), options); },
                 "verifying RS256 with RSA-1024");
}

// ---- tampering and malformed tokens ---------------------------------------------------------

void expect_every_alteration_fails(const std::string& token, const Key& key, Algorithm alg) {
  jwt::DecodeOptions options;
  options.algorithms = {alg};
  ASSERT_NO_THROW((void)jwt::decode(token, key, options)) << "the untouched token must verify";
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '.') continue;
    std::string bad = token;
    bad[i] = altered(bad[i]);
    expect_invalid([&] { return jwt::decode(bad, key, options); },
                   std::string(jwt::name(alg)) + " token altered at " + std::to_string(i));
  }
}

TEST(JwtTampering, EveryAlteredCharacterIsRejected) {
  expect_every_alteration_fails(sign(username_payload), secret(), Algorithm::HS256);
  expect_every_alteration_fails(std::string(rsa_token), Key::pem(rsa_public_spki),
                                Algorithm::RS256);
  expect_every_alteration_fails(std::string(ed25519_token), Key::pem(ed25519_public),
                                Algorithm::EdDSA);
  expect_every_alteration_fails(
      jwt::encode(username_payload, Key::pem(p256_private), Algorithm::ES256),
      Key::pem(p256_public), Algorithm::ES256);
}

TEST(JwtTampering, EveryVectorTokenAlteredIsRejected) {
  LOAD_VECTORS_OR_FAIL(vectors);
  for (const auto& v : (*vectors)["valid"]) {
    SCOPED_TRACE(v["alg"].get<std::string>());
    expect_every_alteration_fails(v["token"].get<std::string>(), key_of(v), alg_of(v));
  }
}

TEST(JwtTampering, SwappedPayloadIsRejected) {
  // A valid signature of another payload: header and signature kept, payload replaced.
  const auto a = segments(sign(Json{{"user", "alice"}}));
  const auto b = segments(sign(Json{{"user", "admin"}}));
  const std::string spliced = a[0] + "." + b[1] + "." + a[2];
  expect_invalid([&] { return jwt::decode(spliced, secret(), hs256_at_now0()); }, "spliced",
                 "Signature verification failed");
}

TEST(JwtTampering, EveryTruncationIsRejected) {
  const std::string token = sign(username_payload);
  for (std::size_t n = 0; n < token.size(); ++n) {
    const std::string cut = token.substr(0, n);
    expect_invalid([&] { return jwt::decode(cut, secret(), hs256_at_now0()); },
                   "cut to " + std::to_string(n));
  }
  // (An appended "=" is padding PyJWT ignores: the same signature bytes.)
  for (const std::string_view extra : {"A", "AA", "AAA", "AAAA", "xyz"}) {
    const std::string longer = token + std::string(extra);
    expect_invalid([&] { return jwt::decode(longer, secret(), hs256_at_now0()); },
                   "signature with '" + std::string(extra) + "' appended");
  }
}

TEST(JwtTampering, WrongNumberOfSegmentsIsRejected) {
  const std::string token = sign(username_payload);
  const auto s = segments(token);
  expect_invalid([&] { return jwt::decode(s[0] + "." + s[1], secret(), hs256_at_now0()); },
                 "two segments", "Not enough segments");
  expect_invalid([&] { return jwt::decode(s[0], secret(), hs256_at_now0()); }, "one segment",
                 "Not enough segments");
  for (const std::string& bad : {token + ".", token + "." + s[2], "." + token, std::string(".."),
                                 std::string("..."), std::string(""), std::string("a.b.c")}) {
    expect_invalid([&] { return jwt::decode(bad, secret(), hs256_at_now0()); }, "'" + bad + "'");
  }
}

TEST(JwtTampering, MalformedSegmentsAreRejected) {
  const std::string sig = segments(sign(username_payload))[2];
  const std::string good_header = b64url(R"({"alg":"HS256","typ":"JWT"})");
  const std::string good_payload = b64url(R"({"username":"user123"})");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"header not base64", "!!!." + good_payload + "." + sig},
      {"header not JSON", b64url("not json") + "." + good_payload + "." + sig},
      {"header not an object", b64url(R"(["HS256"])") + "." + good_payload + "." + sig},
      {"alg not a string", b64url(R"({"alg":256})") + "." + good_payload + "." + sig},
      {"payload not base64", good_header + ".***." + sig},
      {"signature not base64", good_header + "." + good_payload + ".$$$"},
  };
  for (const auto& [what, token] : cases) {
    expect_invalid([&] { return jwt::decode(token, secret(), hs256_at_now0()); }, what);
  }
}

TEST(JwtTampering, NonObjectPayloadsAreRejected) {
  // Validly signed by PyJWT's api_jws, but not a claims object.
  expect_invalid([&] { return jwt::decode(array_payload_token, secret(), hs256_at_now0()); },
                 "payload [1,2]");
  expect_invalid([&] { return jwt::decode(string_payload_token, secret(), hs256_at_now0()); },
                 "payload \"user123\"");
  expect_invalid_argument(
      [&] {
        return jwt::encode(Json::array({1, 2}), secret(), Algorithm::HS256);
      },
      "encode an array");
  expect_invalid_argument([&] { return jwt::encode(Json("text"), secret(), Algorithm::HS256); },
                          "encode a string");
}

TEST(JwtTampering, TokensOverMaxTokenSizeAreRejected) {
  // {"pad":"xxx..."}: find the pad lengths giving tokens of exactly max and max + 1 bytes.
  const std::size_t fixed = sign(Json{{"pad", ""}}).size() - b64url(R"({"pad":""})").size();
  auto token_size = [&](std::size_t n) { return fixed + b64url(std::string(n + 10, 'x')).size(); };
  std::optional<std::size_t> at_max;
  std::optional<std::size_t> over_max;
  for (std::size_t n = 40000; n < 50000 && !(at_max && over_max); ++n) {
    if (token_size(n) == jwt::max_token_size) at_max = n;
    if (token_size(n) == jwt::max_token_size + 1) over_max = n;
  }
  ASSERT_TRUE(at_max && over_max);
  const std::string largest = sign(Json{{"pad", std::string(*at_max, 'x')}});
  const std::string too_large = sign(Json{{"pad", std::string(*over_max, 'x')}});
  ASSERT_EQ(largest.size(), jwt::max_token_size);
  ASSERT_EQ(too_large.size(), jwt::max_token_size + 1);
  EXPECT_EQ(jwt::decode(largest, secret(), hs256_at_now0())["pad"].get<std::string>().size(),
            *at_max);
  expect_invalid([&] { return jwt::decode(too_large, secret(), hs256_at_now0()); },
                 "a validly signed token of max_token_size + 1 bytes");
  expect_invalid([&] { return jwt::unverified_header(too_large); },
                 "unverified_header of an oversize token");
  const std::string garbage(1 << 20, 'A');
  expect_invalid([&] { return jwt::decode(garbage, secret(), hs256_at_now0()); }, "1 MiB of 'A'");
}

// ---- claims ---------------------------------------------------------------------------------

TEST(JwtClaims, ExpWithLeeway) {
  const std::string token = sign(Json{{"username", "user123"}, {"exp", now0 - 5}});
  auto o = hs256_at_now0();
  expect_expired([&] { return jwt::decode(token, secret(), o); }, "exp 5 s ago, no leeway");
  o.leeway = 10s;
  EXPECT_EQ(jwt::decode(token, secret(), o)["username"], "user123");
  o.leeway = 5s;  // exp <= now - leeway is expired (PyJWT)
  expect_expired([&] { return jwt::decode(token, secret(), o); }, "exp 5 s ago, leeway 5 s");
}

TEST(JwtClaims, ExpBoundaries) {
  auto o = hs256_at_now0();
  expect_expired([&] { return jwt::decode(sign(Json{{"exp", now0}}), secret(), o); }, "exp == now");
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"exp", now0 + 1}}), secret(), o));
  o.verify_exp = false;
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"exp", now0 - 1000}}), secret(), o));
}

TEST(JwtClaims, ExpiredIsAlsoAnInvalidTokenError) {
  const std::string token = sign(Json{{"exp", now0 - 1}});
  try {
    (void)jwt::decode(token, secret(), hs256_at_now0());
    FAIL() << "accepted";
  } catch (const jwt::InvalidTokenError& e) {  // catchable as the base, like PyJWT's
    EXPECT_EQ(e.code(), errc::token_expired);
    EXPECT_NE(dynamic_cast<const jwt::ExpiredSignatureError*>(&e), nullptr);
  }
}

TEST(JwtClaims, ExpiredButTamperedIsInvalidNotExpired) {
  // The signature is checked before the claims: a forged expired token is not "expired".
  const auto s = segments(sign(Json{{"exp", now0 - 100}}));
  std::string sig = s[2];
  sig[0] = altered(sig[0]);
  expect_invalid(
      [&] { return jwt::decode(s[0] + "." + s[1] + "." + sig, secret(), hs256_at_now0()); },
      "expired and tampered");
}

TEST(JwtClaims, NonIntegerTimesAreInvalid) {
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"exp", "soon"}}), secret(), hs256_at_now0());
      },
      "exp \"soon\"");
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"nbf", "later"}}), secret(), hs256_at_now0());
      },
      "nbf \"later\"");
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"iat", "not a number"}}), secret(), hs256_at_now0());
      },
      "iat \"not a number\"");
}

TEST(JwtClaims, NbfInTheFutureIsNotYetValid) {
  auto o = hs256_at_now0();
  const std::string later = sign(Json{{"nbf", now0 + 100}});
  expect_invalid([&] { return jwt::decode(later, secret(), o); }, "nbf in 100 s",
                 "The token is not yet valid (nbf)");
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"nbf", now0}}), secret(), o));
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"nbf", now0 - 100}}), secret(), o));
  const std::string soon = sign(Json{{"nbf", now0 + 5}});
  expect_invalid([&] { return jwt::decode(soon, secret(), o); }, "nbf in 5 s, no leeway");
  o.leeway = 10s;
  EXPECT_NO_THROW((void)jwt::decode(soon, secret(), o));
  o.leeway = 0s;
  o.verify_nbf = false;
  EXPECT_NO_THROW((void)jwt::decode(later, secret(), o));
}

TEST(JwtClaims, IatInTheFutureIsNotYetValid) {
  // PyJWT 2.6.0 _validate_iat: iat > now + leeway → "The token is not yet valid (iat)".
  auto o = hs256_at_now0();
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"iat", now0 - 100}}), secret(), o));
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"iat", now0}}), secret(), o));
  const std::string ahead = sign(Json{{"iat", now0 + 5}});
  expect_invalid([&] { return jwt::decode(ahead, secret(), o); }, "iat 5 s ahead");
  o.leeway = 10s;
  EXPECT_NO_THROW((void)jwt::decode(ahead, secret(), o));
}

TEST(JwtClaims, AudienceString) {
  const std::string token = sign(Json{{"aud", "api"}});
  auto o = hs256_at_now0();
  o.audience = {"api"};
  EXPECT_EQ(jwt::decode(token, secret(), o)["aud"], "api");
  o.audience = {"other", "api"};  // any of the configured audiences
  EXPECT_NO_THROW((void)jwt::decode(token, secret(), o));
  o.audience = {"other"};
  expect_invalid([&] { return jwt::decode(token, secret(), o); }, "aud api, audience other",
                 "Invalid audience");
  o.audience = {"ap"};  // no prefix matching
  expect_invalid([&] { return jwt::decode(token, secret(), o); }, "aud api, audience ap");
}

TEST(JwtClaims, AudienceList) {
  const std::string token = sign(Json{{"aud", Json::array({"web", "api"})}});
  auto o = hs256_at_now0();
  o.audience = {"api"};
  EXPECT_NO_THROW((void)jwt::decode(token, secret(), o));
  o.audience = {"web"};
  EXPECT_NO_THROW((void)jwt::decode(token, secret(), o));
  o.audience = {"mobile", "desktop"};
  expect_invalid([&] { return jwt::decode(token, secret(), o); }, "aud list, no match",
                 "Invalid audience");
  o.audience = {"api"};
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"aud", Json::array({"api", 1})}}), secret(), o);
      },
      "aud list with a number");
  expect_invalid([&] { return jwt::decode(sign(Json{{"aud", 5}}), secret(), o); }, "aud 5");
}

TEST(JwtClaims, AudiencePresentButNotConfiguredIsRejected) {
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"aud", "api"}}), secret(), hs256_at_now0());
      },
      "aud without a configured audience", "Invalid audience");
}

// PyJWT 2.6 _validate_aud: `if "aud" not in payload or not payload["aud"]` — an empty or null
// audience is as good as none (issue 12 item 3).
TEST(JwtClaims, AnEmptyOrNullAudienceIsAcceptedWhenNoneIsConfigured) {
  for (const Json& empty : {Json(nullptr), Json(""), Json::array(), Json(false), Json(0)}) {
    const Json payload{{"aud", empty}, {"username", "x"}};
    EXPECT_EQ(jwt::decode(sign(payload), secret(), hs256_at_now0())["username"], "x")
        << empty.dump();
  }
}

TEST(JwtClaims, AnEmptyOrNullAudienceIsMissingWhenOneIsConfigured) {
  auto o = hs256_at_now0();
  o.audience = {"api"};
  for (const Json& empty : {Json(nullptr), Json(""), Json::array()}) {
    const Json payload{{"aud", empty}};
    expect_invalid([&] { return jwt::decode(sign(payload), secret(), o); }, empty.dump(),
                   "Token is missing the \"aud\" claim");
  }
}

TEST(JwtClaims, AudienceConfiguredButAbsentIsRejected) {
  auto o = hs256_at_now0();
  o.audience = {"api"};
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"username", "x"}}), secret(), o);
      },
      "no aud claim", "aud");
}

TEST(JwtClaims, Issuer) {
  auto o = hs256_at_now0();
  o.issuer = "https://issuer.example";
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"iss", "https://issuer.example"}}), secret(), o));
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"iss", "https://evil.example"}}), secret(), o);
      },
      "wrong iss", "Invalid issuer");
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"sub", "x"}}), secret(), o);
      },
      "no iss", "iss");
  // No issuer configured: any iss passes.
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"iss", "anyone"}}), secret(), hs256_at_now0()));
}

TEST(JwtClaims, Subject) {
  auto o = hs256_at_now0();
  o.subject = "user123";
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"sub", "user123"}}), secret(), o));
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"sub", "admin"}}), secret(), o);
      },
      "wrong sub");
  expect_invalid([&] { return jwt::decode(sign(Json{{"iss", "x"}}), secret(), o); }, "no sub");
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"sub", "anyone"}}), secret(), hs256_at_now0()));
}

TEST(JwtClaims, RequiredClaims) {
  auto o = hs256_at_now0();
  o.require = {"exp", "iat"};
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"exp", now0 + 60}, {"iat", now0}}), secret(), o));
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"iat", now0}}), secret(), o);
      },
      "exp required but missing", "exp");
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"exp", now0 + 60}}), secret(), o);
      },
      "iat required but missing", "iat");
  o.require = {"jti"};
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"jti", nullptr}}), secret(), o);
      },
      "jti null counts as missing (PyJWT)");
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"jti", "abc"}}), secret(), o));
}

TEST(JwtClaims, RequiredClaimThatIsNullCountsAsMissing) {
  // PyJWT 2.6.0 _validate_required_claims: payload.get(claim) is None → MissingRequiredClaimError.
  auto o = hs256_at_now0();
  o.require = {"role"};
  expect_invalid(
      [&] {
        return jwt::decode(sign(Json{{"role", nullptr}}), secret(), o);
      },
      "role: null with role required", "role");
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"role", "admin"}}), secret(), o));
}

TEST(JwtClaims, NowDefaultsToTheClock) {
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::HS256};
  EXPECT_NO_THROW((void)jwt::decode(sign(Json{{"exp", jwt::from_now(60s)}}), secret(), o));
  expect_expired(
      [&] {
        return jwt::decode(sign(Json{{"exp", jwt::from_now(-60s)}}), secret(), o);
      },
      "exp a minute ago");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_NEAR(static_cast<double>(jwt::from_now(3600s)), static_cast<double>(now + 3600), 2.0);
}

TEST(JwtClaims, PayloadRoundTripsWithOrderAndTypes) {
  const Json payload = Json::parse(
      R"({"z":1,"a":[1,"two",null,true,{"k":"v"}],"m":{"y":2,"b":1},"f":false,"n":null,)"
      R"("big":9007199254740993,"neg":-5,"s":"quote \" and \\ and \n"})");
  const Json back = jwt::decode(sign(payload), secret(), hs256_at_now0());
  EXPECT_EQ(back, payload);
  EXPECT_EQ(back.dump(), payload.dump());  // same order
}

// ---- the encoded form -----------------------------------------------------------------------

TEST(JwtEncode, HeaderIsAlgAndTypSortedPlusExtraHeaders) {
  EXPECT_EQ(b64url_decode(segments(sign(username_payload))[0]), R"({"alg":"HS256","typ":"JWT"})");
  const std::string token =
      jwt::encode(username_payload, secret(), Algorithm::HS512, Json{{"kid", "k1"}, {"cty", "x"}});
  EXPECT_EQ(b64url_decode(segments(token)[0]),
            R"({"alg":"HS512","cty":"x","kid":"k1","typ":"JWT"})");
  EXPECT_EQ(jwt::unverified_header(token),
            (Json{{"alg", "HS512"}, {"cty", "x"}, {"kid", "k1"}, {"typ", "JWT"}}));
  const std::string ed = jwt::encode(username_payload, Key::pem(ed25519_private), Algorithm::EdDSA);
  EXPECT_EQ(b64url_decode(segments(ed)[0]), R"({"alg":"EdDSA","typ":"JWT"})");
}

TEST(JwtEncode, KidHeaderIsByteIdenticalToPyJwt) {
  EXPECT_EQ(jwt::encode(username_payload, secret(), Algorithm::HS256, Json{{"kid", "k2"}}),
            kid_k2_token);
}

TEST(JwtEncode, PayloadIsCompactAndInGivenOrder) {
  const std::string token = sign(Json{{"username", "user123"}, {"exp", far}});
  EXPECT_EQ(b64url_decode(segments(token)[1]), R"({"username":"user123","exp":4102444800})");
  EXPECT_EQ(b64url_decode(segments(sign(Json{{"b", 1}, {"a", 2}}))[1]), R"({"b":1,"a":2})");
}

TEST(JwtEncode, NonAsciiIsEscapedLikePythonJsonDumps) {
  // /usr/bin/python3 -c 'import jwt; print(jwt.encode({"name":"é"}, "s", algorithm="HS256"))'
  EXPECT_EQ(jwt::encode(Json{{"name", "\xc3\xa9"}}, Key::secret("s"), Algorithm::HS256),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYW1lIjoiXHUwMGU5In0."
            "dWjk2beWWPLotRYlkyM7QbLIG-dFpwcdrhjOopK8Q8I");
  // /usr/bin/python3 -c 'import jwt; print(jwt.encode({"name":"é","emoji":"😀","n":1.5,
  //   "list":[1,"a",None,True],"s":"a/b\"c\n"}, "s", algorithm="HS256"))'
  const Json rich = {{"name", "\xc3\xa9"},
                     {"emoji", "\xf0\x9f\x98\x80"},
                     {"n", 1.5},
                     {"list", Json::array({1, "a", nullptr, true})},
                     {"s", "a/b\"c\n"}};
  const std::string rich_token =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJuYW1lIjoiXHUwMGU5IiwiZW1vamkiOiJcdWQ4M2RcdWRlMDAiLCJuIjoxLjUsImxpc3QiOlsxLCJhIixudWxsLHRy"
      "dWVdLCJzIjoiYS9iXCJjXG4ifQ.R52a43a5GGzrq0h7QMWJQq_qg7rShl2Ypw1m9N_vZLM";
  EXPECT_EQ(jwt::encode(rich, Key::secret("s"), Algorithm::HS256), rich_token);
  // And decoding PyJWT's escapes gives the UTF-8 text back.
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::HS256};
  EXPECT_EQ(jwt::decode(rich_token, Key::secret("s"), o), rich);
}

TEST(JwtEncode, UnverifiedHeaderOfMalformedTokensIsInvalid) {
  EXPECT_EQ(jwt::unverified_header(kid_k2_token),
            (Json{{"alg", "HS256"}, {"kid", "k2"}, {"typ", "JWT"}}));
  for (const std::string_view bad : {"", "garbage", "a.b.c", "!!!.e30.", "W10.e30.x"}) {
    expect_invalid([&] { return jwt::unverified_header(bad); }, "'" + std::string(bad) + "'");
  }
}

// ---- keys -----------------------------------------------------------------------------------

TEST(JwtKeys, SecretProperties) {
  EXPECT_EQ(secret().type(), jwt::KeyType::secret);
  EXPECT_TRUE(secret().is_private());
  EXPECT_EQ(secret().bits(), 15 * 8);
  EXPECT_TRUE(secret().kid().empty());
  EXPECT_FALSE(secret().algorithm().has_value());
  const nlohmann::json jwk = secret().to_jwk();
  EXPECT_EQ(jwk["kty"], "oct");
  EXPECT_EQ(jwk["k"], b64url(secret_text));
}

TEST(JwtKeys, PemProperties) {
  const Key rsa_priv = Key::pem(rsa_private_pkcs1);
  EXPECT_EQ(rsa_priv.type(), jwt::KeyType::rsa);
  EXPECT_TRUE(rsa_priv.is_private());
  EXPECT_EQ(rsa_priv.bits(), 2048);
  const Key rsa_pub = Key::pem(rsa_public_spki);
  EXPECT_EQ(rsa_pub.type(), jwt::KeyType::rsa);
  EXPECT_FALSE(rsa_pub.is_private());
  EXPECT_EQ(rsa_pub.bits(), 2048);
  EXPECT_FALSE(Key::pem(rsa_public_pkcs1).is_private());
  EXPECT_EQ(Key::pem(p256_private).type(), jwt::KeyType::ec);
  EXPECT_EQ(Key::pem(p256_private).bits(), 256);
  EXPECT_EQ(Key::pem(p256_private_sec1).bits(), 256);
  EXPECT_TRUE(Key::pem(p256_private_sec1).is_private());
  EXPECT_EQ(Key::pem(p384_private).bits(), 384);
  EXPECT_EQ(Key::pem(p521_private).bits(), 521);
  EXPECT_FALSE(Key::pem(p256_public).is_private());
  EXPECT_FALSE(Key::pem(p256_certificate).is_private());
  EXPECT_EQ(Key::pem(p256_certificate).type(), jwt::KeyType::ec);
  EXPECT_EQ(Key::pem(ed25519_private).type(), jwt::KeyType::okp);
  EXPECT_TRUE(Key::pem(ed25519_private).is_private());
  EXPECT_FALSE(Key::pem(ed25519_public).is_private());
}

TEST(JwtKeys, EveryPemFormVerifies) {
  // SEC1 private key signs, SPKI / certificate verify.
  const std::string token =
      jwt::encode(username_payload, Key::pem(p256_private_sec1), Algorithm::ES256);
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::ES256};
  EXPECT_EQ(jwt::decode(token, Key::pem(p256_public), o), username_payload);
  EXPECT_EQ(jwt::decode(token, Key::pem(p256_certificate), o), username_payload);
  EXPECT_EQ(jwt::decode(token, Key::pem(p256_private), o), username_payload);
}

TEST(JwtKeys, BadPemIsInvalidArgument) {
  expect_invalid_argument([] { return Key::pem(""); }, "empty PEM");
  expect_invalid_argument([] { return Key::pem("not a pem"); }, "not a PEM");
  expect_invalid_argument(
      [] { return Key::pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"); },
      "PEM of garbage");
  std::string cut(rsa_public_spki.substr(0, rsa_public_spki.size() / 2));
  expect_invalid_argument([&] { return Key::pem(cut); }, "half a PEM");
}

TEST(JwtKeys, OctJwk) {
  const Key k =
      Key::jwk(std::string_view(R"({"kty":"oct","k":"eW91ci1zZWNyZXQta2V5"})"));  // b64url(secret)
  EXPECT_EQ(k.type(), jwt::KeyType::secret);
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::HS256};
  EXPECT_EQ(jwt::decode(sign(username_payload), k, o), username_payload);
  EXPECT_EQ(jwt::encode(username_payload, k, Algorithm::HS256), sign(username_payload));
  // The json overload.
  const Key k2 = Key::jwk(nlohmann::json{{"kty", "oct"}, {"k", b64url(secret_text)}});
  EXPECT_EQ(jwt::decode(sign(username_payload), k2, o), username_payload);
}

TEST(JwtKeys, JwkKidAndAlgAreKeptAndAlgRestrictsDecoding) {
  const Key k = Key::jwk(
      nlohmann::json{{"kty", "oct"}, {"k", b64url(secret_text)}, {"kid", "k9"}, {"alg", "HS384"}});
  EXPECT_EQ(k.kid(), "k9");
  EXPECT_EQ(k.algorithm(), Algorithm::HS384);
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::HS256, Algorithm::HS384};
  expect_invalid([&] { return jwt::decode(sign(username_payload), k, o); },
                 "HS256 token with a key whose JWK says HS384");
  const std::string hs384 = jwt::encode(username_payload, secret(), Algorithm::HS384);
  EXPECT_EQ(jwt::decode(hs384, k, o), username_payload);
}

TEST(JwtKeys, RsaJwkRoundTrip) {
  const nlohmann::json jwk = Key::pem(rsa_private_pkcs1).to_jwk();
  EXPECT_EQ(jwk["kty"], "RSA");
  EXPECT_EQ(jwk["n"], rsa_n);
  EXPECT_EQ(jwk["e"], "AQAB");
  EXPECT_FALSE(jwk.contains("d")) << "to_jwk must not export the private part";
  EXPECT_FALSE(jwk.contains("p"));
  EXPECT_EQ(Key::pem(rsa_public_spki).to_jwk()["n"], rsa_n);
  const Key pub = Key::jwk(jwk);
  EXPECT_EQ(pub.type(), jwt::KeyType::rsa);
  EXPECT_FALSE(pub.is_private());
  EXPECT_EQ(pub.bits(), 2048);
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::RS256};
  EXPECT_EQ(jwt::decode(rsa_token, pub, o), username_payload);
  // A hand-written JWK (as PyJWT's RSAAlgorithm.to_jwk writes it).
  const Key hand = Key::jwk(nlohmann::json{{"kty", "RSA"}, {"n", rsa_n}, {"e", "AQAB"}});
  EXPECT_EQ(jwt::decode(rsa_token, hand, o), username_payload);
}

TEST(JwtKeys, RsaJwkFromTheVectors) {
  LOAD_VECTORS_OR_FAIL(vectors);
  for (const std::string_view alg : {"RS256", "PS256"}) {
    const Json* v = vector_for(*vectors, alg);
    ASSERT_NE(v, nullptr);
    const Key pub = Key::jwk(Key::pem((*v)["public_key_pem"].get<std::string>()).to_jwk());
    jwt::DecodeOptions o;
    o.algorithms = {alg_of(*v)};
    EXPECT_EQ(jwt::decode((*v)["token"].get<std::string>(), pub, o), (*v)["payload"]) << alg;
  }
  for (const std::string_view alg : {"ES256", "EdDSA"}) {
    const Json* v = vector_for(*vectors, alg);
    ASSERT_NE(v, nullptr);
    const Key pub = Key::jwk(Key::pem((*v)["public_key_pem"].get<std::string>()).to_jwk());
    jwt::DecodeOptions o;
    o.algorithms = {alg_of(*v)};
    EXPECT_EQ(jwt::decode((*v)["token"].get<std::string>(), pub, o), (*v)["payload"]) << alg;
  }
}

TEST(JwtKeys, EcJwkRoundTrip) {
  const nlohmann::json jwk = Key::pem(p256_private).to_jwk();
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-256");
  EXPECT_EQ(jwk["x"], p256_x);
  EXPECT_EQ(jwk["y"], p256_y);
  EXPECT_FALSE(jwk.contains("d"));
  EXPECT_EQ(Key::pem(p384_private).to_jwk()["crv"], "P-384");
  EXPECT_EQ(Key::pem(p521_private).to_jwk()["crv"], "P-521");
  const std::string token = jwt::encode(username_payload, Key::pem(p256_private), Algorithm::ES256);
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::ES256};
  EXPECT_EQ(jwt::decode(token, Key::jwk(jwk), o), username_payload);
  // A private EC JWK signs.
  const Key priv = Key::jwk(
      nlohmann::json{{"kty", "EC"}, {"crv", "P-256"}, {"x", p256_x}, {"y", p256_y}, {"d", p256_d}});
  EXPECT_TRUE(priv.is_private());
  EXPECT_EQ(priv.bits(), 256);
  EXPECT_EQ(
      jwt::decode(jwt::encode(username_payload, priv, Algorithm::ES256), Key::pem(p256_public), o),
      username_payload);
}

TEST(JwtKeys, OkpJwkRoundTrip) {
  const nlohmann::json jwk = Key::pem(ed25519_private).to_jwk();
  EXPECT_EQ(jwk["kty"], "OKP");
  EXPECT_EQ(jwk["crv"], "Ed25519");
  EXPECT_EQ(jwk["x"], ed25519_x);
  EXPECT_FALSE(jwk.contains("d"));
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::EdDSA};
  EXPECT_EQ(jwt::decode(ed25519_token, Key::jwk(jwk), o), username_payload);
  const Key priv = Key::jwk(
      nlohmann::json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", ed25519_x}, {"d", ed25519_d}});
  EXPECT_TRUE(priv.is_private());
  EXPECT_EQ(priv.type(), jwt::KeyType::okp);
  EXPECT_EQ(jwt::encode(username_payload, priv, Algorithm::EdDSA), ed25519_token);
}

TEST(JwtKeys, BadJwksAreRefused) {
  for (const std::string_view bad :
       {R"({"kty":"oct"})", R"({"kty":"XYZ","k":"AAAA"})", R"({"k":"AAAA"})", "not json", "[]",
        R"({"kty":"RSA","n":"AQAB"})", R"({"kty":"EC","crv":"P-999","x":"AA","y":"AA"})",
        R"({"kty":"OKP","crv":"Ed25519"})"}) {
    expect_refused([&] { return Key::jwk(bad); }, std::string(bad));
  }
}

TEST(JwtKeys, CopiesShareTheKeyAcrossThreads) {
  const Key original = Key::pem(ed25519_public);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([copy = original, &ok] {
      jwt::DecodeOptions o;
      o.algorithms = {Algorithm::EdDSA};
      for (int i = 0; i < 50; ++i) {
        try {
          if (jwt::decode(ed25519_token, copy, o) == username_payload) ++ok;
        } catch (...) {
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
}

// ---- key sets -------------------------------------------------------------------------------

constexpr std::string_view two_secrets = R"({"keys":[
  {"kty":"oct","kid":"k1","k":"b3RoZXItc2VjcmV0"},
  {"kty":"oct","kid":"k2","k":"eW91ci1zZWNyZXQta2V5"}]})";  // "other-secret", "your-secret-key"

TEST(JwtKeySet, PicksTheKeyByKid) {
  const jwt::KeySet set = jwt::KeySet::parse(two_secrets);
  ASSERT_EQ(set.keys().size(), 2u);
  ASSERT_NE(set.find("k2"), nullptr);
  EXPECT_EQ(set.find("k2")->kid(), "k2");
  EXPECT_EQ(set.find("k3"), nullptr);
  const std::string token =
      jwt::encode(username_payload, secret(), Algorithm::HS256, Json{{"kid", "k2"}});
  EXPECT_EQ(token, kid_k2_token);
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::HS256};
  EXPECT_EQ(jwt::decode(token, set, o), username_payload);
  // The same token claiming k1 (the other secret) fails: the kid picks, the signature decides.
  const std::string as_k1 =
      jwt::encode(username_payload, secret(), Algorithm::HS256, Json{{"kid", "k1"}});
  expect_invalid([&] { return jwt::decode(as_k1, set, o); }, "signed with k2's secret, kid k1");
}

TEST(JwtKeySet, UnknownOrMissingKidIsRejected) {
  const jwt::KeySet set = jwt::KeySet::parse(two_secrets);
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::HS256};
  expect_invalid(
      [&] {
        return jwt::decode(
            jwt::encode(username_payload, secret(), Algorithm::HS256, Json{{"kid", "k3"}}), set, o);
      },
      "kid k3");
  expect_invalid([&] { return jwt::decode(sign(username_payload), set, o); },
                 "no kid with two keys");
}

TEST(JwtKeySet, ASingleKeyServesTokensWithoutKid) {
  jwt::KeySet set;
  set.add(Key::secret(secret_text));
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::HS256};
  EXPECT_EQ(jwt::decode(sign(username_payload), set, o), username_payload);
}

TEST(JwtKeySet, SkipsEncryptionAndUnsupportedKeys) {
  const jwt::KeySet set = jwt::KeySet::parse(R"({"keys":[
    {"kty":"oct","kid":"enc","use":"enc","k":"eW91ci1zZWNyZXQta2V5"},
    {"kty":"XYZ","kid":"odd"},
    {"kty":"oct","kid":"sig","use":"sig","k":"eW91ci1zZWNyZXQta2V5"}]})");
  ASSERT_EQ(set.keys().size(), 1u);
  EXPECT_EQ(set.find("enc"), nullptr);
  EXPECT_EQ(set.find("odd"), nullptr);
  EXPECT_NE(set.find("sig"), nullptr);
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::HS256};
  expect_invalid(
      [&] {
        return jwt::decode(
            jwt::encode(username_payload, secret(), Algorithm::HS256, Json{{"kid", "enc"}}), set,
            o);
      },
      "kid of an encryption key");
}

TEST(JwtKeySet, NoUsableKeyIsInvalidArgument) {
  expect_invalid_argument([] { return jwt::KeySet::parse(R"({"keys":[]})"); }, "empty keys");
  expect_invalid_argument(
      [] { return jwt::KeySet::parse(R"({"keys":[{"kty":"oct","use":"enc","k":"AAAA"}]})"); },
      "only an encryption key");
  expect_invalid_argument([] { return jwt::KeySet::parse("{}"); }, "no keys member");
  expect_invalid_argument([] { return jwt::KeySet::parse("not json"); }, "not JSON");
}

TEST(JwtKeySet, MixedKeyTypesStillMatchTheAlgorithm) {
  jwt::KeySet set;
  set.add(Key::jwk(nlohmann::json{{"kty", "oct"}, {"kid", "hmac"}, {"k", b64url(secret_text)}}));
  nlohmann::json rsa_jwk = Key::pem(rsa_public_spki).to_jwk();
  rsa_jwk["kid"] = "rsa";
  set.add(Key::jwk(rsa_jwk));
  jwt::DecodeOptions o;
  o.algorithms = {Algorithm::HS256, Algorithm::RS256};
  const Key rsa_priv = Key::pem(rsa_private_pkcs1);
  EXPECT_EQ(
      jwt::decode(jwt::encode(username_payload, rsa_priv, Algorithm::RS256, Json{{"kid", "rsa"}}),
                  set, o),
      username_payload);
  // An RS256 token pointing at the HMAC key, and the forgery pointing at the RSA key.
  expect_invalid(
      [&] {
        return jwt::decode(
            jwt::encode(username_payload, rsa_priv, Algorithm::RS256, Json{{"kid", "hmac"}}), set,
            o);
      },
      "RS256 token with the kid of an oct key");
  const auto f = segments(std::string(forged_hs256));
  const std::string header = b64url(R"({"alg":"HS256","kid":"rsa","typ":"JWT"})");
  expect_invalid([&] { return jwt::decode(header + "." + f[1] + "." + f[2], set, o); },
                 "HS256 token with the kid of an RSA key");
}

}  // namespace
}  // namespace wirekit::crypto
