#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <random>

#include <wirekit/codec.hpp>
#include <wirekit/core.hpp>
#include <wirekit/core/runtime.hpp>
#include <wirekit/core/sync.hpp>
#include <wirekit/http/client.hpp>
#include <wirekit/http/date.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/net/tcp.hpp>
#include <wirekit/tls/stream.hpp>

namespace wirekit::http {
namespace {

using SystemClock = std::chrono::system_clock;

// What a server may send in a response head; generous, as clients meet all kinds of servers.
const Limits response_limits{.max_request_line = 8 * 1024,
                             .max_header_bytes = 64 * 1024,
                             .max_headers = 200,
                             .max_body = 0,
                             .max_chunk_extension = 1024};

bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// A request's body as bytes, with the Content-Type it needs.
struct Body {
  std::string bytes;
  std::string content_type;
  bool present = false;
};

std::string multipart_boundary() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string boundary = "wirekit-";
  for (int i = 0; i < 24; ++i) boundary += alphabet[random() % 36];
  return boundary;
}

// A quoted-string for Content-Disposition parameters; quotes and line breaks cannot appear.
std::string quoted_parameter(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') {
      out += "%22";
    } else if (c == '\r' || c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

Body make_body(const RequestOptions& options) {
  const int kinds = (options.data ? 1 : 0) + (options.json ? 1 : 0) +
                    (!options.form.empty() || !options.files.empty() ? 1 : 0);
  if (kinds > 1) {
    throw Error(errc::invalid_argument, "a request has one body: data, form/files or json");
  }
  Body body;
  if (options.data) {
    body = {*options.data, "application/octet-stream", true};
  } else if (options.json) {
    body = {options.json->dump(), "application/json", true};
  } else if (!options.files.empty()) {
    const std::string boundary = multipart_boundary();
    std::string out;
    for (const auto& [name, value] : options.form) {
      out += "--" + boundary +
             "\r\nContent-Disposition: form-data; name=" + quoted_parameter(name) + "\r\n\r\n" +
             value + "\r\n";
    }
    for (const FilePart& file : options.files) {
      out += "--" + boundary +
             "\r\nContent-Disposition: form-data; name=" + quoted_parameter(file.field) +
             "; filename=" + quoted_parameter(file.filename) +
             "\r\nContent-Type: " + file.content_type + "\r\n\r\n" + file.data + "\r\n";
    }
    out += "--" + boundary + "--\r\n";
    body = {std::move(out), "multipart/form-data; boundary=" + boundary, true};
  } else if (!options.form.empty()) {
    body = {encode_form(options.form), "application/x-www-form-urlencoded", true};
  }
  if (body.present && options.gzip) body.bytes = codec::compress(codec::Encoding::gzip, body.bytes);
  return body;
}

// ---- cookies (RFC 6265 §5) ----------------------------------------------------------------

bool domain_matches(std::string_view host, std::string_view domain) {
  if (host == domain) return true;
  return host.size() > domain.size() && host.ends_with(domain) &&
         host[host.size() - domain.size() - 1] == '.' &&
         host.find_first_not_of("0123456789.") != std::string_view::npos;  // not an IP literal
}

bool path_matches(std::string_view request_path, std::string_view cookie_path) {
  if (!request_path.starts_with(cookie_path)) return false;
  return request_path.size() == cookie_path.size() || cookie_path.ends_with('/') ||
         request_path[cookie_path.size()] == '/';
}

// The default path of a cookie set by a response to `target` (§5.1.4).
std::string default_path(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  const auto slash = path.rfind('/');
  return slash == 0 || slash == std::string_view::npos ? "/" : std::string(path.substr(0, slash));
}

std::optional<Cookie> parse_set_cookie(std::string_view value, const Url& url) {
  const auto semi = value.find(';');
  const std::string_view pair = trim_ows(value.substr(0, semi));
  const auto eq = pair.find('=');
  if (eq == std::string_view::npos || trim_ows(pair.substr(0, eq)).empty()) return std::nullopt;
  Cookie cookie{.name = std::string(trim_ows(pair.substr(0, eq))),
                .value = std::string(trim_ows(pair.substr(eq + 1))),
                .domain = url.host,
                .path = default_path(url.target)};
  std::optional<std::int64_t> max_age;
  std::string_view attributes = semi == std::string_view::npos ? "" : value.substr(semi + 1);
  while (!attributes.empty()) {
    const auto next = attributes.find(';');
    const std::string_view attribute = trim_ows(attributes.substr(0, next));
    attributes = next == std::string_view::npos ? "" : attributes.substr(next + 1);
    const auto aeq = attribute.find('=');
    const std::string_view name = trim_ows(attribute.substr(0, aeq));
    const std::string_view arg =
        aeq == std::string_view::npos ? "" : trim_ows(attribute.substr(aeq + 1));
    if (iequals(name, "Domain") && !arg.empty()) {
      std::string domain(arg.starts_with('.') ? arg.substr(1) : arg);
      std::transform(domain.begin(), domain.end(), domain.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!domain_matches(url.host, domain)) return std::nullopt;  // §5.3 step 6
      cookie.domain = std::move(domain);
      cookie.host_only = false;
    } else if (iequals(name, "Path") && arg.starts_with('/')) {
      cookie.path = arg;
    } else if (iequals(name, "Secure")) {
      cookie.secure = true;
    } else if (iequals(name, "Max-Age")) {
      try {
        max_age = std::stoll(std::string(arg));
      } catch (const std::exception&) {
      }
    } else if (iequals(name, "Expires")) {
      if (const auto t = try_parse_http_date(arg)) cookie.expires = SystemClock::from_time_t(*t);
    }
  }
  if (max_age) cookie.expires = SystemClock::now() + std::chrono::seconds(*max_age);
  return cookie;
}

std::string_view reason_or_default(std::string_view reason, int status) {
  return reason.empty() ? reason_phrase(status) : reason;
}

}  // namespace

nlohmann::json ClientResponse::json() const {
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(errc::protocol_error, std::string("invalid JSON body: ") + e.what());
  }
}

