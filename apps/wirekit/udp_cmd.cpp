// wirekit udp serve | send — tutorial §3.2.
#include <cstdio>

#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct UdpServeFlags {
  services::UdpAckOptions ack;
  BlockingFlags blocking;
};

struct UdpSendFlags {
  std::string target;
  std::string text;
  std::string timeout = "2s";
};

int udp_serve(const UdpServeFlags& flags) {
  services::UdpAckOptions options = flags.ack;
  options.blocking = flags.blocking.parse();
  services::RunOptions run;
  run.threads = 1;
  return serve_one(services::make_udp_ack_service(options), std::move(run),
                   [](const services::Service& s) {
                     return "UDP server is listening on port " +
                            std::to_string(s.listening().front().address.port());
                   });
}

int udp_send(const UdpSendFlags& flags) {
  const net::HostPort target = net::parse_host_port(flags.target);
  const Duration timeout = parse_duration(flags.timeout);
  auto main = [&]() -> Task<void> {
    const net::SocketAddress to = (co_await net::resolve(target.host, target.port)).front();
    net::UdpSocket socket = net::UdpSocket::for_peer(to);
    co_await socket.send_to(flags.text, to);
    std::byte buffer[65536];
    net::Datagram reply;
    try {
      reply = co_await socket.receive_from(buffer).timeout(timeout);
    } catch (const Error& e) {
      if (e.code() != errc::timed_out) throw;
      throw Error(errc::timed_out,
                  "no response from " + to.to_string() + " within " + format_duration(timeout));
    }
    std::printf("Response from server: %.*s\n", static_cast<int>(reply.size),
                reinterpret_cast<const char*>(buffer));
  };
  run(main());
  return 0;
}

}  // namespace

void add_udp_commands(CLI::App& app, Action& action) {
  CLI::App* udp = app.add_subcommand("udp", "UDP server and client (tutorial §3.2)");
  udp->require_subcommand(1);

  static UdpServeFlags serve;
  CLI::App* s =
      udp->add_subcommand("serve", "Print each datagram and answer \"Message received\" (§3.2)");
  add_endpoint_flags(*s, serve.ack.endpoint);
  s->add_option("--reply", serve.ack.reply, "The answer to every datagram")->capture_default_str();
  add_blocking_flags(*s, serve.blocking);
  s->callback([&action] { action = [] { return udp_serve(serve); }; });

  static UdpSendFlags send;
  CLI::App* c = udp->add_subcommand("send", "Send one datagram and print the reply (§3.2)");
  c->add_option("target", send.target, "HOST:PORT")->required();
  c->add_option("text", send.text, "What to send")->required();
  c->add_option("--timeout", send.timeout, "How long to wait for the reply")->capture_default_str();
  c->callback([&action] { action = [] { return udp_send(send); }; });
}

}  // namespace wirekit::cli
