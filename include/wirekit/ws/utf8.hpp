// UTF-8 validation (RFC 3629) for WebSocket text messages and close reasons (RFC 6455 §8.1).
#pragma once

#include <cstdint>
#include <string_view>

namespace wirekit::ws {

// Validates UTF-8 fed in pieces of any size, split anywhere, even inside a code point, so a
// text message can be checked frame by frame as it arrives. It rejects overlong forms, the
// surrogates U+D800–U+DFFF, code points above U+10FFFF and the old 5- and 6-byte forms;
// noncharacters such as U+FFFE are valid. It fails fast: feed() returns false at the first
// byte that no continuation could make valid (F4 90 fails at the 90, E0 80 at the 80), which is
// what lets a server fail a message before its end (Autobahn 6.4.x).
class Utf8Validator {
 public:
  // False once the bytes fed so far cannot begin valid UTF-8; it stays false until reset().
  bool feed(std::string_view bytes) noexcept;
  // True when the bytes so far are valid and end on a code point boundary.
  bool complete() const noexcept { return state_ == 0; }
  void reset() noexcept { state_ = 0; }

 private:
  std::uint8_t state_ = 0;
};

bool is_valid_utf8(std::string_view bytes) noexcept;

}  // namespace wirekit::ws