HttpStatusError::HttpStatusError(int status, const std::string& message)
    : Error(errc::protocol_error, message), status_(status) {}

void ClientResponse::raise_for_status() const {
  if (status < 400) return;
  throw HttpStatusError(
      status, std::to_string(status) + " " + std::string(reason_or_default(reason, status)) +
                  (status < 500 ? " Client Error" : " Server Error") + " for url: " + url);
}

// ---- the session ----------------------------------------------------------------------------

struct Session::State {
  struct Connection {
    std::unique_ptr<net::Stream> stream;  // TCP, or TLS over it
    std::string origin;
    std::string buffer;  // bytes read past the previous response (none on a well-behaved server)
    // Where a response head's fields are parsed into, allocated once per connection.
    std::vector<Header> fields = std::vector<Header>(response_limits.max_headers);
    Clock::time_point idle_since{};
  };

  SessionOptions options;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;  // by origin, newest last
  std::map<std::string, std::size_t> open_per_origin;
  std::size_t open_total = 0;
  Event slot_freed;
  std::vector<Cookie> cookies;
  Stats stats;
  std::optional<tls::ClientContext> tls;  // made on the first https:// request

  explicit State(SessionOptions o) : options(std::move(o)) {
    if (!options.headers.contains("User-Agent")) {
      options.headers.set("User-Agent", std::string("wirekit/") + version());
    }
    if (options.tls.alpn.empty()) options.tls.alpn = {"http/1.1"};
    // Files the caller named are read now, so that a missing CA file is reported as itself,
    // once; the system store waits for the first https:// request.
    if (!options.tls.ca_file.empty() || !options.tls.cert_file.empty()) tls_context();
  }

  const tls::ClientContext& tls_context() {
    if (!tls) tls.emplace(options.tls);
    return *tls;
  }

  bool can_open(const std::string& origin) const {
    if (options.limit != 0 && open_total >= options.limit) return false;
    if (options.limit_per_host == 0) return true;
    const auto it = open_per_origin.find(origin);
    return it == open_per_origin.end() || it->second < options.limit_per_host;
  }

