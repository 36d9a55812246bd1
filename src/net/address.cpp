#include <charconv>
#include <cstring>
#include <type_traits>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <wirekit/core/error.hpp>
#include <wirekit/net/address.hpp>

namespace wirekit::net {

// ---- IpAddress ----------------------------------------------------------------------------

IpAddress IpAddress::v4(std::uint32_t host_order) noexcept {
  IpAddress a;
  const std::uint32_t n = htonl(host_order);
  std::memcpy(a.bytes_.data(), &n, 4);
  return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) noexcept {
  IpAddress a;
  a.bytes_ = bytes;
  a.v4_ = false;
  return a;
}

std::optional<IpAddress> IpAddress::try_parse(std::string_view text) noexcept {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  IpAddress a;
  if (::inet_pton(AF_INET, buffer, a.bytes_.data()) == 1) return a;
  if (::inet_pton(AF_INET6, buffer, a.bytes_.data()) == 1) {
    a.v4_ = false;
    return a;
  }
  return std::nullopt;
}

bool IpAddress::is_loopback() const noexcept {
  if (v4_) return bytes_[0] == 127;
  static constexpr std::array<std::uint8_t, 16> loopback6{0, 0, 0, 0, 0, 0, 0, 0,
                                                          0, 0, 0, 0, 0, 0, 0, 1};
  return bytes_ == loopback6 || (unmapped().is_v4() && unmapped().is_loopback());
}

IpAddress IpAddress::unmapped() const noexcept {
  static constexpr std::uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (v4_ || std::memcmp(bytes_.data(), mapped_prefix, 12) != 0) return *this;
  IpAddress a;
  std::memcpy(a.bytes_.data(), bytes_.data() + 12, 4);
  return a;
}

IpAddress IpAddress::masked(unsigned prefix_bits) const noexcept {
  IpAddress a = *this;
  const unsigned total = max_prefix();
  for (unsigned bit = prefix_bits; bit < total; ++bit) {
    a.bytes_[bit / 8] = static_cast<std::uint8_t>(a.bytes_[bit / 8] & ~(0x80u >> (bit % 8)));
  }
  return a;
}

static_assert(IpAddress::max_text == INET6_ADDRSTRLEN);
static_assert(std::is_trivially_copyable_v<IpAddress>);

std::size_t IpAddress::format(char* out) const noexcept {
  if (v4_) {
    // By hand: capture prints an address per packet and column, and inet_ntop's IPv4 path
    // goes through sprintf.
    char* o = out;
    for (std::size_t i = 0; i < 4; ++i) {
      const unsigned v = bytes_[i];
      if (i != 0) *o++ = '.';
      if (v >= 100) *o++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *o++ = static_cast<char>('0' + v / 10 % 10);
      *o++ = static_cast<char>('0' + v % 10);
    }
    *o = '\0';
    return static_cast<std::size_t>(o - out);
  }
  // Cannot fail: the family is valid and the buffer is max_text long.
  ::inet_ntop(AF_INET6, bytes_.data(), out, max_text);
  return std::strlen(out);
}

std::string IpAddress::to_string() const {
  char text[max_text];
  return std::string(text, format(text));
}

// ---- SocketAddress ------------------------------------------------------------------------

SocketAddress::SocketAddress(const IpAddress& ip, std::uint16_t port) noexcept {
  if (ip.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage_);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, ip.bytes().data(), 4);
    size_ = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage_);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, ip.bytes().data(), 16);
    size_ = sizeof(sockaddr_in6);
  }
}

SocketAddress SocketAddress::from_native(const sockaddr* addr, socklen_t size) noexcept {
  SocketAddress a;
  const auto n = std::min<socklen_t>(size, sizeof a.storage_);
  std::memcpy(&a.storage_, addr, n);
  a.size_ = n;
  return a;
}

SocketAddress SocketAddress::unix_path(std::string_view path) {
  SocketAddress a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
  if (path.empty() || path.size() >= sizeof un->sun_path) {
    throw Error(errc::invalid_argument,
                fmt::format("invalid unix socket path '{}': must be 1 to {} bytes", path,
                            sizeof un->sun_path - 1));
  }
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  a.size_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return a;
}

IpAddress IpAddress::parse(std::string_view text) {
  if (auto ip = try_parse(text)) return *ip;
  throw Error(errc::invalid_argument, fmt::format("invalid IP address '{}'", text));
}

SocketAddress SocketAddress::parse(std::string_view text) {
  if (auto address = try_parse(text)) return *address;
  throw Error(errc::invalid_argument,
              fmt::format("invalid address '{}' (expected 1.2.3.4:80 or [::1]:80)", text));
}

