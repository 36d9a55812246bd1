// Fernet against the contract of include/wirekit/crypto/fernet.hpp and the tokens Python's
// cryptography makes (tests/vectors/fernet_vectors.json, from make_vectors.py there).
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <wirekit/crypto/fernet.hpp>

#include "crypto/base64_reference.hpp"

namespace wirekit::crypto {
namespace {

using namespace std::chrono_literals;

// ---- helpers --------------------------------------------------------------------------------

using test::b64_alphabet;
using test::b64url_decode;
std::string b64url_encode(std::string_view bytes) {
  return test::b64url_encode(bytes, true);
}

std::array<std::uint8_t, 16> iv_from_hex(std::string_view hex) {
  std::array<std::uint8_t, 16> iv{};
  for (std::size_t i = 0; i < 16; ++i) {
    iv[i] = static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  }
  return iv;
}

std::filesystem::path vectors_dir() {
  // Set by tests/unit/CMakeLists.txt: __FILE__ is relative when ccache rewrites paths
  // (base_dir), and the tests do not run where the compiler did.
  return WIREKIT_TEST_VECTORS_DIR;
}

std::optional<nlohmann::json> load_vectors() {
  std::ifstream in(vectors_dir() / "fernet_vectors.json");
  if (!in) return std::nullopt;
  return nlohmann::json::parse(in);
}

#define LOAD_VECTORS_OR_FAIL(var)                                                           \
  const std::optional<nlohmann::json> var = load_vectors();                                 \
  if (!var) {                                                                               \
    GTEST_FAIL() << "no Fernet test vectors at " << (vectors_dir() / "fernet_vectors.json") \
                 << " (made by tests/vectors/make_vectors.py)";                             \
  }

// A fixed key (32 bytes 0x00..0x1f) and a second, different one.
const std::string key_a =
    b64url_encode(std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                              "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
                              32));
const std::string key_b = b64url_encode(std::string(32, '\x5a'));

constexpr std::int64_t t0 = 1'700'000'000;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Expects `f()` to throw InvalidToken with errc::invalid_token.
template <class F>
void expect_invalid_token(F f, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": no exception";
  } catch (const InvalidToken& e) {
    EXPECT_EQ(e.code(), errc::invalid_token) << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw something other than InvalidToken: " << e.what();
  }
}

// Expects `f()` to return `expected`, naming the case if it throws.
template <class F>
void expect_plaintext(F f, const std::string& expected, const std::string& what) {
  try {
    EXPECT_EQ(f(), expected) << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw " << e.what();
  }
}

// Expects `f()` to throw Error(errc::invalid_argument) whose message does not contain `secret`.
template <class F>
void expect_bad_key(F f, const std::string& secret, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << what << ": " << e.what();
    if (!secret.empty()) {
      EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos)
          << what << ": the message repeats the key: " << e.what();
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw something other than wirekit::Error: " << e.what();
  }
}

// ---- the vectors of Python's cryptography ---------------------------------------------------

TEST(FernetVectors, EncryptFromPartsIsByteIdenticalToCryptography) {
  LOAD_VECTORS_OR_FAIL(vectors);
  ASSERT_FALSE((*vectors)["valid"].empty());
  for (const auto& v : (*vectors)["valid"]) {
    const Fernet f(v["key"].get<std::string>());
    const std::string plaintext = b64url_decode(v["plaintext_b64"].get<std::string>());
    const auto iv = iv_from_hex(v["iv_hex"].get<std::string>());
    const std::int64_t now = v["now"].get<std::int64_t>();
    EXPECT_EQ(f.encrypt_from_parts(plaintext, now, std::span<const std::uint8_t, 16>(iv)),
              v["token"].get<std::string>())
        << "vector with now=" << now << ", " << plaintext.size() << " bytes";
  }
}

TEST(FernetVectors, EveryValidVectorDecrypts) {
  LOAD_VECTORS_OR_FAIL(vectors);
  for (const auto& v : (*vectors)["valid"]) {
    const Fernet f(v["key"].get<std::string>());
    const std::string plaintext = b64url_decode(v["plaintext_b64"].get<std::string>());
    const std::string token = v["token"].get<std::string>();
    const std::int64_t now = v["now"].get<std::int64_t>();
    const std::string where = "vector with now=" + std::to_string(now);
    expect_plaintext([&] { return f.decrypt_at_time(token, 60s, now + 30); }, plaintext,
                     where + ", decrypt_at_time(60 s, now + 30)");
    // Without a TTL the time is not checked at all (one vector is stamped 2027).
    expect_plaintext([&] { return f.decrypt(token); }, plaintext, where + ", decrypt (no TTL)");
    EXPECT_EQ(f.extract_timestamp(token), now) << where;
  }
}

