// ASCII text helpers for protocol tokens: case-insensitive comparison, lower-casing, trimming
// of optional whitespace and comma-separated lists. Protocol names ("Content-Length", "gzip",
// "Basic") are ASCII and compared without regard to case; the locale must not change that (a
// Turkish locale lower-cases 'I' to a dotless i), so nothing here uses <cctype>.
//
//   ascii::iequals("Content-Length", "content-length")   // true
//   ascii::trim_ows("  keep-alive\t")                    // "keep-alive"
//   ascii::list_contains("keep-alive, Upgrade", "upgrade")  // true
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wirekit::ascii {

constexpr char to_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// A copy of `s` with A-Z lower-cased; every other byte (UTF-8 too) as it was.
inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// True when `text` holds `word` anywhere, ignoring case.
constexpr bool icontains(std::string_view text, std::string_view word) noexcept {
  if (word.size() > text.size()) return false;
  for (std::size_t at = 0; at + word.size() <= text.size(); ++at) {
    if (iequals(text.substr(at, word.size()), word)) return true;
  }
  return false;
}

// OWS, "optional whitespace" (RFC 9110 §5.6.3): space and horizontal tab.
constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

// `s` without the spaces and tabs around it.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Splits `s` at the first `separator`: returns what precedes it and leaves what follows in `s`
// (empty when there was no separator). Untrimmed, so callers can tell "a; b" from "a;b".
constexpr std::string_view next_item(std::string_view& s, char separator) noexcept {
  const std::size_t at = s.find(separator);
  const std::string_view item = s.substr(0, at);
  s = at == std::string_view::npos ? std::string_view{} : s.substr(at + 1);
  return item;
}

// Calls fn with each element of the comma-separated `list`, trimmed, skipping empty ones: the
// list rule of RFC 9110 §5.6.1, where "a, , b" and ",a" are two elements and one.
template <class Fn>
constexpr void for_each_list_item(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    const std::string_view item = trim_ows(next_item(list, ','));
    if (!item.empty()) fn(item);
  }
}

// True when the comma-separated list `value` holds `token`, ignoring case, as in
// "Connection: keep-alive, Upgrade".
constexpr bool list_contains(std::string_view value, std::string_view token) noexcept {
  bool found = false;
  for_each_list_item(value, [&](std::string_view item) { found = found || iequals(item, token); });
  return found;
}

}  // namespace wirekit::ascii
