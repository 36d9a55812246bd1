#include <fmt/format.h>

#include <wirekit/services.hpp>

namespace wirekit::services {

namespace {

// The datagram as text for a terminal: control bytes are shown as \xNN rather than sent to
// the terminal (a peer must not be able to move the cursor or clear the screen).
std::string printable(std::span<const std::byte> data) {
  std::string out;
  out.reserve(data.size());
  for (std::byte b : data) {
    const auto c = static_cast<unsigned char>(b);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

Task<void> serve_udp_ack(net::UdpSocket& socket, const UdpAckOptions& options, LineSink lines) {
  const std::shared_ptr<guard::IpBlocker> blocker = make_blocker(options.blocking);
  std::vector<std::byte> buffer(65536);  // the largest UDP payload
  for (;;) {
    net::Datagram d;
    try {
      d = co_await socket.receive_from(buffer);
    } catch (const Error& e) {
      if (e.code() == errc::cancelled) co_return;
      // A previous reply's ICMP "port unreachable" surfaces on the next call: not our failure.
      if (e.code() != std::errc::connection_refused) throw;
      continue;
    }
    if (blocker && !guard::admitted(blocker->check(d.from.ip()))) {
      log().debug("dropped a datagram from {}: blocked", d.from.to_string());
      continue;
    }
    lines("Message from " + d.from.python_repr() + ": " +
          printable(std::span(buffer.data(), d.size)));
    try {
      co_await socket.send_to(options.reply, d.from);
    } catch (const Error& e) {
      if (e.code() == errc::cancelled) co_return;
      log().warn("{}", e.what());
    }
  }
}

}  // namespace wirekit::services