TEST(FernetVectors, EveryInvalidVectorIsInvalidToken) {
  LOAD_VECTORS_OR_FAIL(vectors);
  ASSERT_FALSE((*vectors)["invalid"].empty());
  for (const auto& v : (*vectors)["invalid"]) {
    const Fernet f(v["key"].get<std::string>());
    const std::string token = v["token"].get<std::string>();
    const std::string why = v["why"].get<std::string>();
    if (v.contains("now")) {
      const std::chrono::seconds ttl{v["ttl"].get<std::int64_t>()};
      const std::int64_t now = v["now"].get<std::int64_t>();
      expect_invalid_token([&] { (void)f.decrypt_at_time(token, ttl, now); }, why);
    } else {
      expect_invalid_token([&] { (void)f.decrypt(token); }, why);
    }
  }
}

// ---- keys -----------------------------------------------------------------------------------

TEST(FernetKey, GenerateKeyIs44CharactersOf32RandomBytes) {
  const std::string k1 = Fernet::generate_key();
  const std::string k2 = Fernet::generate_key();
  ASSERT_EQ(k1.size(), 44u) << k1;
  EXPECT_EQ(k1.back(), '=');
  for (const char c : k1.substr(0, 43)) {
    EXPECT_NE(b64_alphabet.find(c), std::string_view::npos) << "not url-safe base64: " << k1;
  }
  EXPECT_EQ(b64url_decode(k1).size(), 32u);
  EXPECT_NE(k1, k2);
  // A generated key works.
  const Fernet f(k1);
  EXPECT_EQ(f.decrypt(f.encrypt("works")), "works");
}

TEST(FernetKey, BadKeysAreInvalidArgumentAndNotRepeated) {
  const std::string short_key = b64url_encode(std::string(31, '\x11'));  // 31 bytes
  const std::string long_key = b64url_encode(std::string(33, '\x22'));   // 33 bytes
  const std::string not_base64 = "!!!!not*base64*at*all!!!!!!!!!!!!!!!!!!!!!!=";
  ASSERT_EQ(not_base64.size(), 44u);
  const std::string sixteen = b64url_encode(std::string(16, '\x33'));
  expect_bad_key([&] { Fernet f(short_key); }, short_key, "31-byte key");
  expect_bad_key([&] { Fernet f(long_key); }, long_key, "33-byte key");
  expect_bad_key([&] { Fernet f(sixteen); }, sixteen, "16-byte key");
  expect_bad_key([&] { Fernet f(not_base64); }, not_base64, "key that is not base64");
  expect_bad_key([&] { Fernet f(""); }, "", "empty key");
}

// ---- round trips ----------------------------------------------------------------------------

TEST(Fernet, RoundTripsAnyData) {
  const Fernet f(key_a);
  std::string binary;
  for (int i = 0; i < 512; ++i) binary += static_cast<char>(i % 256);
  binary += std::string(5, '\0');
  std::string mib(std::size_t{1} << 20, '\0');
  for (std::size_t i = 0; i < mib.size(); ++i) mib[i] = static_cast<char>((i * 131) % 251);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"1 byte", "x"},
      {"16 bytes (one full block)", "0123456789abcdef"},
      {"binary with NULs", binary},
      {"1 MiB", mib},
  };
  for (const auto& [what, data] : cases) {
    const std::string token = f.encrypt(data);
    EXPECT_EQ(f.decrypt(token), data) << what;
    EXPECT_EQ(f.decrypt(token, 60s), data) << what << " (with TTL)";
    // The token is url-safe base64 of version ‖ time ‖ IV ‖ ciphertext (whole blocks) ‖ HMAC.
    const std::string raw = b64url_decode(token);
    EXPECT_EQ(static_cast<std::uint8_t>(raw[0]), 0x80) << what;
    EXPECT_EQ(raw.size(), 1 + 8 + 16 + (data.size() / 16 + 1) * 16 + 32) << what;
  }
}

