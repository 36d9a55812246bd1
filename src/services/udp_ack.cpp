#include <fmt/format.h>

#include <wirekit/services/builtin.hpp>
#include <wirekit/services/config.hpp>

#include "kinds.hpp"

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

namespace {

class UdpAckService final : public Service {
 public:
  explicit UdpAckService(UdpAckOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "udp"; }
  Task<void> bind(const ServiceContext&) override {
    sockets_ = co_await bind_udp(options_.endpoint);
  }
  Task<void> serve(const ServiceContext& context) override {
    std::vector<Task<void>> serving;
    serving.reserve(sockets_.size());
    for (auto& socket : sockets_) serving.push_back(serve_udp_ack(socket, options_, context.lines));
    co_await when_all(std::move(serving));
  }
  std::vector<Listening> listening() const override {
    std::vector<Listening> out;
    for (const auto& socket : sockets_) out.push_back({"udp", socket.local_address()});
    return out;
  }

 private:
  UdpAckOptions options_;
  std::vector<net::UdpSocket> sockets_;
};

}  // namespace

std::unique_ptr<Service> make_udp_ack_service(const UdpAckOptions& options) {
  return std::make_unique<UdpAckService>(options);
}

ServiceKind udp_ack_kind() {
  return {"udp", "§3.2 udp: print each datagram, answer \"Message received\" (UDP 12345)",
          [](ConfigSection& s) {
            UdpAckOptions o;
            o.endpoint = s.endpoint(o.endpoint);
            o.reply = s.text("reply", o.reply);
            o.blocking = s.blocking();
            return make_udp_ack_service(o);
          }};
}

}  // namespace wirekit::services
