// WebSocket echo server on Boost.Beast (1.74, Debian 12), the peer of bench/run.sh ws: one
// io_context on one thread, asynchronous, permessage-deflate off, every message echoed whole with
// its opcode. Written by us against Beast's public API.
//
//   ws_echo_beast PORT [HOST=127.0.0.1]      SIGINT / SIGTERM stop it
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : ws_(std::move(socket)) {}

  void start() {
    websocket::permessage_deflate pmd;
    pmd.server_enable = false;
    pmd.client_enable = false;
    ws_.set_option(pmd);
    ws_.auto_fragment(false);
    ws_.read_message_max(16 * 1024 * 1024);
    ws_.next_layer().set_option(tcp::no_delay(true));
    ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->read();
    });
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;  // closed (or failed): the session ends
      self->ws_.text(self->ws_.got_text());
      self->ws_.async_write(self->buffer_.data(), [self](beast::error_code ec2, std::size_t) {
        if (ec2) return;
        self->buffer_.clear();
        self->read();
      });
    });
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
};

class Listener {
 public:
  Listener(net::io_context& ioc, const tcp::endpoint& at) : acceptor_(ioc) {
    acceptor_.open(at.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (!ec) std::make_shared<Session>(std::move(socket))->start();
      if (acceptor_.is_open()) accept();
    });
  }

  void close() { acceptor_.close(); }

 private:
  tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ws_echo_beast PORT [HOST]\n");
    return 2;
  }
  try {
    net::io_context ioc{1};  // one thread: the concurrency hint lets Asio skip its locking
    const auto host = net::ip::make_address(argc > 2 ? argv[2] : "127.0.0.1");
    Listener listener(ioc, tcp::endpoint(host, static_cast<unsigned short>(std::atoi(argv[1]))));
    listener.accept();
    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
    std::printf("listening on %s:%s\n", argc > 2 ? argv[2] : "127.0.0.1", argv[1]);
    std::fflush(stdout);
    ioc.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ws_echo_beast: %s\n", e.what());
    return 1;
  }
  return 0;
}
