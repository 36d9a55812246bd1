// Helpers shared by the HTTP unit tests: requests built from text, responses parsed from bytes,
// and a client that talks to Server::serve_connection over an in-memory pipe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

#include <wirekit/core.hpp>
#include <wirekit/http/message.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/http/server.hpp>
#include <wirekit/net/pipe.hpp>

#include "test_support.hpp"

namespace wirekit::http::support {

using namespace std::chrono_literals;

// The peer every test request comes from.
inline const net::SocketAddress& test_peer() {
  static const net::SocketAddress peer = *net::SocketAddress::try_parse("127.0.0.1:5000");
  return peer;
}

// "GET /x HTTP/1.1\r\nHost: test\r\n<extra>\r\n": `extra` holds whole header lines.
inline std::string request_text(std::string_view method, std::string_view target,
                                std::string_view extra = {}, std::string_view version = "1.1") {
  std::string out;
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/";
  out += version;
  out += "\r\nHost: test\r\n";
  out += extra;
  out += "\r\n";
  return out;
}

// A Request parsed from text, with everything it points into kept alive beside it.
class TestRequest {
 public:
  explicit TestRequest(std::string raw, std::string_view peer = "127.0.0.1:5000")
      : raw_(std::move(raw)), storage_(Limits{}.max_headers) {
    std::size_t scanned = 0;
    ParseError error;
    if (parse_request(raw_, head_, storage_, Limits{}, scanned, error) != ParseResult::complete) {
      throw std::invalid_argument("test request does not parse: " + std::string(error.reason));
    }
    peer_ = *net::SocketAddress::try_parse(peer);
    request_.emplace(head_, peer_);
  }
  TestRequest(const TestRequest&) = delete;
  TestRequest& operator=(const TestRequest&) = delete;

  Request& operator*() noexcept { return *request_; }
  Request* operator->() noexcept { return &*request_; }

 private:
  std::string raw_;
  std::vector<Header> storage_;
  RequestHead head_;
  net::SocketAddress peer_;
  std::optional<Request> request_;
};

// Runs `raw` through the server's middleware and router (on the current loop).
inline Task<Response> respond(const Server& server, std::string raw, std::string body = {},
                              std::string peer = "127.0.0.1:5000") {
  TestRequest request(std::move(raw), peer);
  request->mutable_body() = std::move(body);
  co_return co_await server.respond(*request);
}

// The bytes a response sends: its body, or the range of its file.
inline std::string body_of(const Response& r) {
  if (!r.file) return r.body;
  std::string out(static_cast<std::size_t>(r.file->length), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::pread(r.file->fd->get(), out.data() + got, out.size() - got,
                              static_cast<off_t>(r.file->offset + got));
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

// Collects what a streaming response's producer writes.
class CollectingWriter final : public BodyWriter {
 public:
  Task<void> write(std::string_view data) override {
    pieces.emplace_back(data);
    co_return;
  }
  std::string joined() const {
    std::string out;
    for (const std::string& p : pieces) out += p;
    return out;
  }
  std::vector<std::string> pieces;
};

// A response as it came over the wire.
struct WireResponse {
  int status = 0;
  int minor_version = 1;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool chunked = false;          // Transfer-Encoding: chunked
  bool close_delimited = false;  // neither a length nor chunked: the body ran until the close

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (iequals(n, name)) return v;
    }
    return std::nullopt;
  }
  std::size_t count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& h : headers) n += iequals(h.first, name) ? 1U : 0U;
    return n;
  }
};

