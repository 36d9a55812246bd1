// Fuzzes the parsers of addresses, networks and durations: text that users, configuration
// files and peers hand us. They must return or throw wirekit::Error, never crash.
#include <cstdint>
#include <string_view>

#include <wirekit/core.hpp>
#include <wirekit/net.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto hp = wirekit::net::parse_host_port(text, 80);
    if (hp.host.empty()) __builtin_trap();  // a host:port is never accepted without a host
  } catch (const wirekit::Error&) {
  }
  try {
    const auto net = wirekit::net::IpNetwork::parse(text);
    (void)net.to_string();
  } catch (const wirekit::Error&) {
  }
  try {
    const auto d = wirekit::parse_duration(text);
    if (d.count() < 0) __builtin_trap();  // negative durations are refused
    (void)wirekit::format_duration(d);
  } catch (const wirekit::Error&) {
  }
  if (const auto a = wirekit::net::SocketAddress::try_parse(text)) {
    // What we print must parse back to the same address.
    const auto again = wirekit::net::SocketAddress::try_parse(a->to_string());
    if (!again || !(*again == *a)) __builtin_trap();
  }
  return 0;
}