TEST(Fernet, EncryptIsRandomizedButBothTokensDecrypt) {
  const Fernet f(key_a);
  const std::string a = f.encrypt("same text");
  const std::string b = f.encrypt("same text");
  EXPECT_NE(a, b);  // a fresh IV each time
  EXPECT_EQ(f.decrypt(a), "same text");
  EXPECT_EQ(f.decrypt(b), "same text");
}

TEST(Fernet, EncryptAtTimeStampsTheGivenTime) {
  const Fernet f(key_a);
  const std::string token = f.encrypt_at_time("stamped", t0);
  EXPECT_EQ(f.extract_timestamp(token), t0);
  EXPECT_EQ(f.decrypt_at_time(token, 10s, t0 + 5), "stamped");
}

TEST(Fernet, EncryptStampsTheCurrentTime) {
  const Fernet f(key_a);
  const std::int64_t before = unix_now();
  const std::int64_t ts = f.extract_timestamp(f.encrypt("now"));
  const std::int64_t after = unix_now();
  EXPECT_GE(ts, before);
  EXPECT_LE(ts, after);
}

// ---- tampering ------------------------------------------------------------------------------

TEST(Fernet, EveryFlippedByteIsInvalidToken) {
  const Fernet f(key_a);
  const std::string token = f.encrypt_at_time("Hello, secure world!", t0);
  const std::string raw = b64url_decode(token);
  ASSERT_EQ(b64url_encode(raw), token);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    for (const int mask : {0x01, 0x80}) {
      std::string bad = raw;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      const std::string tampered = b64url_encode(bad);
      expect_invalid_token([&] { (void)f.decrypt(tampered); },
                           "byte " + std::to_string(i) + " ^ " + std::to_string(mask));
      expect_invalid_token([&] { (void)f.extract_timestamp(tampered); },
                           "extract_timestamp, byte " + std::to_string(i));
    }
  }
}

TEST(Fernet, EveryTruncationIsInvalidToken) {
  const Fernet f(key_a);
  const std::string token = f.encrypt_at_time("Hello, secure world!", t0);
  const std::string raw = b64url_decode(token);
  for (std::size_t n = 0; n < raw.size(); ++n) {
    const std::string cut = b64url_encode(raw.substr(0, n));
    expect_invalid_token([&] { (void)f.decrypt(cut); },
                         "raw token cut to " + std::to_string(n) + " bytes");
  }
  // Every cut of the text that loses data (cutting only the '=' padding is the next test).
  const std::size_t data_chars = token.find_last_not_of('=') + 1;
  ASSERT_LT(data_chars, token.size()) << "the test token should end in padding";
  for (std::size_t n = 0; n < data_chars; ++n) {
    const std::string cut = token.substr(0, n);
    expect_invalid_token([&] { (void)f.decrypt(cut); },
                         "token text cut to " + std::to_string(n) + " characters");
  }
}

TEST(Fernet, TokenWithoutItsPaddingIsInvalidLikeCryptography) {
  // cryptography: base64.urlsafe_b64decode(token) raises "Incorrect padding" → InvalidToken.
  const Fernet f(key_a);
  const std::string token = f.encrypt_at_time("Hello, secure world!", t0);  // 120 chars, "="
  ASSERT_EQ(token.back(), '=');
  const std::string unpadded = token.substr(0, token.find_last_not_of('=') + 1);
  expect_invalid_token([&] { (void)f.decrypt(unpadded); }, "token without its '=' padding");
}

TEST(Fernet, ExtraBytesAreInvalidToken) {
  const Fernet f(key_a);
  const std::string raw = b64url_decode(f.encrypt_at_time("data", t0));
  expect_invalid_token([&] { (void)f.decrypt(b64url_encode(raw + std::string(1, '\0'))); },
                       "a byte appended");
  expect_invalid_token([&] { (void)f.decrypt(b64url_encode(raw + std::string(16, 'x'))); },
                       "a block appended");
}

TEST(Fernet, GarbageIsInvalidToken) {
  const Fernet f(key_a);
  const std::vector<std::string> garbage = {"",
                                            "not a token",
                                            "gAAAAA",
                                            "!!!!",
                                            "====",
                                            std::string(200, 'A'),
                                            std::string("gAAAA\0AAAA", 10)};
  for (const std::string& bad : garbage) {
    expect_invalid_token([&] { (void)f.decrypt(bad); }, "garbage '" + bad + "'");
  }
}

