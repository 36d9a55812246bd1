// The one error model of wirekit (docs/errors.md).
//
// Every failing operation throws wirekit::Error, a std::system_error whose what() is one line
// naming the operation and the cause ("connect to 127.0.0.1:9: Connection refused"). The code
// is an OS errno (std::system_category) or a wirekit::errc (wirekit::category()), so callers
// branch on causes: `e.code() == wirekit::errc::timed_out`, `e.code() == std::errc::broken_pipe`.
//
// The message: for an OS error, the context followed by the system's text for the errno; for a
// wirekit::errc, the message as given, which names the cause itself
// ("read from 10.0.0.2:80: timed out after 30s", "invalid port 'x': must be ...").
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace wirekit {

// Causes that are not OS errors.
enum class errc {
  cancelled = 1,         // the task's stop_token was triggered while the operation was pending
  timed_out,             // a deadline passed (with_timeout, connect/read timeouts)
  invalid_argument,      // input the caller gave is malformed (address, port, duration, option)
  resolve_failed,        // DNS gave no address for a name
  protocol_error,        // the peer sent bytes that break the protocol
  limit_exceeded,        // a configured size or count limit was reached
  closed,                // the object was closed before or during the operation
  unexpected_eof,        // the peer closed while more bytes were required
  invalid_token,         // a Fernet token or JWT failed verification
  token_expired,         // a JWT's exp has passed (the signature itself was valid)
  tls_failed,            // a TLS handshake or record failed (version, cipher, alert, bad record)
  certificate_rejected,  // the peer's certificate failed verification (CA, name, dates)
  misuse,  // the program broke a contract of the API (a socket used from another loop's
           // thread, a blocking one-liner called on a loop thread): a bug to fix, not input
};

const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

class Error : public std::system_error {
 public:
  Error(std::error_code code, const std::string& message);
  Error(errc e, const std::string& message) : Error(make_error_code(e), message) {}
  const char* what() const noexcept override { return message_.c_str(); }

  // "context: <the cause's own text>", whatever the category.
  static Error because(std::error_code code, const std::string& context) {
    return code.category() == category() ? Error(code, context + ": " + code.message())
                                         : Error(code, context);
  }

 private:
  std::string message_;
};

// Throws Error with an errno value (errno itself when `err` is omitted).
[[noreturn]] void throw_errno(std::string_view context, int err);
[[noreturn]] void throw_errno(std::string_view context);

}  // namespace wirekit

template <>
struct std::is_error_code_enum<wirekit::errc> : std::true_type {};
