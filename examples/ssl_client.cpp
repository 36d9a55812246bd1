// §7.1 (SSL/TLS): the tutorial's ssl_client() with wirekit — connect, verify the server against
// the system CAs (or CA_FILE), print the negotiated version, send a GET, print the first 1024
// bytes of the answer as Python prints bytes.
//
//   ssl_client [HOST [PORT [CA_FILE]]]        (default: www.python.org 443)
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <wirekit/net.hpp>
#include <wirekit/tls.hpp>

using namespace wirekit;

namespace {

// b'HTTP/1.1 200 OK\r\n...': what print() shows of a bytes object.
std::string python_bytes(std::string_view data) {
  std::string out = "b'";
  for (const char c : data) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += c;
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "'";
}

Task<void> ssl_client(std::string host, std::uint16_t port, std::string ca_file) {
  tls::ClientOptions options;  // verification on, like ssl.create_default_context()
  options.ca_file = std::move(ca_file);
  const tls::ClientContext context(options);
  net::TcpStream socket = co_await net::TcpStream::connect(host, port);
  tls::TlsStream secure_sock(std::make_unique<net::TcpStream>(std::move(socket)), context, host);
  co_await secure_sock.handshake();
  std::printf("Connected to %s\n", std::string(secure_sock.version()).c_str());
  const std::string request = "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  co_await secure_sock.write(request);
  std::array<char, 1024> answer;
  const std::size_t n = co_await secure_sock.read_some(std::as_writable_bytes(std::span(answer)));
  std::printf("%s\n", python_bytes(std::string_view(answer.data(), n)).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string host = argc > 1 ? argv[1] : "www.python.org";
  const auto port = static_cast<std::uint16_t>(argc > 2 ? std::atoi(argv[2]) : 443);
  const std::string ca_file = argc > 3 ? argv[3] : "";
  try {
    run(ssl_client(host, port, ca_file));
  } catch (const Error& e) {
    std::fprintf(stderr, "ssl_client: %s\n", e.what());
    return 1;
  }
}