TEST(Fernet, WrongKeyIsInvalidToken) {
  const Fernet a(key_a);
  const Fernet b(key_b);
  const std::string token = a.encrypt("for a only");
  expect_invalid_token([&] { (void)b.decrypt(token); }, "decrypt with another key");
  expect_invalid_token([&] { (void)b.extract_timestamp(token); },
                       "extract_timestamp with another key");
}

TEST(Fernet, InvalidTokenIsAWirekitError) {
  const Fernet f(key_a);
  try {
    (void)f.decrypt("garbage");
    FAIL() << "no exception";
  } catch (const Error& e) {  // catchable as the one wirekit error type
    EXPECT_EQ(e.code(), errc::invalid_token);
  }
}

// ---- time -----------------------------------------------------------------------------------

TEST(FernetTtl, AcceptedAtExactlyIssuePlusTtlRefusedOneSecondLater) {
  const Fernet f(key_a);
  const std::string token = f.encrypt_at_time("ttl", t0);
  EXPECT_EQ(f.decrypt_at_time(token, 60s, t0), "ttl");
  EXPECT_EQ(f.decrypt_at_time(token, 60s, t0 + 60), "ttl");
  expect_invalid_token([&] { (void)f.decrypt_at_time(token, 60s, t0 + 61); }, "issue + ttl + 1");
  expect_invalid_token([&] { (void)f.decrypt_at_time(token, 60s, t0 + 86400); }, "a day later");
  EXPECT_EQ(f.decrypt_at_time(token, 3600s, t0 + 61), "ttl");  // a longer TTL allows it
}

TEST(FernetTtl, FutureTokensWithinTheClockSkewAreAccepted) {
  static_assert(Fernet::max_clock_skew == std::chrono::seconds{60});
  const Fernet f(key_a);
  const std::string token = f.encrypt_at_time("future", t0);
  EXPECT_EQ(f.decrypt_at_time(token, 60s, t0 - 60), "future");
  expect_invalid_token([&] { (void)f.decrypt_at_time(token, 60s, t0 - 61); }, "61 s in the future");
  expect_invalid_token([&] { (void)f.decrypt_at_time(token, 3600s, t0 - 3600); },
                       "an hour in the future");
}

TEST(FernetTtl, DecryptWithoutTtlAcceptsOldTokens) {
  const Fernet f(key_a);
  EXPECT_EQ(f.decrypt(f.encrypt_at_time("old", 1000)), "old");
}

TEST(FernetTtl, DecryptWithTtlUsesTheClock) {
  const Fernet f(key_a);
  const std::int64_t now = unix_now();
  EXPECT_EQ(f.decrypt(f.encrypt_at_time("recent", now - 10), 60s), "recent");
  expect_invalid_token([&] { (void)f.decrypt(f.encrypt_at_time("stale", now - 3600), 60s); },
                       "an hour-old token with a 60 s TTL");
}

TEST(FernetTtl, FutureTokensAreAcceptedWithoutTtlLikeCryptography) {
  // cryptography checks the clock skew only together with a TTL (Fernet._decrypt_data).
  const Fernet f(key_a);
  const std::int64_t now = unix_now();
  EXPECT_EQ(f.decrypt(f.encrypt_at_time("later", now + 3600)), "later");
  expect_invalid_token(
      [&] { (void)f.decrypt(f.encrypt_at_time("later", now + 3600), std::chrono::hours(2)); },
      "a token stamped an hour ahead, with a TTL");
  EXPECT_EQ(f.decrypt(f.encrypt_at_time("soon", now + 30), std::chrono::seconds(60)), "soon");
}

TEST(FernetTtl, ExtractTimestampIgnoresTheTtl) {
  const Fernet f(key_a);
  EXPECT_EQ(f.extract_timestamp(f.encrypt_at_time("x", 12345)), 12345);
  EXPECT_EQ(f.extract_timestamp(f.encrypt_at_time("x", 0)), 0);
  EXPECT_EQ(f.extract_timestamp(f.encrypt_at_time("x", 4102444800)), 4102444800);
}

// ---- copies ---------------------------------------------------------------------------------

