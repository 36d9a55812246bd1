// Addresses: IP addresses, socket addresses (IP + port, or a Unix path), CIDR networks, and
// the "host:port" text users type.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <sys/socket.h>

#include <wirekit/core/error.hpp>

namespace wirekit::net {

// An IPv4 or IPv6 address, without a port. Trivially copyable (17 bytes), comparable, ordered
// and hashable (std::hash below), so per-packet code can copy it and key tables on it without
// allocating.
class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(std::uint32_t host_order) noexcept;
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes) noexcept;
  // From network-order bytes as they stand in a packet or a DNS record: reads 4 bytes
  // (from_v4_bytes) or 16 (from_v6_bytes) at `network_order`, which must hold that many.
  static constexpr IpAddress from_v4_bytes(const std::uint8_t* network_order) noexcept {
    IpAddress a;
    std::copy_n(network_order, 4, a.bytes_.begin());
    return a;
  }
  static constexpr IpAddress from_v6_bytes(const std::uint8_t* network_order) noexcept {
    IpAddress a;
    std::copy_n(network_order, 16, a.bytes_.begin());
    a.v4_ = false;
    return a;
  }
  // Numeric text only ("10.0.0.1", "::1", "fe80::1%eth0" is refused: no zones here). parse
  // throws Error(errc::invalid_argument) where try_parse returns nullopt.
  static std::optional<IpAddress> try_parse(std::string_view text) noexcept;
  static IpAddress parse(std::string_view text);

  bool is_v4() const noexcept { return v4_; }
  bool is_v6() const noexcept { return !v4_; }
  bool is_loopback() const noexcept;
  // ::ffff:a.b.c.d as a.b.c.d (what a dual-stack listener reports for IPv4 peers).
  IpAddress unmapped() const noexcept;
  // The first `prefix_bits` bits, the rest zeroed.
  IpAddress masked(unsigned prefix_bits) const noexcept;
  unsigned max_prefix() const noexcept { return v4_ ? 32 : 128; }
  // Network-order bytes: 4 used for IPv4 (the other 12 are zero), 16 for IPv6.
  const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }

  // The longest text plus its NUL: an IPv6 address in full with an IPv4 tail
  // ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"), INET6_ADDRSTRLEN.
  static constexpr std::size_t max_text = 46;
  // "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1": RFC 5952 text as inet_ntop (and tshark)
  // print it. Writes the text and a NUL to `out` (at least max_text bytes) and returns the
  // text's length; no allocation.
  std::size_t format(char* out) const noexcept;
  std::string to_string() const;  // format()'s text

  // Equal: same family and bytes (an IPv4 address and its IPv4-mapped IPv6 form differ; compare
  // unmapped() addresses to equate them). Two 8-byte compares, no memcmp: capture's per-packet
  // tables compare addresses on every lookup.
  friend constexpr bool operator==(const IpAddress& a, const IpAddress& b) noexcept {
    const auto x = std::bit_cast<std::array<std::uint64_t, 2>>(a.bytes_);
    const auto y = std::bit_cast<std::array<std::uint64_t, 2>>(b.bytes_);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0 && a.v4_ == b.v4_;
  }
  // Every IPv4 address before every IPv6 address; within a family, by value (the bytes in
  // network order).
  friend constexpr std::strong_ordering operator<=>(const IpAddress& a,
                                                    const IpAddress& b) noexcept {
    if (a.v4_ != b.v4_) return a.v4_ ? std::strong_ordering::less : std::strong_ordering::greater;
    return a.bytes_ <=> b.bytes_;
  }

 private:
  std::array<std::uint8_t, 16> bytes_{};
  bool v4_ = true;
};

// A socket address: IPv4/IPv6 with port, or a Unix socket path.
class SocketAddress {
 public:
  SocketAddress() = default;
  SocketAddress(const IpAddress& ip, std::uint16_t port) noexcept;
  static SocketAddress from_native(const sockaddr* addr, socklen_t size) noexcept;
  static SocketAddress unix_path(std::string_view path);
  // Numeric "1.2.3.4:80" / "[::1]:80" only; names need resolve(). parse throws
  // Error(errc::invalid_argument) where try_parse returns nullopt.
  static std::optional<SocketAddress> try_parse(std::string_view text) noexcept;
  static SocketAddress parse(std::string_view text);

  int family() const noexcept { return storage_.ss_family; }
  bool is_ip() const noexcept { return family() == AF_INET || family() == AF_INET6; }
  bool is_unix() const noexcept { return family() == AF_UNIX; }
  IpAddress ip() const noexcept;
  std::uint16_t port() const noexcept;
  void set_port(std::uint16_t port) noexcept;
  std::string path() const;  // Unix sockets

  // "127.0.0.1:8080", "[::1]:8080", "unix:/run/x.sock"
  std::string to_string() const;
  // How Python's socket module prints it: ('127.0.0.1', 54321) or ('::1', 54321, 0, 0).
  std::string python_repr() const;

  const sockaddr* native() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* native() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t native_size() const noexcept { return size_; }
  // For APIs that fill the address in (accept, recvfrom, getsockname).
  void set_native_size(socklen_t size) noexcept { size_ = size; }
  static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }

  friend bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept;

 private:
  sockaddr_storage storage_{};
  socklen_t size_ = 0;
};

// An IP network in CIDR notation: "10.0.0.0/8", "2001:db8::/32", or a single address.
class IpNetwork {
 public:
  IpNetwork(const IpAddress& base, unsigned prefix_bits) noexcept;
  // Throws Error(errc::invalid_argument) naming the text when it is not a network.
  static IpNetwork parse(std::string_view text);
  bool contains(const IpAddress& ip) const noexcept;
  std::string to_string() const;

 private:
  IpAddress base_;
  unsigned prefix_;
};

struct HostPort {
  std::string host;  // a name, an IPv4 literal or an IPv6 literal (without brackets)
  std::uint16_t port = 0;
};

// Parses a port number 0..65535; throws Error(errc::invalid_argument) otherwise.
std::uint16_t parse_port(std::string_view text);
// Parses "host:port", "[v6]:port", or "host" alone when a default port is given.
// Throws Error(errc::invalid_argument) with the reason: "invalid address 'x:99999': bad port".
HostPort parse_host_port(std::string_view text, std::optional<std::uint16_t> default_port = {});

}  // namespace wirekit::net

// Hashes IpAddress (unordered containers, capture's flow and statistics tables): the 16 bytes and
// the family, mixed so that the high bits are as good as the low ones.
template <>
struct std::hash<wirekit::net::IpAddress> {
  std::size_t operator()(const wirekit::net::IpAddress& ip) const noexcept {
    const auto words = std::bit_cast<std::array<std::uint64_t, 2>>(ip.bytes());
    const auto mix = [](std::uint64_t h) noexcept {
      h ^= h >> 31;
      h *= 0x9e3779b97f4a7c15ULL;
      h ^= h >> 29;
      return h;
    };
    return static_cast<std::size_t>(
        mix(words[0] * 0xff51afd7ed558ccdULL ^ mix(words[1] + std::uint64_t{ip.is_v6()})));
  }
};
