// HTTP dates (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace wirekit::http {

std::string format_http_date(std::time_t t);
// IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must accept.
std::optional<std::time_t> try_parse_http_date(std::string_view text) noexcept;
// The current time, formatted, cached per thread and second (one Date header per response).
std::string_view current_http_date() noexcept;

}  // namespace wirekit::http
