// Fernet and JWT operations per second on one thread, printed as the peer harness
// (../shared/peers/misc/bench_tokens.py) prints cryptography's and PyJWT's:
//   tokens peer=wirekit op=fernet_encrypt size=64 ops_s=...
// Usage: token_bench [seconds_per_case]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <wirekit/crypto.hpp>

namespace {

using namespace wirekit::crypto;
using Clock = std::chrono::steady_clock;

double seconds_per_case = 2.0;

// Calls `op` in batches of 100 until the time is up; operations per second.
template <class Op>
double rate(Op&& op) {
  std::size_t n = 0;
  const auto start = Clock::now();
  std::chrono::duration<double> elapsed{};
  do {
    for (int i = 0; i < 100; ++i) op();
    n += 100;
    elapsed = Clock::now() - start;
  } while (elapsed.count() < seconds_per_case);
  return static_cast<double>(n) / elapsed.count();
}

// A fresh private key in PEM, made by OpenSSL (RSA 2048 or P-256, as the peer's).
std::string private_pem(bool rsa) {
  EVP_PKEY* pkey = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return pem;
}

void print(const char* op, const std::string& what, double ops) {
  std::printf("tokens peer=wirekit op=%s %s ops_s=%.0f\n", op, what.c_str(), ops);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) seconds_per_case = std::atof(argv[1]);
  const Fernet fernet(Fernet::generate_key());
  for (std::size_t size : {64u, 16384u}) {
    const std::string message(size, 'x');
    const std::string token = fernet.encrypt(message);
    const std::string label = "size=" + std::to_string(size);
    print("fernet_encrypt", label, rate([&] { (void)fernet.encrypt(message); }));
    print("fernet_decrypt", label, rate([&] { (void)fernet.decrypt(token); }));
  }
  const jwt::Json payload{{"username", "user123"}, {"exp", jwt::from_now(std::chrono::hours(1))}};
  const struct {
    jwt::Algorithm alg;
    jwt::Key key;
  } cases[] = {{jwt::Algorithm::HS256, jwt::Key::secret("your-secret-key")},
               {jwt::Algorithm::RS256, jwt::Key::pem(private_pem(true))},
               {jwt::Algorithm::ES256, jwt::Key::pem(private_pem(false))}};
  for (const auto& c : cases) {
    const std::string token = jwt::encode(payload, c.key, c.alg);
    const jwt::DecodeOptions options{.algorithms = {c.alg}};
    const std::string label = "alg=" + std::string(jwt::name(c.alg));
    print("jwt_encode", label, rate([&] { (void)jwt::encode(payload, c.key, c.alg); }));
    print("jwt_decode", label, rate([&] { (void)jwt::decode(token, c.key, options); }));
  }
}
