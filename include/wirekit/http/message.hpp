// HTTP requests and responses as handlers see them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <wirekit/core.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/net/address.hpp>
#include <wirekit/net/buffered_stream.hpp>
#include <wirekit/net/stream.hpp>

namespace wirekit::http {

// "OK", "Not Found"...; "" for a code without a standard phrase.
std::string_view reason_phrase(int status) noexcept;

// Decodes %XX escapes. With `plus_as_space`, '+' is a space (query strings). Returns nullopt on
// a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space = false);
// %XX for every byte but the unreserved ones (RFC 3986 §2.3) and those in `keep` ("/" for
// paths); with `space_as_plus`, a space becomes '+' (forms and query strings).
std::string percent_encode(std::string_view text, std::string_view keep = {},
                           bool space_as_plus = false);
std::string html_escape(std::string_view text);

class Request;
class Response;
using Handler = std::function<Task<Response>(Request&)>;

// Thrown by a handler to answer `status` with `message`, which the client sees ("400 Bad
// Request: invalid JSON body: ..."). Every other exception of a handler is answered 500 and
// its detail logged, never sent; a client call's HttpStatusError (an upstream's 4xx or 5xx)
// is answered 502.
class HttpError : public Error {
 public:
  HttpError(int status, const std::string& message);
  int status() const noexcept { return status_; }

 private:
  int status_;
};

// A connection after 101 Switching Protocols, handed to the protocol that takes it over.
struct Takeover {
  // The connection (TLS included), with the bytes the client sent past the request in its
  // buffer: they are read first.
  net::BufferedStream& stream;
  const net::SocketAddress& peer;
  std::stop_token draining;  // requested when the server begins to shut down
};
using UpgradeHandler = std::function<Task<void>(Takeover)>;

// What routing found for a request (see Router::match).
struct RouteMatch {
  const Handler* handler = nullptr;  // null: 404 or 405
  std::vector<std::pair<std::string_view, std::string>> params;
  std::optional<std::size_t> max_body;
  std::string allow;      // for 405 and OPTIONS: "GET, HEAD, POST"
  bool bad_path = false;  // a parameter held an invalid %-escape
};

// Response header fields, in order; names compare case-insensitively. Kept as the lines they
// become on the wire ("Name: value\r\n"...), so a response's fields cost one allocation and
// one copy. A name that is not a token, or a value with a line break or another control
// character, is refused (Error(errc::invalid_argument)): no header can inject another.
class Headers {
 public:
  void set(std::string_view name, std::string_view value);  // replaces every field of that name
  void add(std::string_view name, std::string_view value);
  void remove(std::string_view name) noexcept;
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
  bool empty() const noexcept { return lines_.empty(); }

  using Field = std::pair<std::string_view, std::string_view>;
  class Iterator {
   public:
    using value_type = Field;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    explicit Iterator(std::string_view rest) noexcept : rest_(rest) { load(); }
    Field operator*() const noexcept { return field_; }
    Iterator& operator++() noexcept {
      rest_.remove_prefix(line_);
      load();
      return *this;
    }
    Iterator operator++(int) noexcept {
      Iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const Iterator& o) const noexcept { return rest_.data() == o.rest_.data(); }

   private:
    void load() noexcept;
    std::string_view rest_;
    Field field_;
    std::size_t line_ = 0;
  };
  Iterator begin() const noexcept { return Iterator(lines_); }
  Iterator end() const noexcept {
    return Iterator(std::string_view(lines_.data() + lines_.size(), 0));
  }

  // The fields as sent, "Name: value\r\n" each.
  std::string_view wire() const noexcept { return lines_; }
  // True when a field the server owns (is_framing_field) is set.
  bool has_framing_fields() const noexcept { return framing_; }
  // Connection, Content-Length and Transfer-Encoding, in any case: the fields that frame a
  // message on the connection, which the server writes itself.
  static bool is_framing_field(std::string_view name) noexcept;

 private:
  std::string lines_;
  bool framing_ = false;
};

// Adds `token` to the comma-separated list field `name` (Vary...) unless it is there already.
void add_to_list(Headers& headers, std::string_view name, std::string_view token);

// Where a request's body still is while the request is being answered: the server's connection.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Reads the whole body into request.mutable_body(), its Content-Encoding undone. Throws
  // HttpError (400, 408, 413, 415) for a body the server does not accept, and
  // Error(errc::unexpected_eof) when the client goes away before sending all of it.
  virtual Task<void> read_body(Request& request) = 0;
};

