#include <array>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <sys/uio.h>
#include <unistd.h>

#include <wirekit/codec.hpp>
#include <wirekit/core/log.hpp>
#include <wirekit/http/date.hpp>
#include <wirekit/http/server.hpp>
#include <wirekit/net/socket.hpp>
#include <wirekit/tls/stream.hpp>

namespace wirekit::http {

using namespace std::string_view_literals;

namespace {

// What a connection needs while it works on requests, pooled per loop: an idle keep-alive
// connection gives it back and holds no buffer while it waits.
struct Workspace {
  explicit Workspace(std::size_t size) : capacity(size), input(new char[size]) {}
  std::size_t capacity;
  std::unique_ptr<char[]> input;
  std::size_t begin = 0;  // first unconsumed byte
  std::size_t end = 0;    // one past the last byte read
  std::string output;
  std::vector<Header> headers;
};

class WorkspacePool final : public LoopService {
 public:
  explicit WorkspacePool(EventLoop&) {}
  // A workspace whose input buffer holds a whole head within `limits`, with room for body
  // reads after it.
  std::unique_ptr<Workspace> take(const Limits& limits) {
    const std::size_t size = limits.max_request_line + limits.max_header_bytes + 8 * 1024;
    std::unique_ptr<Workspace> w;
    if (free_.empty() || free_.back()->capacity != size) {
      w = std::make_unique<Workspace>(size);
      w->output.reserve(4096);
    } else {
      w = std::move(free_.back());
      free_.pop_back();
    }
    w->headers.resize(limits.max_headers);
    return w;
  }
  void give_back(std::unique_ptr<Workspace> w) {
    if (free_.size() >= max_free) return;  // a burst of connections is over: let memory go
    w->begin = w->end = 0;
    w->output.clear();
    if (w->output.capacity() > 64 * 1024) w->output.shrink_to_fit();
    free_.push_back(std::move(w));
  }

 private:
  static constexpr std::size_t max_free = 256;
  std::vector<std::unique_ptr<Workspace>> free_;
};

bool has_no_body(int status) noexcept {
  return status < 200 || status == 204 || status == 304;
}

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// An error status that could not be answered by a handler (a malformed request): the
// connection closes after it.
void append_error(std::string& out, int status, std::string_view reason,
                  std::string_view server_header) {
  const std::string body = fmt::format("{} {}: {}\n", status, reason_phrase(status), reason);
  out += fmt::format("HTTP/1.1 {} {}\r\n", status, reason_phrase(status));
  if (!server_header.empty()) out += fmt::format("Server: {}\r\n", server_header);
  out +=
      fmt::format("Date: {}\r\nContent-Type: text/plain; charset=utf-8\r\n", current_http_date());
  out += fmt::format("Content-Length: {}\r\nConnection: close\r\n\r\n{}", body.size(), body);
}

// Maps a handler's exception to the answer the client gets.
Response response_for_failure(std::exception_ptr failure, const Request& request) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    if (e.code() == errc::protocol_error || e.code() == errc::invalid_argument) {
      return Response::error(400, e.what());
    }
    if (e.code() == errc::limit_exceeded) return Response::error(413, e.what());
    log().error("{} {}: {}", request.method(), request.target(), e.what());
  } catch (const std::exception& e) {
    log().error("{} {}: {}", request.method(), request.target(), e.what());
  } catch (...) {
    log().error("{} {}: handler failed with a non-standard exception", request.method(),
                request.target());
  }
  return Response::error(500);
}

}  // namespace

// ---- Connection -------------------------------------------------------------------------------

class Server::Connection final : public BodyWriter {
 public:
  Connection(const Server& server, net::Stream& stream, const net::SocketAddress& peer,
             std::stop_token draining)
      : server_(server),
        options_(server.options_),
        stream_(stream),
        peer_(peer),
        draining_(std::move(draining)) {
    // Mutual TLS: a certificate the handshake accepted names the client to every handler.
    if (const auto* secure = dynamic_cast<const tls::TlsStream*>(&stream)) {
      if (auto cert = secure->peer_certificate()) client_subject_ = std::move(cert->subject);
    }
  }