  void closed(const std::string& origin) {
    --open_total;
    if (--open_per_origin[origin] == 0) open_per_origin.erase(origin);
    slot_freed.set();
    slot_freed.reset();
  }

  // Drops idle connections past the idle timeout (and, when a slot is needed for another origin,
  // the oldest idle connection of any origin).
  void expire_idle(Clock::time_point now) {
    for (auto it = idle.begin(); it != idle.end();) {
      auto& list = it->second;
      while (!list.empty() && now - list.front()->idle_since >= options.idle_timeout) {
        const std::string origin = list.front()->origin;
        list.pop_front();
        closed(origin);
      }
      it = list.empty() ? idle.erase(it) : std::next(it);
    }
  }

  bool evict_oldest_idle() {
    auto oldest = idle.end();
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if (oldest == idle.end() ||
          it->second.front()->idle_since < oldest->second.front()->idle_since) {
        oldest = it;
      }
    }
    if (oldest == idle.end()) return false;
    const std::string origin = oldest->first;
    oldest->second.pop_front();
    if (oldest->second.empty()) idle.erase(oldest);
    closed(origin);
    return true;
  }

  std::string cookie_header(const Url& url) {
    const auto now = SystemClock::now();
    std::erase_if(cookies, [&](const Cookie& c) { return c.expires && *c.expires <= now; });
    const std::string_view path = std::string_view(url.target).substr(0, url.target.find('?'));
    std::string out;
    for (const Cookie& c : cookies) {
      const bool domain_ok =
          c.host_only ? url.host == c.domain : domain_matches(url.host, c.domain);
      if (!domain_ok || !path_matches(path, c.path) || (c.secure && url.scheme != "https"))
        continue;
      if (!out.empty()) out += "; ";
      out += c.name + "=" + c.value;
    }
    return out;
  }

  void keep_cookies(const ClientResponse& response, const Url& url) {
    for (const auto& [name, value] : response.headers) {
      if (!iequals(name, "Set-Cookie")) continue;
      if (auto cookie = parse_set_cookie(value, url)) store_cookie(std::move(*cookie));
    }
  }

  void store_cookie(Cookie cookie) {
    std::erase_if(cookies, [&](const Cookie& c) {
      return c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path;
    });
    if (!cookie.expires || *cookie.expires > SystemClock::now())
      cookies.push_back(std::move(cookie));
  }
};

namespace {

using Connection = Session::State::Connection;

// One attempt: the connection it used, whether it was reused, and whether any byte of the answer
// arrived (a failure before that on a reused connection is worth one retry).
struct Exchange {
  bool reused = false;
  bool answer_started = false;
};

}  // namespace

Session::Session() : Session(SessionOptions()) {}
Session::Session(SessionOptions options) : state_(std::make_unique<State>(std::move(options))) {}
Session::~Session() = default;

const std::vector<Cookie>& Session::cookies() const noexcept {
  return state_->cookies;
}
void Session::set_cookie(Cookie cookie) {
  state_->store_cookie(std::move(cookie));
}
Session::Stats Session::stats() const noexcept {
  return state_->stats;
}

void Session::close_idle() noexcept {
  while (state_->evict_oldest_idle()) {
  }
}