// Parses one response from the start of `data`; nullopt when more bytes are needed. `eof`: no
// more bytes will come (a close-delimited body is complete). `head`: the request was HEAD.
inline std::optional<WireResponse> parse_wire_response(std::string_view data, bool head, bool eof,
                                                       std::size_t& consumed) {
  Limits limits;
  std::vector<Header> storage(limits.max_headers);
  ResponseHead h;
  ParseError error;
  std::size_t scanned = 0;
  const ParseResult r = parse_response(data, h, storage, limits, scanned, error);
  if (r == ParseResult::incomplete) return std::nullopt;
  if (r == ParseResult::error) {
    throw Error(errc::protocol_error, "unparsable response: " + std::string(error.reason) +
                                          " in: " + std::string(data.substr(0, 200)));
  }
  WireResponse out;
  out.status = h.status;
  out.minor_version = h.minor_version;
  for (const Header& f : h.headers) out.headers.emplace_back(f.name, f.value);
  out.chunked = h.framing.chunked;
  const std::size_t at = h.head_size;
  if (head || h.status < 200 || h.status == 204 || h.status == 304) {
    consumed = at;
    return out;
  }
  if (h.framing.chunked || h.framing.content_length) {
    Limits body_limits;
    body_limits.max_body = std::size_t{1} << 30;
    BodyDecoder decoder = h.framing.chunked
                              ? BodyDecoder::chunked(body_limits)
                              : BodyDecoder::fixed(*h.framing.content_length, body_limits.max_body);
    const std::size_t used = decoder.feed(data.substr(at), out.body, error);
    if (used == BodyDecoder::npos) {
      throw Error(errc::protocol_error, "bad response body: " + std::string(error.reason));
    }
    if (!decoder.done()) return std::nullopt;
    consumed = at + used;
    return out;
  }
  if (!eof) return std::nullopt;
  out.body = std::string(data.substr(at));
  out.close_delimited = true;
  consumed = data.size();
  return out;
}

// The client end of a conversation with the server.
class Client {
 public:
  explicit Client(net::Stream& stream) : stream_(stream) {}

  net::Stream& stream() noexcept { return stream_; }

  Task<void> send(std::string bytes) { co_await stream_.write(bytes); }

  // The next response (interim 1xx responses included), read within `timeout`.
  Task<WireResponse> next(bool head = false, Duration timeout = 5s) {
    for (;;) {
      std::size_t consumed = 0;
      if (auto r = parse_wire_response(buffer_, head, eof_, consumed)) {
        buffer_.erase(0, consumed);
        co_return std::move(*r);
      }
      if (eof_) {
        throw Error(errc::unexpected_eof,
                    "the server closed before a complete response; got: " + buffer_);
      }
      co_await read_more(timeout);
    }
  }

  // Everything until the server closes (bytes already buffered included).
  Task<std::string> rest(Duration timeout = 5s) {
    while (!eof_) co_await read_more(timeout);
    co_return std::exchange(buffer_, {});
  }

  // True when nothing at all arrives (no byte, no close) for `d`.
  Task<bool> quiet_for(Duration d) {
    if (!buffer_.empty() || eof_) co_return false;
    bool timed_out = false;
    try {
      co_await read_more(d);
    } catch (const Error& e) {
      if (e.code() != errc::timed_out) throw;
      timed_out = true;
    }
    co_return timed_out;
  }

 private:
  Task<void> read_more(Duration timeout) {
    std::array<std::byte, 16 * 1024> chunk;
    const std::size_t n = co_await stream_.read_some(chunk).timeout(timeout);
    if (n == 0) {
      eof_ = true;
    } else {
      buffer_.append(reinterpret_cast<const char*>(chunk.data()), n);
    }
  }

  net::Stream& stream_;
  std::string buffer_;
  bool eof_ = false;
};

// Serves one connection over an in-memory pipe while `talk(Client&) -> Task<void>` plays the
// client. The client end closes when `talk` returns; the server end when serve_connection
// returns (as TcpServer destroys the stream of a finished connection).
template <class Talk>
Task<void> converse(const Server& server, Talk talk, std::stop_token draining = {},
                    std::size_t pipe_capacity = std::size_t{64} << 10) {
  auto ends = net::make_pipe(pipe_capacity);
  net::PipeStream& server_end = ends.first;
  net::PipeStream& client_end = ends.second;
  auto serving = [&]() -> Task<void> {
    co_await server.serve_connection(server_end, test_peer(), draining);
    server_end.close();
  };
  auto client_side = [&]() -> Task<void> {
    Client client(client_end);
    co_await talk(client);
    client_end.close();
  };
  co_await when_all(serving(), client_side());
}

}  // namespace wirekit::http::support
