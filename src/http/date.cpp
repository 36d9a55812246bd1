#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <wirekit/http/date.hpp>

namespace wirekit::http {

namespace {

constexpr std::array<const char*, 7> day_names{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> month_names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int month_index(std::string_view m) noexcept {
  for (std::size_t i = 0; i < month_names.size(); ++i) {
    if (m == month_names[i]) return static_cast<int>(i);
  }
  return -1;
}

bool number(std::string_view s, int& out) noexcept {
  if (s.empty() || s.front() < '0' || s.front() > '9') return false;  // no sign
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

// "08:49:37"
bool clock_time(std::string_view s, std::tm& tm) noexcept {
  return s.size() == 8 && s[2] == ':' && s[5] == ':' && number(s.substr(0, 2), tm.tm_hour) &&
         number(s.substr(3, 2), tm.tm_min) && number(s.substr(6, 2), tm.tm_sec) &&
         tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec <= 60;
}

std::optional<std::time_t> to_time(std::tm& tm) noexcept {
  if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_year < 70) return std::nullopt;
  return ::timegm(&tm);
}

}  // namespace

std::string format_http_date(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                day_names[static_cast<std::size_t>(tm.tm_wday)], tm.tm_mday,
                month_names[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<std::time_t> try_parse_http_date(std::string_view s) noexcept {
  std::tm tm{};
  int year = 0;
  if (s.size() == 29 && s[3] == ',' && s.substr(25) == " GMT") {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        !number(s.substr(5, 2), tm.tm_mday) || (tm.tm_mon = month_index(s.substr(8, 3))) < 0 ||
        !number(s.substr(12, 4), year) || !clock_time(s.substr(17, 8), tm)) {
      return std::nullopt;
    }
  } else if (const std::size_t comma = s.find(", ");
             comma != std::string_view::npos && s.ends_with(" GMT") && s.size() == comma + 24) {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    const std::string_view d = s.substr(comma + 2);
    if (d[2] != '-' || d[6] != '-' || d[9] != ' ' || !number(d.substr(0, 2), tm.tm_mday) ||
        (tm.tm_mon = month_index(d.substr(3, 3))) < 0 || !number(d.substr(7, 2), year) ||
        !clock_time(d.substr(10, 8), tm)) {
      return std::nullopt;
    }
    year += year < 70 ? 2000 : 1900;
  } else if (s.size() == 24 && s[3] == ' ') {
    // asctime: "Sun Nov  6 08:49:37 1994"
    std::string_view day = s.substr(8, 2);
    if (day.front() == ' ') day.remove_prefix(1);
    if ((tm.tm_mon = month_index(s.substr(4, 3))) < 0 || s[7] != ' ' || s[10] != ' ' ||
        !number(day, tm.tm_mday) || !clock_time(s.substr(11, 8), tm) || s[19] != ' ' ||
        !number(s.substr(20, 4), year)) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  return to_time(tm);
}

std::string_view current_http_date() noexcept {
  thread_local std::time_t cached_second = 0;
  thread_local char cached[32] = {};
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    const std::string s = format_http_date(now);
    std::memcpy(cached, s.data(), s.size());
    cached[s.size()] = '\0';
    cached_second = now;
  }
  return {cached, 29};
}

}  // namespace wirekit::http