namespace {

// Asks the proxy on `connection` for a tunnel to `target` (RFC 9110 §9.3.6); afterwards the
// connection carries bytes to and from the target.
Task<void> open_tunnel(Connection& connection, const Url& target, Duration timeout) {
  net::Stream& stream = *connection.stream;
  const std::string authority = target.host.find(':') != std::string::npos
                                    ? "[" + target.host + "]:" + std::to_string(target.port)
                                    : target.host + ":" + std::to_string(target.port);
  const std::string request =
      "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n";
  co_await stream.write(request).timeout(timeout);
  ResponseHead head;
  std::size_t scanned = 0;
  ParseError error;
  ParseResult result;
  std::array<std::byte, 4096> chunk;
  while ((result = parse_response(connection.buffer, head, connection.fields, response_limits,
                                  scanned, error)) == ParseResult::incomplete) {
    const std::size_t n = co_await stream.read_some(chunk).timeout(timeout);
    if (n == 0) throw Error(errc::unexpected_eof, "the proxy closed the connection on CONNECT");
    connection.buffer.append(reinterpret_cast<const char*>(chunk.data()), n);
  }
  if (result == ParseResult::error) {
    throw Error(errc::protocol_error, "malformed answer to CONNECT: " + std::string(error.reason));
  }
  if (head.status < 200 || head.status >= 300) {
    throw Error(errc::protocol_error, "the proxy refused a tunnel to " + authority + ": " +
                                          std::to_string(head.status) + " " +
                                          std::string(reason_or_default(head.reason, head.status)));
  }
  connection.buffer.erase(0, head.head_size);
}

// Takes an idle connection to `origin` or opens a new one, waiting for a slot under the limits;
// a new one through the proxy is tunnelled to `tunnel_to` when that is set.
// Puts TLS over the connection's stream, for `url`'s host, within `timeout`.
Task<void> secure(Session::State& state, Connection& connection, const Url& url, Duration timeout) {
  auto tls =
      std::make_unique<tls::TlsStream>(std::move(connection.stream), state.tls_context(), url.host);
  co_await tls->handshake().timeout(timeout);
  connection.stream = std::move(tls);
}

Task<std::unique_ptr<Connection>> acquire(Session::State& state, const Url& connect_to,
                                          const Url* tunnel_to, const std::string& origin,
                                          Duration connect_timeout, bool& reused) {
  for (;;) {
    state.expire_idle(Clock::now());
    if (auto it = state.idle.find(origin); it != state.idle.end()) {
      std::unique_ptr<Connection> connection = std::move(it->second.back());
      it->second.pop_back();
      if (it->second.empty()) state.idle.erase(it);
      reused = true;
      ++state.stats.connections_reused;
      co_return connection;
    }
    if (state.can_open(origin) || state.evict_oldest_idle()) break;
    co_await state.slot_freed.wait();
  }
  ++state.open_total;
  ++state.open_per_origin[origin];
  try {
    auto connection = std::make_unique<Connection>();
    connection->origin = origin;
    net::ConnectOptions connect{.timeout = connect_timeout};
    std::string what = "connect to " + connect_to.authority();
    Task<net::TcpStream> connecting =
        net::TcpStream::connect(connect_to.host, connect_to.port, connect);
    net::TcpStream stream =
        co_await with_timeout(connect_timeout, std::move(connecting), std::move(what));
    connection->stream = std::make_unique<net::TcpStream>(std::move(stream));
    if (connect_to.scheme == "https")
      co_await secure(state, *connection, connect_to, connect_timeout);
    if (tunnel_to) {
      co_await open_tunnel(*connection, *tunnel_to, connect_timeout);
      if (tunnel_to->scheme == "https") {
        co_await secure(state, *connection, *tunnel_to, connect_timeout);
      }
    }
    ++state.stats.connections_opened;
    reused = false;
    co_return connection;
  } catch (...) {
    state.closed(origin);
    throw;
  }
}

// Returns a connection after a complete exchange: to the idle pool if it may be reused.
void release(Session::State& state, std::unique_ptr<Connection> connection, bool reusable) {
  if (!connection) return;
  if (!reusable || !connection->stream->is_open()) {
    const std::string origin = connection->origin;
    connection.reset();
    state.closed(origin);
    return;
  }
  connection->idle_since = Clock::now();
  state.idle[connection->origin].push_back(std::move(connection));
  state.slot_freed.set();
  state.slot_freed.reset();
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

// Reads more of the answer into `buffer`; false at the end of the stream.
Task<bool> read_more(net::Stream& stream, std::string& buffer, Duration timeout) {
  std::array<std::byte, 16 * 1024> chunk;
  const std::size_t n = co_await stream.read_some(chunk).timeout(timeout);
  buffer.append(reinterpret_cast<const char*>(chunk.data()), n);
  co_return n > 0;
}

struct Attempt {
  std::string_view method;
  const Url& url;
  const Headers& headers;
  const Body& body;
  const RequestOptions& options;
  const Timeouts& timeouts;
};

// Sends the request on `connection` and reads the whole answer. Sets `exchange.answer_started`
// once the first byte of the answer is in; returns whether the connection may be reused.
Task<bool> exchange_on(Session::State& state, Connection& connection, const Attempt& a,
                       ClientResponse& response, Exchange& exchange) {
  net::Stream& stream = *connection.stream;
  const bool streaming = a.options.on_body != nullptr;
  const std::string head = request_head(
      state, a.method, a.url, a.headers, a.body,
      state.options.proxy.has_value() && !state.options.proxy_tunnel && a.url.scheme != "https",
      state.options.cookies ? state.cookie_header(a.url) : std::string(), streaming);
  std::array<iovec, 2> parts{iovec{const_cast<char*>(head.data()), head.size()},
                             iovec{const_cast<char*>(a.body.bytes.data()), a.body.bytes.size()}};
  co_await stream.writev(std::span(parts.data(), a.body.present ? 2 : 1)).timeout(a.timeouts.read);

  std::string& buffer = connection.buffer;
  ResponseHead parsed;
  for (;;) {  // skip 1xx interim answers (100 Continue, 103 Early Hints)
    std::size_t scanned = 0;
    ParseError error;
    ParseResult result;
    while ((result = parse_response(buffer, parsed, connection.fields, response_limits, scanned,
                                    error)) == ParseResult::incomplete) {
      if (!co_await read_more(stream, buffer, a.timeouts.read)) {
        if (buffer.empty() && !exchange.answer_started) {
          throw Error(errc::unexpected_eof, "the server closed the connection without answering");
        }
        throw Error(errc::unexpected_eof, "the server closed the connection mid-header");
      }
      exchange.answer_started = true;
    }
    exchange.answer_started = true;
    if (result == ParseResult::error) {
      throw Error(errc::protocol_error, "malformed response from " + a.url.authority() + ": " +
                                            std::string(error.reason));
    }
    if (parsed.status >= 200 || parsed.status == 101) break;
    buffer.erase(0, parsed.head_size);
  }

  response.status = parsed.status;
  response.reason = parsed.reason;
  response.headers = Headers();
  for (const Header& h : parsed.headers) response.headers.add(h.name, h.value);
  const Framing framing = parsed.framing;
  buffer.erase(0, parsed.head_size);

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
  const auto deliver = [&](std::string& piece) {
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
    piece.clear();
  };
  bool reusable = framing.keep_alive && parsed.minor_version >= 1;
  if (!no_body) {
    if (framing.chunked || framing.content_length) {
      BodyDecoder decoder = framing.chunked ? BodyDecoder::chunked(Limits{.max_body = SIZE_MAX})
                                            : BodyDecoder::fixed(*framing.content_length, SIZE_MAX);
      std::string piece;
      for (;;) {
        ParseError error;
        const std::size_t used = decoder.feed(buffer, piece, error);
        if (used == BodyDecoder::npos) {
          throw Error(errc::protocol_error, "malformed body from " + a.url.authority() + ": " +
                                                std::string(error.reason));
        }
        buffer.erase(0, used);
        deliver(piece);
        if (decoder.done()) break;
        if (!co_await read_more(stream, buffer, a.timeouts.read)) {
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
        deliver(buffer);
      } while (co_await read_more(stream, buffer, a.timeouts.read));
    }
  }
  if (!buffer.empty()) reusable = false;  // bytes nobody asked for: do not trust the connection

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

// One request to one URL (no redirects), with the retry on a stale reused connection.
Task<ClientResponse> send_once(Session::State& state, const Attempt& a) {
  const Url& connect_to = state.options.proxy ? *state.options.proxy : a.url;
  // Tunnels are pooled by the origin at their end; proxied requests share the proxy's pool.
  // https:// always tunnels: a proxy must not see the request.
  const Url* tunnel_to =
      state.options.proxy && (state.options.proxy_tunnel || a.url.scheme == "https") ? &a.url
                                                                                     : nullptr;
  const std::string origin = tunnel_to ? "tunnel to " + a.url.origin() : connect_to.origin();
  for (int attempt = 0;; ++attempt) {
    Exchange exchange;
    std::unique_ptr<Connection> connection =
        co_await acquire(state, connect_to, tunnel_to, origin, a.timeouts.connect, exchange.reused);
    ClientResponse response;
    response.url = a.url.str();
    bool reusable = false;
    std::exception_ptr failure;
    try {
      reusable = co_await exchange_on(state, *connection, a, response, exchange);
    } catch (const Error&) {
      failure = std::current_exception();
    }
    if (!failure) {
      release(state, std::move(connection), reusable);
      co_return response;
    }
    release(state, std::move(connection), false);
    if (attempt == 0 && exchange.reused && !exchange.answer_started && idempotent(a.method)) {
      ++state.stats.retries;
      continue;
    }
    std::rethrow_exception(failure);
  }
}

Task<ClientResponse> follow(Session::State& state, std::string method, std::string url_text,
                            RequestOptions options) {
  Url url = Url::parse(url_text);
  if (!options.params.empty()) {
    url.target +=
        (url.target.find('?') == std::string::npos ? "?" : "&") + encode_form(options.params);
  }
  Body body = make_body(options);
  Headers headers = options.headers;
  if (body.present && options.gzip) headers.set("Content-Encoding", "gzip");
  if (options.basic_auth) {
    headers.set("Authorization", "Basic " + codec::base64_encode(options.basic_auth->first + ":" +
                                                                 options.basic_auth->second));
  } else if (options.bearer) {
    headers.set("Authorization", "Bearer " + *options.bearer);
  } else if (!url.userinfo.empty()) {
    headers.set("Authorization", "Basic " + codec::base64_encode(url.userinfo));
  }
  const Timeouts timeouts = options.timeouts.value_or(state.options.timeouts);
  std::vector<std::string> history;
  for (std::size_t hop = 0;; ++hop) {
    const bool cacheable =
        state.options.cache && (method == "GET" || method == "HEAD") && !options.on_body;
    CacheLookup lookup;
    if (cacheable) {
      lookup = state.options.cache->lookup(method, url, headers);
      if (lookup.state == CacheLookup::fresh) {
        ClientResponse cached{.status = lookup.stored->status,
                              .reason = lookup.stored->reason,
                              .headers = lookup.stored->headers,
                              .body = lookup.stored->body,
                              .url = url.str(),
                              .history = std::move(history),
                              .from_cache = true};
        if (options.on_head) options.on_head(cached);
        co_return cached;
      }
    }
    Headers sent = headers;
    for (const auto& [name, value] : lookup.validators) sent.set(name, value);
    const auto request_time = SystemClock::now();
    ClientResponse response =
        co_await send_once(state, Attempt{method, url, sent, body, options, timeouts});
    if (state.options.cookies) state.keep_cookies(response, url);
    if (cacheable) {
      CachedResponse stored = state.options.cache->store(
          method, url, headers, {response.status, response.reason, response.headers, response.body},
          lookup, request_time, SystemClock::now());
      response.from_cache =
          lookup.state == CacheLookup::stale && response.status == 304 && stored.status != 304;
      response.status = stored.status;
      response.reason = std::move(stored.reason);
      response.headers = std::move(stored.headers);
      response.body = std::move(stored.body);
    } else if (state.options.cache && !idempotent(method) && response.status < 400) {
      state.options.cache->invalidate(url);
    }
    const auto location = response.headers.get("Location");
    if (!options.allow_redirects || !is_redirect(response.status) || !location) {
      response.history = std::move(history);
      co_return response;
    }
    if (hop >= state.options.max_redirects) {
      throw Error(errc::limit_exceeded, "too many redirects (more than " +
                                            std::to_string(state.options.max_redirects) +
                                            ") from " + url_text);
    }
    Url next = url.resolve(*location);
    history.push_back(url.str());
    const bool to_get = (response.status == 303 && method != "HEAD") ||
                        ((response.status == 301 || response.status == 302) && method == "POST");
    if (to_get) {
      method = "GET";
      body = Body{};
      for (const char* name : {"Content-Type", "Content-Encoding", "Content-Length"})
        headers.remove(name);
    }
    if (next.host != url.host || (url.scheme == "https" && next.scheme == "http")) {
      headers.remove("Authorization");  // credentials stay with the host they were given for
    }
    url = std::move(next);
  }
}

}  // namespace

namespace {

Task<ClientResponse> send(Session::State& state, std::string method, std::string url,
                          RequestOptions options) {
  const Duration total = options.timeouts.value_or(state.options.timeouts).total;
  if (total > Duration::zero()) {
    std::string what = method + " " + url;
    Task<ClientResponse> following =
        follow(state, std::move(method), std::move(url), std::move(options));
    co_return co_await with_timeout(total, std::move(following), std::move(what));
  }
  co_return co_await follow(state, std::move(method), std::move(url), std::move(options));
}

}  // namespace

// The public entry points are plain functions, not coroutines: the strings and options they
// make are made here, outside any co_await expression (see the g++ 12 note in client.hpp).
Task<ClientResponse> Session::request(std::string_view method, std::string_view url,
                                      RequestOptions options) {
  std::string upper(method);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.empty() || !std::all_of(upper.begin(), upper.end(), [](char c) {
        return is_token_char(static_cast<unsigned char>(c));
      })) {
    throw Error(errc::invalid_argument, "invalid HTTP method '" + upper + "'");
  }
  return send(*state_, std::move(upper), std::string(url), std::move(options));
}

Task<ClientResponse> Session::request(std::string_view method, std::string_view url) {
  return request(method, url, RequestOptions());
}
Task<ClientResponse> Session::get(std::string_view url, RequestOptions options) {
  return request("GET", url, std::move(options));
}
Task<ClientResponse> Session::get(std::string_view url) {
  return request("GET", url);
}
Task<ClientResponse> Session::head(std::string_view url, RequestOptions options) {
  return request("HEAD", url, std::move(options));
}
Task<ClientResponse> Session::head(std::string_view url) {
  return request("HEAD", url);
}
Task<ClientResponse> Session::post(std::string_view url, RequestOptions options) {
  return request("POST", url, std::move(options));
}
Task<ClientResponse> Session::post(std::string_view url) {
  return request("POST", url);
}
Task<ClientResponse> Session::put(std::string_view url, RequestOptions options) {
  return request("PUT", url, std::move(options));
}
Task<ClientResponse> Session::put(std::string_view url) {
  return request("PUT", url);
}
Task<ClientResponse> Session::patch(std::string_view url, RequestOptions options) {
  return request("PATCH", url, std::move(options));
}
Task<ClientResponse> Session::patch(std::string_view url) {
  return request("PATCH", url);
}
Task<ClientResponse> Session::delete_(std::string_view url, RequestOptions options) {
  return request("DELETE", url, std::move(options));
}
Task<ClientResponse> Session::delete_(std::string_view url) {
  return request("DELETE", url);
}

ClientResponse request(std::string_view method, std::string_view url, RequestOptions options) {
  return run(
      [](std::string m, std::string u, RequestOptions o) -> Task<ClientResponse> {
        Session session;
        co_return co_await session.request(m, u, std::move(o));
      }(std::string(method), std::string(url), std::move(options)),
      RuntimeOptions{.threads = 1, .handle_signals = false});
}

ClientResponse get(std::string_view url, RequestOptions options) {
  return request("GET", url, std::move(options));
}
ClientResponse head(std::string_view url, RequestOptions options) {
  return request("HEAD", url, std::move(options));
}
ClientResponse post(std::string_view url, RequestOptions options) {
  return request("POST", url, std::move(options));
}
ClientResponse put(std::string_view url, RequestOptions options) {
  return request("PUT", url, std::move(options));
}
ClientResponse patch(std::string_view url, RequestOptions options) {
  return request("PATCH", url, std::move(options));
}
ClientResponse delete_(std::string_view url, RequestOptions options) {
  return request("DELETE", url, std::move(options));
}

}  // namespace wirekit::http