  Task<void> run();

  // BodyWriter: a streaming response's piece, chunk-framed on HTTP/1.1.
  Task<void> write(std::string_view data) override;

 private:
  enum class Outcome { keep_going, close };
  enum class Read { data, closed, timed_out };
  Task<Outcome> serve_one();
  Task<Read> read_more(Duration timeout);
  // Answers a request we cannot serve with `status` and closes.
  Task<Outcome> refuse(int status, std::string_view reason);
  Task<void> flush();
  Task<void> send_response(const RequestHead& head, Response& response, bool keep_alive);
  Task<void> send_file(const Response::FileBody& file);
  void release_workspace() noexcept;
  std::string_view buffered() const noexcept {
    return {ws_->input.get() + ws_->begin, ws_->end - ws_->begin};
  }

  const Server& server_;
  const ServerOptions& options_;
  net::Stream& stream_;
  const net::SocketAddress& peer_;
  std::stop_token draining_;
  std::unique_ptr<Workspace> ws_;
  std::size_t served_ = 0;
  bool chunked_body_ = false;   // the response being streamed is chunk-framed
  std::string client_subject_;  // the TLS client certificate's subject, if one was presented
};

void Server::Connection::release_workspace() noexcept {
  if (ws_) EventLoop::current().service<WorkspacePool>().give_back(std::move(ws_));
}

Task<void> Server::Connection::run() {
  stream_.set_write_timeout(options_.send_timeout);
  try {
    for (;;) {
      if (!ws_ || ws_->begin == ws_->end) {
        // Idle: wait for the next request without holding a workspace.
        release_workspace();
        try {
          co_await stream_.wait_readable()
              .timeout(served_ == 0 ? options_.header_timeout : options_.keepalive_timeout)
              .until(draining_);
        } catch (const Error& e) {
          if (e.code() == errc::timed_out || e.code() == errc::cancelled) break;
          throw;
        }
        if (draining_.stop_requested()) break;
        ws_ = EventLoop::current().service<WorkspacePool>().take(options_.limits);
      }
      if (co_await serve_one() == Outcome::close) break;
    }
  } catch (const Error& e) {
    if (e.code() == errc::cancelled) {
      release_workspace();
      throw;
    }
    // A reset or a broken pipe in mid-request: the client is gone.
    log().debug("HTTP connection from {}: {}", peer_.to_string(), e.what());
  }
  release_workspace();
}

Task<Server::Connection::Outcome> Server::Connection::refuse(int status, std::string_view reason) {
  append_error(ws_->output, status, reason, options_.server_header);
  co_await flush();
  // A lingering close: stop writing, then read and drop what the client is still sending for a
  // moment. Closing with unread bytes would make the kernel reset the connection, and the
  // client could lose the answer it has not read yet.
  co_await stream_.shutdown_write();
  Workspace& w = *ws_;
  std::size_t dropped = 0;
  const auto until = EventLoop::current().now() + std::chrono::milliseconds(500);
  while (dropped < 1024 * 1024) {
    const Duration left = until - EventLoop::current().now();
    if (left <= Duration::zero()) break;
    std::size_t n = 0;
    try {
      n = co_await stream_
              .read_some(std::span(reinterpret_cast<std::byte*>(w.input.get()), w.capacity))
              .timeout(left);
    } catch (const Error& e) {
      if (e.code() == errc::cancelled) throw;
      break;  // timed out, reset: either way, done
    }
    if (n == 0) break;
    dropped += n;
  }
  co_return Outcome::close;
}

Task<Server::Connection::Read> Server::Connection::read_more(Duration timeout) {
  Workspace& w = *ws_;
  if (w.end == w.capacity) {
    // Full: move what is unconsumed to the front (only between requests: nothing points in).
    std::memmove(w.input.get(), w.input.get() + w.begin, w.end - w.begin);
    w.end -= w.begin;
    w.begin = 0;
  }
  std::size_t n = 0;
  try {
    n = co_await stream_
            .read_some(
                std::span(reinterpret_cast<std::byte*>(w.input.get()) + w.end, w.capacity - w.end))
            .timeout(timeout);
  } catch (const Error& e) {
    if (e.code() != errc::timed_out) throw;
    co_return Read::timed_out;
  }
  w.end += n;
  co_return n > 0 ? Read::data : Read::closed;
}

