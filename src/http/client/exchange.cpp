#include "client/exchange.hpp"

#include <array>

#include <wirekit/codec.hpp>
#include <wirekit/core/time.hpp>
#include <wirekit/net/tcp.hpp>
#include <wirekit/tls/stream.hpp>

namespace wirekit::http::client_detail {

using Lease = ConnectionPool::Lease;

bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace wirekit::http::client_detail

namespace wirekit::http {

Task<ParseResult> read_response_head(net::BufferedStream& in, ResponseHead& head,
                                     std::span<Header> fields, Duration timeout,
                                     ParseError& error) {
  std::size_t scanned = 0;
  for (;;) {
    const ParseResult result =
        parse_response(in.buffered(), head, fields, client_detail::response_limits, scanned, error);
    if (result != ParseResult::incomplete) co_return result;
    if (!co_await in.fill(client_detail::response_limits.max_header_bytes, timeout)) {
      co_return result;
    }
  }
}

Task<std::unique_ptr<net::Stream>> open_tunnel(std::unique_ptr<net::Stream> transport,
                                               const Url& target, Duration timeout) {
  auto in = std::make_unique<net::BufferedStream>(std::move(transport));
  const std::string authority = target.host.find(':') != std::string::npos
                                    ? "[" + target.host + "]:" + std::to_string(target.port)
                                    : target.host + ":" + std::to_string(target.port);
  const std::string request =
      "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n";
  co_await in->write(request).timeout(timeout);
  std::vector<Header> fields(client_detail::response_limits.max_headers);
  ResponseHead head;
  ParseError error;
  const ParseResult result = co_await read_response_head(*in, head, fields, timeout, error);
  if (result == ParseResult::incomplete) {
    throw Error(errc::unexpected_eof, "the proxy closed the connection on CONNECT");
  }
  if (result == ParseResult::error) {
    throw Error(errc::protocol_error, "malformed answer to CONNECT: " + std::string(error.reason));
  }
  if (head.status < 200 || head.status >= 300) {
    throw Error(errc::protocol_error,
                "the proxy refused a tunnel to " + authority + ": " + std::to_string(head.status) +
                    " " + std::string(client_detail::reason_or_default(head.reason, head.status)));
  }
  in->consume(head.head_size);
  co_return in;
}

}  // namespace wirekit::http

namespace wirekit::http::client_detail {

namespace {

// TLS over `transport`, for `url`'s host, within `timeout`.
Task<std::unique_ptr<net::Stream>> secure(Session::State& state,
                                          std::unique_ptr<net::Stream> transport, const Url& url,
                                          Duration timeout) {
  auto tls = std::make_unique<tls::TlsStream>(std::move(transport), state.tls_context(), url.host);
  co_await tls->handshake().timeout(timeout);
  co_return tls;
}

// A new connection to `connect_to` (the origin or the proxy), tunnelled through the proxy to
// `tunnel_to` when that is set.
Task<std::unique_ptr<Connection>> open_connection(Session::State& state, const Url& connect_to,
                                                  const Url* tunnel_to, Duration timeout) {
  net::ConnectOptions connect{.timeout = timeout};
  std::string what = "connect to " + connect_to.authority();
  Task<net::TcpStream> connecting =
      net::TcpStream::connect(connect_to.host, connect_to.port, connect);
  net::TcpStream tcp = co_await with_timeout(timeout, std::move(connecting), std::move(what));
  std::unique_ptr<net::Stream> transport = std::make_unique<net::TcpStream>(std::move(tcp));
  if (connect_to.scheme == "https") {
    transport = co_await secure(state, std::move(transport), connect_to, timeout);
  }
  if (tunnel_to) {
    transport = co_await open_tunnel(std::move(transport), *tunnel_to, timeout);
    if (tunnel_to->scheme == "https") {
      transport = co_await secure(state, std::move(transport), *tunnel_to, timeout);
    }
  }
  co_return std::make_unique<Connection>(std::move(transport));
}

std::string request_head(const Session::State& state, std::string_view method, const Url& url,
                         const Headers& headers, const Body& body, bool via_proxy,
                         const std::string& cookies, bool streaming) {
  std::string head;
  head.reserve(256 + headers.wire().size());
  head += method;
  head += ' ';
  head += via_proxy ? url.str() : url.target;
  head += " HTTP/1.1\r\nHost: ";
  head += url.authority();
  head += "\r\n";
  for (const auto& [name, value] : state.options.headers) {
    if (!headers.contains(name)) head += std::string(name) + ": " + std::string(value) + "\r\n";
  }
  head += headers.wire();
  if (state.options.decompress && !streaming && !headers.contains("Accept-Encoding") &&
      !state.options.headers.contains("Accept-Encoding")) {
    head += "Accept-Encoding: gzip, deflate, br, zstd\r\n";
  }
  if (!cookies.empty() && !headers.contains("Cookie")) head += "Cookie: " + cookies + "\r\n";
  if (body.present) {
    if (!headers.contains("Content-Type")) head += "Content-Type: " + body.content_type + "\r\n";
    head += "Content-Length: " + std::to_string(body.bytes.size()) + "\r\n";
  } else if (method == "POST" || method == "PUT" || method == "PATCH") {
    head += "Content-Length: 0\r\n";
  }
  head += "\r\n";
  return head;
}

// Buffered at once while a body is read: its decoder takes what it can of every read.
constexpr std::size_t body_read_limit = 256 * 1024;

// Sends the request on `connection` and reads the whole answer. Sets `answer_started` once the
// first byte of the answer is in; returns whether the connection may be reused.
Task<bool> exchange_on(Session::State& state, Connection& connection, const Attempt& a,
                       ClientResponse& response, bool& answer_started) {
  net::BufferedStream& in = connection.in;
  const bool streaming = a.options.on_body != nullptr;
  const std::string head = request_head(
      state, a.method, a.url, a.headers, a.body,
      state.options.proxy.has_value() && !state.options.proxy_tunnel && a.url.scheme != "https",
      state.options.cookies ? state.cookies.header_for(a.url) : std::string(), streaming);
  std::array<iovec, 2> parts{iovec{const_cast<char*>(head.data()), head.size()},
                             iovec{const_cast<char*>(a.body.bytes.data()), a.body.bytes.size()}};
  co_await in.writev(std::span(parts.data(), a.body.present ? 2 : 1)).timeout(a.timeouts.read);

  ResponseHead parsed;
  for (;;) {  // skip 1xx interim answers (100 Continue, 103 Early Hints)
    ParseError error;
    const ParseResult result =
        co_await read_response_head(in, parsed, connection.fields, a.timeouts.read, error);
    // A head's bytes are only consumed once it is whole: an empty buffer means none came.
    if (result == ParseResult::incomplete && in.empty() && !answer_started) {
      throw Error(errc::unexpected_eof, "the server closed the connection without answering");
    }
    answer_started = true;
    if (result == ParseResult::incomplete) {
      throw Error(errc::unexpected_eof, "the server closed the connection mid-header");
    }
    if (result == ParseResult::error) {
      throw Error(errc::protocol_error, "malformed response from " + a.url.authority() + ": " +
                                            std::string(error.reason));
    }
    if (parsed.status >= 200 || parsed.status == 101) break;
    in.consume(parsed.head_size);
  }

  response.status = parsed.status;
  response.reason = parsed.reason;
  response.headers = Headers();
  for (const Header& h : parsed.headers) response.headers.add(h.name, h.value);
  const Framing framing = parsed.framing;
  in.consume(parsed.head_size);

  const bool no_body =
      a.method == "HEAD" || parsed.status == 204 || parsed.status == 304 || parsed.status < 200;
  const bool following = a.options.allow_redirects && is_redirect(parsed.status) &&
                         response.headers.contains("Location");
  // on_head and on_body are for the response that will not be followed.
  if (!following && a.options.on_head) a.options.on_head(response);
  const bool to_sink = streaming && !following;
  const std::size_t max_body = state.options.max_body;

  std::string raw;
  std::uint64_t delivered = 0;
  const auto deliver = [&](std::string_view piece) {
    delivered += piece.size();
    if (to_sink) {
      if (!piece.empty()) a.options.on_body(piece);
    } else {
      if (raw.size() + piece.size() > max_body) {
        throw Error(errc::limit_exceeded,
                    "response body exceeds " + std::to_string(max_body) + " bytes");
      }
      raw += piece;
    }
  };
  bool reusable = framing.keep_alive && parsed.minor_version >= 1;
  if (!no_body) {
    if (framing.chunked || framing.content_length) {
      BodyDecoder decoder = framing.chunked ? BodyDecoder::chunked(Limits{.max_body = SIZE_MAX})
                                            : BodyDecoder::fixed(*framing.content_length, SIZE_MAX);
      std::string piece;
      for (;;) {
        ParseError error;
        const std::size_t used = decoder.feed(in.buffered(), piece, error);
        if (used == BodyDecoder::npos) {
          throw Error(errc::protocol_error, "malformed body from " + a.url.authority() + ": " +
                                                std::string(error.reason));
        }
        in.consume(used);
        deliver(piece);
        piece.clear();
        if (decoder.done()) break;
        if (!co_await in.fill(body_read_limit, a.timeouts.read)) {
          throw Error(
              errc::unexpected_eof,
              "the server closed the connection before the body was complete (" +
                  std::to_string(delivered) + " bytes" +
                  (framing.content_length ? " of " + std::to_string(*framing.content_length) + ")"
                                          : ", chunked)"));
        }
      }
    } else {  // delimited by the end of the connection
      reusable = false;
      do {
        deliver(in.buffered());
        in.consume(in.buffered().size());
      } while (co_await in.fill(body_read_limit, a.timeouts.read));
    }
  }
  if (!in.empty()) reusable = false;  // bytes nobody asked for: do not trust the connection
  if (reusable) in.release();         // an idle connection holds no read buffer

  const auto encoding = response.headers.get("Content-Encoding");
  if (!to_sink && state.options.decompress && encoding && !raw.empty()) {
    const auto coding = codec::try_parse_encoding(trim_ows(*encoding));
    if (!coding) {
      throw Error(errc::protocol_error,
                  "unsupported Content-Encoding '" + std::string(*encoding) + "'");
    }
    raw = codec::decompress(*coding, raw, max_body);
    response.headers.remove("Content-Encoding");
    response.headers.remove("Content-Length");
  }
  response.body = std::move(raw);
  co_return reusable;
}

}  // namespace

// One request to one URL (no redirects), with the retry on a stale reused connection.
Task<ClientResponse> send_once(Session::State& state, const Attempt& a) {
  const Url& connect_to = state.options.proxy ? *state.options.proxy : a.url;
  // Tunnels are pooled by the origin at their end; proxied requests share the proxy's pool.
  // https:// always tunnels: a proxy must not see the request.
  const Url* tunnel_to =
      state.options.proxy && (state.options.proxy_tunnel || a.url.scheme == "https") ? &a.url
                                                                                     : nullptr;
  std::string origin = tunnel_to ? "tunnel to " + a.url.origin() : connect_to.origin();
  const auto connect = [&](const std::string&) {
    return open_connection(state, connect_to, tunnel_to, a.timeouts.connect);
  };
  for (int attempt = 0;; ++attempt) {
    Lease lease = co_await state.pool.acquire(origin, connect);
    ClientResponse response;
    response.url = a.url.str();
    bool answer_started = false;
    bool reusable = false;
    std::exception_ptr failure;
    try {
      reusable = co_await exchange_on(state, **lease, a, response, answer_started);
    } catch (const Error&) {
      failure = std::current_exception();
    }
    if (!failure) {
      if (reusable && (*lease)->in.is_open()) lease.release();
      co_return response;
    }
    // A reused connection the server closed just as it was taken fails before any answer: the
    // request is sent once more when repeating it is safe.
    if (attempt == 0 && lease.reused() && !answer_started && idempotent(a.method)) {
      ++state.retries;
      continue;
    }
    std::rethrow_exception(failure);
  }
}

}  // namespace wirekit::http::client_detail