std::optional<SocketAddress> SocketAddress::try_parse(std::string_view text) noexcept {
  try {
    const HostPort hp = parse_host_port(text);
    if (auto ip = IpAddress::try_parse(hp.host)) return SocketAddress{*ip, hp.port};
  } catch (const Error&) {
  }
  return std::nullopt;
}

IpAddress SocketAddress::ip() const noexcept {
  if (family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage_);
    return IpAddress::v4(ntohl(in->sin_addr.s_addr));
  }
  if (family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &in6->sin6_addr, 16);
    return IpAddress::v6(bytes);
  }
  return {};
}

std::uint16_t SocketAddress::port() const noexcept {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

void SocketAddress::set_port(std::uint16_t port) noexcept {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

std::string SocketAddress::path() const {
  if (!is_unix() || size_ <= offsetof(sockaddr_un, sun_path)) return {};
  const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
  return std::string(un->sun_path, strnlen(un->sun_path, size_ - offsetof(sockaddr_un, sun_path)));
}

std::string SocketAddress::to_string() const {
  switch (family()) {
    case AF_INET:
      return fmt::format("{}:{}", ip().to_string(), port());
    case AF_INET6:
      return fmt::format("[{}]:{}", ip().to_string(), port());
    case AF_UNIX:
      return "unix:" + path();
    default:
      return "(no address)";
  }
}

std::string SocketAddress::python_repr() const {
  switch (family()) {
    case AF_INET:
      return fmt::format("('{}', {})", ip().to_string(), port());
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
      return fmt::format("('{}', {}, {}, {})", ip().to_string(), port(), ntohl(in6->sin6_flowinfo),
                         in6->sin6_scope_id);
    }
    case AF_UNIX:
      return fmt::format("'{}'", path());
    default:
      return "None";
  }
}

bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept {
  if (a.family() != b.family()) return false;
  if (a.is_ip()) return a.ip() == b.ip() && a.port() == b.port();
  return a.size_ == b.size_ && std::memcmp(&a.storage_, &b.storage_, a.size_) == 0;
}

// ---- IpNetwork ----------------------------------------------------------------------------

IpNetwork::IpNetwork(const IpAddress& base, unsigned prefix_bits) noexcept
    : base_(base.masked(prefix_bits)), prefix_(std::min(prefix_bits, base.max_prefix())) {}

IpNetwork IpNetwork::parse(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Error(errc::invalid_argument, fmt::format("invalid network '{}': {}", text, why));
  };
  const auto slash = text.find('/');
  const auto ip = IpAddress::try_parse(text.substr(0, slash));
  if (!ip) throw bad("not an IP address");
  if (slash == std::string_view::npos) return IpNetwork{*ip, ip->max_prefix()};
  const std::string_view bits = text.substr(slash + 1);
  unsigned prefix = 0;
  const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (bits.empty() || ec != std::errc{} || end != bits.data() + bits.size() ||
      prefix > ip->max_prefix()) {
    throw bad(fmt::format("prefix length must be 0 to {}", ip->max_prefix()));
  }
  return IpNetwork{*ip, prefix};
}

bool IpNetwork::contains(const IpAddress& ip) const noexcept {
  const IpAddress candidate = ip.unmapped();
  return candidate.is_v4() == base_.is_v4() && candidate.masked(prefix_) == base_;
}

std::string IpNetwork::to_string() const {
  return fmt::format("{}/{}", base_.to_string(), prefix_);
}

// ---- text -------------------------------------------------------------------------------

std::uint16_t parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 65535) {
    throw Error(errc::invalid_argument,
                fmt::format("invalid port '{}': must be a number from 0 to 65535", text));
  }
  return static_cast<std::uint16_t>(value);
}

HostPort parse_host_port(std::string_view text, std::optional<std::uint16_t> default_port) {
  const auto bad = [&](std::string_view why) {
    return Error(errc::invalid_argument, fmt::format("invalid address '{}': {}", text, why));
  };
  HostPort out;
  std::string_view rest;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) throw bad("missing ']'");
    out.host = std::string(text.substr(1, close - 1));
    if (!IpAddress::try_parse(out.host) || IpAddress::try_parse(out.host)->is_v4()) {
      throw bad("brackets must hold an IPv6 address");
    }
    rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) throw bad("expected ':' after ']'");
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      throw bad("write IPv6 addresses in brackets, as [::1]:80");
    }
    out.host = std::string(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
  }
  if (out.host.empty()) throw bad("missing host");
  if (rest.empty()) {
    if (!default_port) throw bad("missing port (expected HOST:PORT)");
    out.port = *default_port;
  } else {
    try {
      out.port = parse_port(rest.substr(1));
    } catch (const Error&) {
      throw bad("port must be a number from 0 to 65535");
    }
  }
  return out;
}

}  // namespace wirekit::net