Task<Server::Connection::Outcome> Server::Connection::serve_one() {
  Workspace& w = *ws_;
  // 1. The head.
  RequestHead head;
  ParseError error;
  std::size_t scanned = 0;
  const Clock::time_point head_deadline = EventLoop::current().now() + options_.header_timeout;
  for (;;) {
    const ParseResult r =
        parse_request(buffered(), head, w.headers, options_.limits, scanned, error);
    if (r == ParseResult::complete) break;
    if (r == ParseResult::error) co_return co_await refuse(error.status, error.reason);
    if (w.begin > 0) {
      // Make room at the back before reading more of this head.
      std::memmove(w.input.get(), w.input.get() + w.begin, w.end - w.begin);
      w.end -= w.begin;
      w.begin = 0;
      scanned = 0;
    }
    // header_timeout bounds the whole head, as nginx's client_header_timeout does: a client
    // trickling a byte now and then cannot hold the connection.
    const Duration left = head_deadline - EventLoop::current().now();
    if (left <= Duration::zero())
      co_return co_await refuse(408, "no complete request head in time");
    const Read got = co_await read_more(left);
    if (got == Read::timed_out) co_return co_await refuse(408, "no complete request head in time");
    if (got == Read::closed) co_return Outcome::close;  // the client went away mid-request
  }

  const Framing& framing = head.framing;
  const bool has_body = framing.chunked || framing.content_length.value_or(0) > 0;
  if (has_body && w.begin > 0) {
    // A pipelined request with a body: move it to the front so its body can be read after
    // the head, then parse the head again where it now is.
    std::memmove(w.input.get(), w.input.get() + w.begin, w.end - w.begin);
    w.end -= w.begin;
    w.begin = 0;
    scanned = 0;
    parse_request(buffered(), head, w.headers, options_.limits, scanned, error);
  }

  // 2. Route first: the route decides the body limit.
  Request request(head, peer_);
  if (!client_subject_.empty()) request.set_attribute("tls.client_subject", client_subject_);
  const RouteMatch& route = request.set_route(server_.router_.match(head.method, request.path()));
  const std::size_t max_body = route.max_body.value_or(options_.limits.max_body);
  if (framing.content_length && *framing.content_length > max_body) {
    co_return co_await refuse(413, fmt::format("body larger than {} bytes", max_body));
  }

  // 3. The body.
  std::size_t cursor = w.begin + head.head_size;
  if (has_body) {
    if (framing.expect_continue) {
      w.output += "HTTP/1.1 100 Continue\r\n\r\n";
      co_await flush();
    }
    Limits body_limits = options_.limits;
    body_limits.max_body = max_body;
    BodyDecoder decoder = framing.chunked ? BodyDecoder::chunked(body_limits)
                                          : BodyDecoder::fixed(*framing.content_length, max_body);
    for (;;) {
      const std::size_t used = decoder.feed(
          std::string_view(w.input.get() + cursor, w.end - cursor), request.mutable_body(), error);
      if (used == BodyDecoder::npos) co_return co_await refuse(error.status, error.reason);
      cursor += used;
      if (decoder.done()) break;
      // Everything after the head was body: read the rest over it, keeping the head.
      w.end = cursor = w.begin + head.head_size;
      const Read got = co_await read_more(options_.body_timeout);
      if (got == Read::timed_out) co_return co_await refuse(408, "body not received in time");
      if (got == Read::closed) co_return Outcome::close;
    }
    // §11.3: a compressed request body is decoded, within the same limit.
    if (const auto coding = request.header("content-encoding")) {
      const auto encoding = codec::parse_encoding(*coding);
      if (!encoding) co_return co_await refuse(415, "unsupported Content-Encoding");
      int status = 0;
      std::string reason;
      try {
        const std::string& raw = request.body();
        request.mutable_body() = codec::decompress(
            *encoding, std::as_bytes(std::span(raw.data(), raw.size())), max_body);
      } catch (const Error& e) {
        status = e.code() == errc::limit_exceeded ? 413 : 400;
        reason = e.what();
      }
      if (status != 0) co_return co_await refuse(status, reason);
    }
  }

  // 4. The handler, through the middleware.
  Response response;
  std::exception_ptr failure;
  try {
    response = co_await server_.respond(request);
  } catch (const Error& e) {
    if (e.code() == errc::cancelled) throw;
    failure = std::current_exception();
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) response = response_for_failure(failure, request);

  // 5. The response. Pipelined requests already buffered are answered before flushing, so a
  // batch of them goes out in one write.
  ++served_;
  // An HTTP/1.0 client learns where a streamed body ends only from the connection closing.
  const bool streamed_to_http10 = response.producer && head.minor_version == 0;
  const bool keep_alive =
      framing.keep_alive && !framing.upgrade && !streamed_to_http10 &&
      (options_.keepalive_requests == 0 || served_ < options_.keepalive_requests) &&
      !draining_.stop_requested() &&
      !(response.headers.has_framing_fields() &&
        list_contains(response.headers.get("connection").value_or(""), "close"));
  co_await send_response(head, response, keep_alive);
  w.begin = cursor;
  if (w.begin == w.end) w.begin = w.end = 0;
  if (!keep_alive) {
    co_await flush();
    co_await stream_.shutdown_write();
    co_return Outcome::close;
  }
  if (w.begin == w.end || w.output.size() >= 64 * 1024) co_await flush();
  co_return Outcome::keep_going;
}

