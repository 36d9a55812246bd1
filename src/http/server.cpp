#include <array>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <sys/uio.h>
#include <unistd.h>

#include <wirekit/codec.hpp>
#include <wirekit/core/log.hpp>
#include <wirekit/http/client.hpp>
#include <wirekit/http/date.hpp>
#include <wirekit/http/server.hpp>
#include <wirekit/net/buffered_stream.hpp>
#include <wirekit/net/socket.hpp>
#include <wirekit/tls/accept.hpp>

namespace wirekit::http {

using namespace std::string_view_literals;

namespace {

// What a connection needs while it answers requests, pooled per loop: an idle keep-alive
// connection gives it back (and its input block, see BufferedStream) and holds no buffer while it
// waits.
struct Workspace {
  std::string output;
  std::vector<Header> headers;
};

class WorkspacePool final : public LoopService {
 public:
  explicit WorkspacePool(EventLoop&) {}
  std::unique_ptr<Workspace> take(const Limits& limits) {
    std::unique_ptr<Workspace> w;
    if (free_.empty()) {
      w = std::make_unique<Workspace>();
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
    w->output.clear();
    if (w->output.capacity() > 64 * 1024) w->output.shrink_to_fit();
    free_.push_back(std::move(w));
  }

 private:
  static constexpr std::size_t max_free = 256;
  std::vector<std::unique_ptr<Workspace>> free_;
};

// The input block of a connection holds a whole head within the limits, with room for body
// reads behind it.
std::size_t input_capacity(const Limits& limits) noexcept {
  return limits.max_request_line + limits.max_header_bytes + 8 * 1024;
}

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

// Maps a handler's exception to the answer the client gets: what the handler meant the client
// to see (HttpError), 502 for an upstream's error status, 500 for anything else. Details of
// failures are logged, not sent.
Response response_for_failure(std::exception_ptr failure, const Request& request) {
  try {
    std::rethrow_exception(failure);
  } catch (const HttpError& e) {
    return Response::error(e.status(), e.what());
  } catch (const HttpStatusError& e) {
    log().error("{} {}: upstream answered {}", request.method(), request.target(), e.what());
    return Response::error(502);
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

class Server::Connection final : public BodyWriter, public BodySource {
 public:
  Connection(const Server& server, net::Stream& stream, const net::SocketAddress& peer,
             std::stop_token draining)
      : server_(server),
        options_(server.options_),
        stream_(stream),
        in_(stream, input_capacity(server.options_.limits)),
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
  // BodySource: the body of the request being answered, read when its handler needs it.
  Task<void> read_body(Request& request) override;

 private:
  // The body of the request being answered, while it is still (partly) on the connection.
  struct PendingBody {
    enum class State { unread, read, refused, gone };
    const RequestHead& head;
    std::size_t max_body;
    std::size_t end;  // where the request ends in in_.buffered(): the head, then the body read
    State state;
    int status = 0;  // refused: the answer, and why
    std::string reason;
  };
  enum class Outcome { keep_going, close, upgrade };
  enum class Read { data, closed, timed_out };
  Task<Outcome> serve_one();
  // Reads more of the request within `timeout`: behind what is buffered, or, with `keep`,
  // over everything after the first `keep` bytes (the head, while its body is read).
  Task<Read> read_more(Duration timeout, std::optional<std::size_t> keep);
  // Answers a request we cannot serve with `status` and closes.
  Task<Outcome> refuse(int status, std::string_view reason);
  // Reads and drops what the client still sends, for a moment, after the last answer.
  Task<void> linger();
  Task<void> flush();
  Task<void> send_response(const RequestHead& head, Response& response, bool keep_alive);
  Task<void> send_file(const Response::FileBody& file);
  // Marks the body as refused with `status` and throws it to whoever asked for the body.
  [[noreturn]] static void refuse_body(PendingBody& body, int status, std::string reason);
  // True, with body.end past it, when an unread body of known length is all in the buffer.
  bool skip_buffered_body(PendingBody& body) const noexcept;
  void release_workspace() noexcept;

  const Server& server_;
  const ServerOptions& options_;
  net::Stream& stream_;
  net::BufferedStream in_;  // what the client sent and was not answered yet
  const net::SocketAddress& peer_;
  std::stop_token draining_;
  std::unique_ptr<Workspace> ws_;
  PendingBody* body_ = nullptr;  // while a request's handler runs
  std::size_t served_ = 0;
  bool chunked_body_ = false;   // the response being streamed is chunk-framed
  std::string client_subject_;  // the TLS client certificate's subject, if one was presented
  UpgradeHandler upgrade_;      // from a 101 response, until run() calls it
};

void Server::Connection::release_workspace() noexcept {
  if (ws_) EventLoop::current().service<WorkspacePool>().give_back(std::move(ws_));
  in_.release();
}

Task<void> Server::Connection::run() {
  stream_.set_write_timeout(options_.send_timeout);
  try {
    for (;;) {
      if (in_.empty()) {
        // Idle: wait for the next request without holding a workspace or an input block.
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
      }
      if (!ws_) ws_ = EventLoop::current().service<WorkspacePool>().take(options_.limits);
      const Outcome outcome = co_await serve_one();
      if (outcome == Outcome::upgrade) {
        Takeover takeover{in_, peer_, draining_};  // not made in the co_await: g++ 12
        co_await upgrade_(std::move(takeover));
        break;
      }
      if (outcome == Outcome::close) break;
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
  co_await linger();
  co_return Outcome::close;
}

Task<void> Server::Connection::linger() {
  // A lingering close: stop writing, then read and drop what the client is still sending for a
  // moment. Closing with unread bytes would make the kernel reset the connection, and the
  // client could lose the answer it has not read yet.
  co_await stream_.shutdown_write();
  in_.consume(in_.buffered().size());
  std::size_t dropped = 0;
  const auto until = EventLoop::current().now() + std::chrono::milliseconds(500);
  while (dropped < 1024 * 1024) {
    const Duration left = until - EventLoop::current().now();
    if (left <= Duration::zero()) break;
    try {
      if (co_await read_more(left, {}) != Read::data) break;
    } catch (const Error& e) {
      if (e.code() == errc::cancelled) throw;
      break;  // reset: done
    }
    dropped += in_.buffered().size();
    in_.consume(in_.buffered().size());
  }
}

Task<Server::Connection::Read> Server::Connection::read_more(Duration timeout,
                                                             std::optional<std::size_t> keep) {
  bool more = false;
  try {
    more = keep ? co_await in_.fill_after(*keep, timeout)
                : co_await in_.fill(input_capacity(options_.limits), timeout);
  } catch (const Error& e) {
    if (e.code() != errc::timed_out) throw;
    co_return Read::timed_out;
  }
  co_return more ? Read::data : Read::closed;
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
        parse_request(in_.buffered(), head, w.headers, options_.limits, scanned, error);
    if (r == ParseResult::complete) break;
    if (r == ParseResult::error) co_return co_await refuse(error.status, error.reason);
    // Every complete request before this one is answered before waiting for the rest of it:
    // a pipelined batch still leaves in one write, and a request followed by the first bytes
    // of the next (or a stray CRLF) is not held back until those complete.
    co_await flush();
    // header_timeout bounds the whole head, as nginx's client_header_timeout does: a client
    // trickling a byte now and then cannot hold the connection.
    const Duration left = head_deadline - EventLoop::current().now();
    const Read got = left > Duration::zero() ? co_await read_more(left, {}) : Read::timed_out;
    if (got == Read::timed_out) co_return co_await refuse(408, "no complete request head in time");
    if (got == Read::closed) co_return Outcome::close;  // the client went away mid-request
  }

  const Framing& framing = head.framing;
  const bool has_body = framing.chunked || framing.content_length.value_or(0) > 0;
  if (has_body && in_.compact()) {
    // A pipelined request with a body: at the front now, so that its body can be read behind
    // the head; parse the head again where it is.
    scanned = 0;
    parse_request(in_.buffered(), head, w.headers, options_.limits, scanned, error);
  }

  // 2. Route first: the route decides the body limit, and whether the body is worth reading.
  Request request(head, peer_, has_body ? this : nullptr);
  if (!client_subject_.empty()) request.set_attribute("tls.client_subject", client_subject_);
  const RouteMatch& route = request.set_route(server_.router_.match(head.method, request.path()));
  const std::size_t max_body = route.max_body.value_or(options_.limits.max_body);
  if (framing.content_length && *framing.content_length > max_body) {
    co_return co_await refuse(413, fmt::format("body larger than {} bytes", max_body));
  }

  // 3. The handler, through the middleware; the body is read when the handler is reached (or
  // middleware asks for it), so an answer decided by the head costs no body in memory.
  PendingBody body{head, max_body, head.head_size,
                   has_body ? PendingBody::State::unread : PendingBody::State::read};
  body_ = &body;
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
  body_ = nullptr;
  if (body.state == PendingBody::State::gone) co_return Outcome::close;
  if (body.state == PendingBody::State::refused)
    co_return co_await refuse(body.status, body.reason);
  if (failure) response = response_for_failure(failure, request);
  // A body left unread (a 404, 405, a guard's refusal) is skipped when it is already here;
  // otherwise the connection closes after the answer, reading and dropping what still comes.
  const bool skip_body = body.state == PendingBody::State::unread && !skip_buffered_body(body);

  // 4. The response. Pipelined requests already buffered are answered before flushing, so a
  // batch of them goes out in one write.
  ++served_;
  const bool upgrading = response.status == 101 && response.upgrade && framing.upgrade;
  if (response.status == 101 && !upgrading) {
    log().error("{} {}: a 101 answer needs an upgrade handler and an upgrade request",
                request.method(), request.target());
    response = Response::error(500);
  }
  // An HTTP/1.0 client learns where a streamed body ends only from the connection closing.
  const bool streamed_to_http10 = response.producer && head.minor_version == 0;
  const bool keep_alive =
      framing.keep_alive && !framing.upgrade && !streamed_to_http10 && !skip_body &&
      (options_.keepalive_requests == 0 || served_ < options_.keepalive_requests) &&
      !draining_.stop_requested() &&
      !(response.headers.has_framing_fields() &&
        list_contains(response.headers.get("connection").value_or(""), "close"));
  co_await send_response(head, response, keep_alive || upgrading);
  if (upgrading) {
    co_await flush();
    in_.consume(body.end);  // the protocol taking over reads what followed the request first
    release_workspace();
    // run() hands the connection over once this frame, with the request and the response in
    // it, is gone: an upgraded connection may stay open for days.
    upgrade_ = std::move(response.upgrade);
    co_return Outcome::upgrade;
  }
  if (skip_body) {
    co_await flush();
    co_await linger();
    co_return Outcome::close;
  }
  in_.consume(body.end);
  if (!keep_alive) {
    co_await flush();
    co_await stream_.shutdown_write();
    co_return Outcome::close;
  }
  if (in_.empty() || w.output.size() >= 64 * 1024) co_await flush();
  co_return Outcome::keep_going;
}

Task<void> Server::Connection::read_body(Request& request) {
  if (body_ == nullptr) {
    throw Error(errc::misuse, "a request's body can be read only until its handler returns");
  }
  PendingBody& body = *body_;
  const Framing& framing = body.head.framing;
  const std::size_t head_size = body.head.head_size;
  try {
    if (framing.expect_continue) {
      ws_->output += "HTTP/1.1 100 Continue\r\n\r\n";
      co_await flush();
    }
    Limits body_limits = options_.limits;
    body_limits.max_body = body.max_body;
    BodyDecoder decoder = framing.chunked
                              ? BodyDecoder::chunked(body_limits)
                              : BodyDecoder::fixed(*framing.content_length, body.max_body);
    ParseError error;
    std::size_t consumed = head_size;
    for (;;) {
      const std::size_t used =
          decoder.feed(in_.buffered().substr(consumed), request.mutable_body(), error);
      if (used == BodyDecoder::npos) refuse_body(body, error.status, std::string(error.reason));
      consumed += used;
      if (decoder.done()) break;
      // Everything after the head was body: read the rest over it, keeping the head.
      const Read got = co_await read_more(options_.body_timeout, head_size);
      if (got == Read::timed_out) refuse_body(body, 408, "body not received in time");
      if (got == Read::closed) {
        throw Error(errc::unexpected_eof, "the client closed the connection in the body");
      }
      consumed = head_size;
    }
    body.end = consumed;
  } catch (const HttpError&) {
    throw;
  } catch (const Error& e) {
    // The client is gone (closed, reset): nobody to answer.
    if (e.code() != errc::cancelled) body.state = PendingBody::State::gone;
    throw;
  }
  // §11.3: a compressed request body is decoded, within the same limit.
  if (const auto coding = request.header("content-encoding")) {
    const auto encoding = codec::try_parse_encoding(*coding);
    if (!encoding) refuse_body(body, 415, "unsupported Content-Encoding");
    try {
      const std::string& raw = request.body();
      request.mutable_body() = codec::decompress(
          *encoding, std::as_bytes(std::span(raw.data(), raw.size())), body.max_body);
    } catch (const Error& e) {
      refuse_body(body, e.code() == errc::limit_exceeded ? 413 : 400, e.what());
    }
  }
  body.state = PendingBody::State::read;
}

void Server::Connection::refuse_body(PendingBody& body, int status, std::string reason) {
  body.state = PendingBody::State::refused;
  body.status = status;
  body.reason = std::move(reason);
  throw HttpError(status, body.reason);
}

bool Server::Connection::skip_buffered_body(PendingBody& body) const noexcept {
  const Framing& framing = body.head.framing;
  const std::size_t head_size = body.head.head_size;
  if (framing.chunked || !framing.content_length ||
      in_.buffered().size() - head_size < *framing.content_length) {
    return false;
  }
  body.end = head_size + static_cast<std::size_t>(*framing.content_length);
  return true;
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
      if (Headers::is_framing_field(name)) continue;  // framing is the server's to say
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
  if (response.status == 101) {
    out += "Connection: Upgrade\r\n"sv;
  } else if (!keep_alive) {
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
    co_await socket->send_file(file.fd->get(), static_cast<off_t>(file.offset),
                               static_cast<std::size_t>(file.length));
    co_return;
  }
  // Not a socket (TLS, a pipe): read and write through a buffer.
  std::string chunk(64 * 1024, '\0');
  std::uint64_t offset = file.offset;
  std::uint64_t rest = file.length;
  while (rest > 0) {
    const ssize_t n =
        ::pread(file.fd->get(), chunk.data(), std::min<std::uint64_t>(rest, chunk.size()),
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
  tls::AcceptOptions accept;
  accept.until = draining;
  accept.on_plaintext = [this](net::Stream& plain) -> Task<void> {
    // As nginx does: say it in the protocol the client speaks, then close.
    std::string answer;
    append_error(answer, 400, "The plain HTTP request was sent to HTTPS port",
                 options_.server_header);
    co_await plain.write(answer).timeout(options_.send_timeout);
  };
  auto inner = std::make_unique<net::TcpStream>(std::move(stream));
  std::unique_ptr<tls::TlsStream> secure;
  try {
    secure = co_await tls::accept(std::move(inner), *options_.tls, std::move(accept));
  } catch (const Error& e) {
    if (e.code() == errc::cancelled && !draining.stop_requested()) throw;
    // A scanner, a plain-HTTP client, an untrusted client certificate: that client's problem.
    log().debug("HTTPS connection from {}: {}", peer.to_string(), e.what());
  }
  if (secure) co_await serve_connection(*secure, peer, std::move(draining));
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
