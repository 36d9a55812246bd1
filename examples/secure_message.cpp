// Tutorial §12.1: a message encrypted and decrypted with Fernet. The key and tokens are the
// ones Python's cryptography.fernet makes and reads (docs/tokens.md).
#include <cstdio>
#include <string>
#include <string_view>

#include <wirekit/crypto.hpp>

using wirekit::crypto::Fernet;

std::string generate_key() {
  return Fernet::generate_key();
}

std::string encrypt_message(std::string_view message, std::string_view key) {
  return Fernet(key).encrypt(message);
}

std::string decrypt_message(std::string_view encrypted_message, std::string_view key) {
  return Fernet(key).decrypt(encrypted_message);
}

int main() {
  const std::string key = generate_key();
  const std::string message = "Hello, secure world!";
  const std::string encrypted = encrypt_message(message, key);
  const std::string decrypted = decrypt_message(encrypted, key);

  std::printf("Original: %s\n", message.c_str());
  std::printf("Encrypted: %s\n", encrypted.c_str());
  std::printf("Decrypted: %s\n", decrypted.c_str());
}
