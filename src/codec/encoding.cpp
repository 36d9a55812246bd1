// Content-coding names and Accept-Encoding negotiation (RFC 9110 §8.4.1, §12.5.3).
#include <algorithm>
#include <array>
#include <cstddef>

#include <wirekit/codec.hpp>
#include <wirekit/core/ascii.hpp>

namespace wirekit::codec {

namespace {

using ascii::iequals;
using ascii::next_item;
using ascii::trim_ows;

constexpr std::size_t encoding_count = 5;

// A qvalue in thousandths: "0", "0.5", "0.125", "1", "1.000" (RFC 9110 §12.4.2); -1 when
// malformed.
int parse_qvalue(std::string_view s) noexcept {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return -1;
  int value = (s[0] - '0') * 1000;
  if (s.size() == 1) return value;
  if (s[1] != '.' || s.size() > 5) return -1;
  int scale = 100;
  for (const char c : s.substr(2)) {
    if (c < '0' || c > '9') return -1;
    value += (c - '0') * scale;
    scale /= 10;
  }
  return value > 1000 ? -1 : value;
}

// The weight of one Accept-Encoding element's parameters: 1000 without "q", -1 when its q is
// malformed. Parameters other than q are not defined for Accept-Encoding and are skipped.
int element_weight(std::string_view params) noexcept {
  int weight = 1000;
  while (!params.empty()) {
    std::string_view param = next_item(params, ';');
    std::string_view name = trim_ows(next_item(param, '='));
    if (iequals(name, "q")) weight = parse_qvalue(trim_ows(param));
  }
  return weight;
}

}  // namespace

std::optional<Encoding> try_parse_encoding(std::string_view token) noexcept {
  if (iequals(token, "gzip") || iequals(token, "x-gzip")) return Encoding::gzip;
  if (iequals(token, "deflate")) return Encoding::deflate;
  if (iequals(token, "br")) return Encoding::br;
  if (iequals(token, "zstd")) return Encoding::zstd;
  if (iequals(token, "identity")) return Encoding::identity;
  return std::nullopt;
}

const char* to_string(Encoding e) noexcept {
  switch (e) {
    case Encoding::identity:
      return "identity";
    case Encoding::gzip:
      return "gzip";
    case Encoding::deflate:
      return "deflate";
    case Encoding::br:
      return "br";
    case Encoding::zstd:
      return "zstd";
  }
  return "unknown";
}

Encoding negotiate(std::string_view accept_encoding, std::span<const Encoding> offered) noexcept {
  // Weights in thousandths; -1: the header does not name the coding.
  std::array<int, encoding_count> named{-1, -1, -1, -1, -1};
  int star = -1;
  while (!accept_encoding.empty()) {
    std::string_view element = next_item(accept_encoding, ',');
    const std::string_view coding = trim_ows(next_item(element, ';'));
    if (coding.empty()) continue;  // lists may hold empty elements (RFC 9110 §5.6.1)
    const int weight = element_weight(element);
    if (weight < 0) continue;
    if (coding == "*") {
      star = std::max(star, weight);
    } else if (const auto e = try_parse_encoding(coding)) {
      int& slot = named[static_cast<std::size_t>(*e)];
      slot = std::max(slot, weight);
    }
  }
  Encoding best = Encoding::identity;
  int best_weight = 0;
  for (const Encoding e : offered) {
    const int own = named[static_cast<std::size_t>(e)];
    const int weight = own >= 0 ? own : star;
    if (weight > best_weight) {
      best = e;
      best_weight = weight;
    }
  }
  return best;
}

}  // namespace wirekit::codec