Task<void> Server::Connection::send_response(const RequestHead& head, Response& response,
                                             bool keep_alive) {
  std::string& out = ws_->output;
  const bool head_request = head.method == "HEAD";
  const bool bodyless = has_no_body(response.status);
  const bool streaming = static_cast<bool>(response.producer) && !bodyless;
  chunked_body_ = streaming && head.minor_version >= 1;

  // Literals as string_views: no strlen per piece on the hot path.
  out += head.minor_version >= 1 ? "HTTP/1.1 "sv : "HTTP/1.0 "sv;
  append_number(out, static_cast<std::uint64_t>(response.status));
  out += ' ';
  out += reason_phrase(response.status);
  out += "\r\n"sv;
  if (!options_.server_header.empty()) {
    out.append("Server: "sv).append(options_.server_header).append("\r\n"sv);
  }
  out.append("Date: "sv).append(current_http_date()).append("\r\n"sv);
  if (!response.headers.has_framing_fields()) {
    out += response.headers.wire();
  } else {
    for (const auto [name, value] : response.headers) {
      if (iequals(name, "connection") || iequals(name, "content-length") ||
          iequals(name, "transfer-encoding")) {
        continue;  // framing is the server's to say
      }
      out.append(name).append(": ").append(value).append("\r\n");
    }
  }
  if (chunked_body_) {
    out += "Transfer-Encoding: chunked\r\n"sv;
  } else if (!bodyless && !streaming) {
    out += "Content-Length: "sv;
    append_number(out, response.body_size());
    out += "\r\n"sv;
  }
  if (!keep_alive) {
    out += "Connection: close\r\n"sv;
  } else if (head.minor_version == 0) {
    out += "Connection: keep-alive\r\n"sv;
  }
  out += "\r\n"sv;
  if (head_request || bodyless) co_return;

  if (response.file) {
    co_await flush();
    co_await send_file(*response.file);
  } else if (streaming) {
    co_await response.producer(*this);
    if (chunked_body_) out += "0\r\n\r\n";
    co_await flush();
  } else if (response.body.size() > 16 * 1024) {
    // Large: send the head and the body together without copying the body.
    std::array<iovec, 2> chunks{iovec{out.data(), out.size()},
                                iovec{response.body.data(), response.body.size()}};
    co_await stream_.writev(chunks);
    out.clear();
  } else {
    out += response.body;
  }
}

Task<void> Server::Connection::write(std::string_view data) {
  if (data.empty()) co_return;
  std::string& out = ws_->output;
  if (chunked_body_) {
    out += fmt::format("{:x}\r\n", data.size());
    out += data;
    out += "\r\n";
  } else {
    out += data;
  }
  if (out.size() >= 16 * 1024) co_await flush();
}

