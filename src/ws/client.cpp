// The WebSocket client (include/wirekit/ws/client.hpp).
#include <vector>

#include <wirekit/core/ascii.hpp>
#include <wirekit/http/client.hpp>
#include <wirekit/http/url.hpp>
#include <wirekit/net/tcp.hpp>
#include <wirekit/tls/stream.hpp>
#include <wirekit/ws/client.hpp>

namespace wirekit::ws {

namespace {

// ws:// and wss:// are http:// and https:// for everything but the scheme (RFC 6455 §3).
http::Url parse_url(std::string_view text) {
  const std::size_t colon = text.find("://");
  const std::string_view scheme = colon == std::string_view::npos ? "" : text.substr(0, colon);
  const bool secure = ascii::iequals(scheme, "wss");
  if (!secure && !ascii::iequals(scheme, "ws")) {
    throw Error(errc::invalid_argument,
                "invalid WebSocket URL '" + std::string(text) + "': the scheme must be ws or wss");
  }
  return http::Url::parse((secure ? "https" : "http") + std::string(text.substr(colon)));
}

Task<std::unique_ptr<net::Stream>> secure(std::unique_ptr<net::Stream> transport,
                                          const http::Url& url, const ClientOptions& options) {
  static const tls::ClientContext system_context;
  const tls::ClientContext& context = options.tls ? *options.tls : system_context;
  auto stream = std::make_unique<tls::TlsStream>(std::move(transport), context, url.host);
  co_await stream->handshake().timeout(options.handshake_timeout);
  co_return stream;
}

// The transport to `url`: TCP, through the proxy's tunnel when there is one, TLS for wss://.
Task<std::unique_ptr<net::Stream>> open_transport(const http::Url& url,
                                                  const ClientOptions& options,
                                                  net::SocketAddress& peer) {
  const std::optional<http::Url> proxy =
      options.proxy ? std::optional(http::Url::parse(*options.proxy)) : std::nullopt;
  const http::Url& first_hop = proxy ? *proxy : url;
  std::string what = "connect to " + first_hop.authority();
  Task<net::TcpStream> connecting = net::TcpStream::connect(first_hop.host, first_hop.port,
                                                            {.timeout = options.handshake_timeout});
  net::TcpStream tcp =
      co_await with_timeout(options.handshake_timeout, std::move(connecting), std::move(what));
  peer = tcp.peer_address();
  std::unique_ptr<net::Stream> transport = std::make_unique<net::TcpStream>(std::move(tcp));
  // Each step's task is named before it is awaited: g++ 12 destroys class temporaries of a
  // co_await expression twice.
  if (proxy) {
    Task<std::unique_ptr<net::Stream>> tunnel =
        http::open_tunnel(std::move(transport), url, options.handshake_timeout);
    transport = co_await std::move(tunnel);
  }
  if (url.scheme == "https") {
    Task<std::unique_ptr<net::Stream>> securing = secure(std::move(transport), url, options);
    transport = co_await std::move(securing);
  }
  co_return transport;
}

// Sends the upgrade request and checks the answer; the answer's head is consumed from `in`.
Task<ClientHandshakeResult> handshake(net::BufferedStream& in, const http::Url& url,
                                      const ClientOptions& options) {
  const std::string key = make_client_key();
  const std::string request = client_request_head(url, key, options.handshake);
  co_await in.write(request).timeout(options.handshake_timeout);
  std::vector<http::Header> fields(100);
  http::ResponseHead head;
  http::ParseError error;
  const http::ParseResult result =
      co_await http::read_response_head(in, head, fields, options.handshake_timeout, error);
  if (result == http::ParseResult::incomplete) {
    throw Error(errc::unexpected_eof,
                "the server closed the connection during the WebSocket handshake");
  }
  if (result == http::ParseResult::error) {
    throw Error(errc::protocol_error,
                "malformed answer to the WebSocket handshake: " + std::string(error.reason));
  }
  ClientHandshakeResult agreed = check_server_response(head, key, options.handshake);
  in.consume(head.head_size);
  co_return agreed;
}

}  // namespace

Task<void> connect(std::string url_text, Handler handler, ClientOptions options) {
  const http::Url url = parse_url(url_text);
  net::SocketAddress peer;
  std::unique_ptr<net::Stream> transport = co_await open_transport(url, options, peer);
  net::BufferedStream in(std::move(transport));
  const ClientHandshakeResult agreed = co_await handshake(in, url, options);
  Connection connection(in, Role::client, options.connection, agreed.deflate,
                        options.handshake.deflate, agreed.subprotocol, peer);
  Task<void> running = connection.run(std::move(handler));
  co_await std::move(running);
}

}  // namespace wirekit::ws