TEST(Fernet, CopiesAndMovesKeepTheKey) {
  std::optional<Fernet> original(std::in_place, key_a);
  const std::string token = original->encrypt("shared");
  Fernet copy(*original);
  Fernet assigned(key_b);
  assigned = *original;
  Fernet moved_from(key_a);
  Fernet moved(std::move(moved_from));
  Fernet move_assigned(key_b);
  move_assigned = Fernet(key_a);
  original.reset();  // the copies outlive the original
  EXPECT_EQ(copy.decrypt(token), "shared");
  EXPECT_EQ(assigned.decrypt(token), "shared");
  EXPECT_EQ(moved.decrypt(token), "shared");
  EXPECT_EQ(move_assigned.decrypt(token), "shared");
  EXPECT_EQ(Fernet(key_a).decrypt(copy.encrypt("back")), "back");
}

// ---- MultiFernet ----------------------------------------------------------------------------

TEST(MultiFernet, DecryptsWithAnyKeyEncryptsWithTheFirst) {
  const Fernet a(key_a);
  const Fernet b(key_b);
  const MultiFernet mf({Fernet(key_a), Fernet(key_b)});
  EXPECT_EQ(mf.decrypt(a.encrypt("from a")), "from a");
  EXPECT_EQ(mf.decrypt(b.encrypt("from b")), "from b");
  const std::string token = mf.encrypt("new");
  EXPECT_EQ(a.decrypt(token), "new");
  expect_invalid_token([&] { (void)b.decrypt(token); }, "MultiFernet token opened by key 2");
  const std::string stamped = mf.encrypt_at_time("stamped", t0);
  EXPECT_EQ(a.extract_timestamp(stamped), t0);
  EXPECT_EQ(mf.extract_timestamp(b.encrypt_at_time("b", t0 + 1)), t0 + 1);
}

TEST(MultiFernet, RefusesTokensNoKeyOpens) {
  const MultiFernet mf({Fernet(key_a)});
  const Fernet other(b64url_encode(std::string(32, '\x77')));
  const std::string token = other.encrypt("foreign");
  expect_invalid_token([&] { (void)mf.decrypt(token); }, "decrypt");
  expect_invalid_token([&] { (void)mf.extract_timestamp(token); }, "extract_timestamp");
  expect_invalid_token([&] { (void)mf.rotate(token); }, "rotate");
  expect_invalid_token([&] { (void)mf.decrypt("garbage"); }, "garbage");
}

TEST(MultiFernet, TtlAppliesThroughEveryKey) {
  const MultiFernet mf({Fernet(key_a), Fernet(key_b)});
  const std::string token = Fernet(key_b).encrypt_at_time("aging", t0);
  EXPECT_EQ(mf.decrypt_at_time(token, 60s, t0 + 60), "aging");
  expect_invalid_token([&] { (void)mf.decrypt_at_time(token, 60s, t0 + 61); }, "expired");
  expect_invalid_token([&] { (void)mf.decrypt_at_time(token, 60s, t0 - 61); }, "future");
}

TEST(MultiFernet, RotateKeepsTheTimestampAndOpensWithTheFirstKey) {
  const Fernet old_key(key_b);
  const std::string token = old_key.encrypt_at_time("rotate me", t0);
  const MultiFernet mf({Fernet(key_a), Fernet(key_b)});
  const std::string rotated = mf.rotate(token);
  EXPECT_NE(rotated, token);
  const Fernet new_key(key_a);
  EXPECT_EQ(new_key.decrypt(rotated), "rotate me");
  EXPECT_EQ(new_key.extract_timestamp(rotated), old_key.extract_timestamp(token));
  EXPECT_EQ(new_key.extract_timestamp(rotated), t0);
  expect_invalid_token([&] { (void)old_key.decrypt(rotated); }, "rotated token under old key");
  // The TTL still counts from the original issue.
  expect_invalid_token([&] { (void)new_key.decrypt_at_time(rotated, 60s, t0 + 61); },
                       "rotated token past the original TTL");
}

TEST(MultiFernet, EmptyListIsInvalidArgument) {
  try {
    MultiFernet mf{std::vector<Fernet>{}};
    FAIL() << "an empty MultiFernet was constructed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
  }
}

}  // namespace
}  // namespace wirekit::crypto