class Request {
 public:
  // `body`: where the body is read from when it is needed (see read_body); without one, the
  // body is what mutable_body() holds.
  Request(const RequestHead& head, const net::SocketAddress& peer, BodySource* body = nullptr);

  std::string_view method() const noexcept { return head_->method; }
  std::string_view target() const noexcept { return head_->target; }
  // The path of the target, still percent-encoded ("/files/a%20b"); route parameters are decoded.
  std::string_view path() const noexcept { return path_; }
  std::string_view query_string() const noexcept { return query_; }
  // The first value of query parameter `name`, decoded.
  std::optional<std::string> query(std::string_view name) const;
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    return head_->header(name);
  }
  std::span<const Header> headers() const noexcept { return head_->headers; }
  int minor_version() const noexcept { return head_->minor_version; }
  bool keep_alive() const noexcept { return head_->framing.keep_alive; }
  const net::SocketAddress& peer() const noexcept { return *peer_; }

  // The server reads a body only once the request reaches the handler of its route (the router
  // awaits read_body() before calling it), so that an answer given from the head alone — a
  // 404 or 405, a guard's 401, 403 or 429 — never holds the body in memory. Middleware that
  // needs the body before the handler awaits read_body() itself; reading twice reads once.
  Task<void> read_body();
  // The body, with its Content-Encoding (gzip, br, zstd, deflate) already undone; empty until
  // read_body() has finished.
  const std::string& body() const noexcept { return body_; }
  std::string& mutable_body() noexcept { return body_; }
  // The body parsed as JSON; throws Error(errc::protocol_error) naming the problem.
  nlohmann::json json() const;  // HttpError(400) when the body is not JSON

  // A route parameter ("name" for "/hello/{name}"), decoded; empty if there is none.
  std::string_view param(std::string_view name) const noexcept;
  // Routing's outcome, once the router has matched this request.
  const RouteMatch* route() const noexcept { return route_ ? &*route_ : nullptr; }
  const RouteMatch& set_route(RouteMatch match) { return route_.emplace(std::move(match)); }

  // Values middleware leaves for handlers (the JWT guard's claims, a request id...).
  void set_attribute(std::string name, std::string value);
  std::optional<std::string_view> attribute(std::string_view name) const noexcept;

 private:
  const RequestHead* head_;
  const net::SocketAddress* peer_;
  BodySource* body_source_;  // null once the body is read, or when there was none to read
  std::string_view path_;
  std::string_view query_;
  std::string body_;
  std::optional<RouteMatch> route_;
  std::vector<std::pair<std::string, std::string>> attributes_;
};

class BodyWriter;

class Response {
 public:
  explicit Response(int code = 200) : status(code) {}

  static Response text(std::string body, int code = 200);  // text/plain; charset=utf-8
  static Response html(std::string body, int code = 200);
  static Response json(const nlohmann::json& value, int code = 200);
  // A response whose body is produced piece by piece and sent chunked.
  static Response stream(std::string content_type, std::function<Task<void>(BodyWriter&)> producer,
                         int code = 200);
  // The standard page for an error status: "404 Not Found".
  static Response error(int code, std::string_view detail = {});
  // 101 Switching Protocols to `protocol` (the Upgrade header; add the protocol's own fields,
  // e.g. Sec-WebSocket-Accept): once it is sent, `takeover` owns the connection until it
  // returns, and the connection closes then. WebSocket is built on it.
  static Response switching_protocols(std::string_view protocol, UpgradeHandler takeover);

  Response& header(std::string_view name, std::string_view value) {
    headers.set(name, value);
    return *this;
  }

  // A range of an open file, sent with sendfile(2). The descriptor is shared so a cached file
  // can serve many responses.
  struct FileBody {
    std::shared_ptr<const UniqueFd> fd;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };

  int status;
  Headers headers;
  std::string body;
  std::optional<FileBody> file;
  std::function<Task<void>(BodyWriter&)> producer;
  UpgradeHandler upgrade;  // with status 101

  // Bytes of body this response sends (for the access log and Content-Length).
  std::uint64_t body_size() const noexcept { return file ? file->length : body.size(); }
};

// Hands a streaming response's producer a way to send pieces (chunked on HTTP/1.1).
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  virtual Task<void> write(std::string_view data) = 0;
};

// Wraps the rest of the chain: call `next(request)` to go on, or answer yourself.
using Middleware = std::function<Task<Response>(Request&, const Handler& next)>;

}  // namespace wirekit::http
