#include <cerrno>
#include <string>

#include <wirekit/core/error.hpp>

namespace wirekit {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "wirekit"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::cancelled:
        return "cancelled";
      case errc::timed_out:
        return "timed out";
      case errc::invalid_argument:
        return "invalid argument";
      case errc::resolve_failed:
        return "name not resolved";
      case errc::protocol_error:
        return "protocol error";
      case errc::limit_exceeded:
        return "limit exceeded";
      case errc::closed:
        return "closed";
      case errc::unexpected_eof:
        return "connection closed early";
      case errc::invalid_token:
        return "invalid token";
      case errc::token_expired:
        return "token expired";
      case errc::tls_failed:
        return "TLS failed";
      case errc::certificate_rejected:
        return "certificate rejected";
      case errc::misuse:
        return "misuse of the API";
    }
    return "unknown error";
  }
  // Lets callers compare with the portable conditions: `code == std::errc::timed_out`.
  std::error_condition default_error_condition(int value) const noexcept override {
    switch (static_cast<errc>(value)) {
      case errc::cancelled:
        return std::errc::operation_canceled;
      case errc::timed_out:
        return std::errc::timed_out;
      case errc::invalid_argument:
        return std::errc::invalid_argument;
      default:
        return {value, *this};
    }
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Category instance;
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

Error::Error(std::error_code code, const std::string& message)
    : std::system_error(code, message),
      message_(code.category() == category() ? message : message + ": " + code.message()) {}

void throw_errno(std::string_view context, int err) {
  throw Error(std::error_code(err, std::system_category()), std::string(context));
}

void throw_errno(std::string_view context) {
  throw_errno(context, errno);
}

}  // namespace wirekit
