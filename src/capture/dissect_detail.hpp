// Shared by the dissector's files: big-endian loads and the application-layer entry points.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <wirekit/capture/packet.hpp>

namespace wirekit::capture::detail {

using Bytes = std::span<const std::uint8_t>;

inline std::uint16_t load16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load24(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
}
inline std::uint32_t load32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}
inline std::string_view as_text(Bytes bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

inline void set_problem(Packet& p, Problem problem, Layer layer) noexcept {
  if (p.problem == Problem::none) {
    p.problem = problem;
    p.problem_layer = layer;
  }
}

// Text as tshark prints it: printable ASCII as is, \r \n \t as such escapes, other bytes as
// \ooo (octal).
void append_escaped(std::string& out, std::string_view text);

// Recognises and parses the application protocol of p.payload (TCP or UDP already dissected).
void dissect_application(Packet& p) noexcept;

// An HTTP request or status line into `http` (views into `line`); false when it is none.
bool parse_http_start(Http& http, std::string_view line) noexcept;

// TLS as tshark's TLS dissector sees a payload on a TLS port or conversation: false when it
// refuses it (plain text); otherwise p.app is App::tls (record_count 0: continuation data).
bool dissect_tls(Packet& p) noexcept;

// Parses a DNS message into p.dns; marks a problem at Layer::application when it does not parse.
void dissect_dns(Packet& p, Bytes message, Dns::Flavor flavor) noexcept;

}  // namespace wirekit::capture::detail