Task<void> Server::Connection::flush() {
  std::string& out = ws_->output;
  if (out.empty()) co_return;
  co_await stream_.write(out);
  out.clear();
}

Task<void> Server::Connection::send_file(const Response::FileBody& file) {
  if (auto* socket = dynamic_cast<net::SocketStream*>(&stream_)) {
    co_await socket->send_file(*file.fd, static_cast<off_t>(file.offset),
                               static_cast<std::size_t>(file.length));
    co_return;
  }
  // Not a socket (TLS, a pipe): read and write through a buffer.
  std::string chunk(64 * 1024, '\0');
  std::uint64_t offset = file.offset;
  std::uint64_t rest = file.length;
  while (rest > 0) {
    const ssize_t n = ::pread(*file.fd, chunk.data(), std::min<std::uint64_t>(rest, chunk.size()),
                              static_cast<off_t>(offset));
    if (n <= 0) throw Error(errc::unexpected_eof, "file shrank while being sent");
    co_await stream_.write(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
    offset += static_cast<std::uint64_t>(n);
    rest -= static_cast<std::uint64_t>(n);
  }
}

// ---- Server -----------------------------------------------------------------------------------

Server::Server(Router router, ServerOptions options)
    : router_(std::move(router)), options_(std::move(options)) {
  compose();
}

Server::~Server() = default;

Server& Server::use(Middleware middleware) {
  middleware_.push_back(std::move(middleware));
  compose();
  return *this;
}

void Server::compose() {
  Handler chain = [this](Request& r) { return router_.handle(r); };
  for (auto it = middleware_.rbegin(); it != middleware_.rend(); ++it) {
    chain = [middleware = *it, next = std::move(chain)](Request& r) { return middleware(r, next); };
  }
  chain_ = std::move(chain);
}

Task<Response> Server::respond(Request& request) const {
  return chain_(request);
}

Task<void> Server::serve_connection(net::Stream& stream, const net::SocketAddress& peer,
                                    std::stop_token draining) const {
  Connection connection(*this, stream, peer, std::move(draining));
  co_await connection.run();
}

Task<void> Server::serve_accepted(net::TcpStream& stream, std::stop_token draining) const {
  const net::SocketAddress peer = stream.peer_address();
  if (!options_.tls) {
    co_await serve_connection(stream, peer, std::move(draining));
    co_return;
  }
  auto inner = std::make_unique<net::TcpStream>(std::move(stream));
  tls::TlsStream secure(std::move(inner), *options_.tls);
  bool plain_http = false;  // the handshake failed because the client spoke plain HTTP
  try {
    co_await secure.handshake().until(draining);
  } catch (const Error& e) {
    if (e.code() == errc::cancelled && !draining.stop_requested()) throw;
    // A scanner, a plain-HTTP client, an untrusted client certificate: that client's problem.
    log().debug("HTTPS connection from {}: {}", peer.to_string(), e.what());
    if (!secure.peer_sent_plain_http()) co_return;
    plain_http = true;
  }
  if (plain_http) {
    // As nginx does: say it in the protocol the client speaks, then close.
    std::string answer;
    append_error(answer, 400, "The plain HTTP request was sent to HTTPS port",
                 options_.server_header);
    try {
      co_await secure.inner().write(answer).timeout(options_.send_timeout);
    } catch (const Error&) {
      // Gone already.
    }
    co_return;
  }
  co_await serve_connection(secure, peer, std::move(draining));
}

Task<void> Server::serve(net::TcpServer& tcp) {
  co_await tcp.serve([this, &tcp](net::TcpStream stream) -> Task<void> {
    std::stop_token draining = tcp.draining();
    co_await serve_accepted(stream, std::move(draining));
  });
}

Task<void> Server::serve(Runtime& runtime, net::TcpServer& tcp) {
  co_await tcp.serve(runtime, [this, &tcp](net::TcpStream stream) -> Task<void> {
    std::stop_token draining = tcp.draining();
    co_await serve_accepted(stream, std::move(draining));
  });
}

}  // namespace wirekit::http
