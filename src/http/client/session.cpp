#include <algorithm>

#include <wirekit/codec.hpp>
#include <wirekit/core/runtime.hpp>
#include <wirekit/http/client.hpp>

#include "client/body.hpp"
#include "client/exchange.hpp"
#include "client/session_state.hpp"

namespace wirekit::http {

using namespace client_detail;
using SystemClock = std::chrono::system_clock;

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

Session::State::State(SessionOptions o)
    : options(std::move(o)),
      pool({.limit = options.limit,
            .limit_per_key = options.limit_per_host,
            .idle_timeout = options.idle_timeout},
           // A server that closed an idle connection is found out here, before the request is
           // written to it, rather than by the retry after a failed write.
           [](std::unique_ptr<Connection>& c) { return c->in.quiet(); }) {
  if (!options.headers.contains("User-Agent")) {
    options.headers.set("User-Agent", std::string("wirekit/") + version());
  }
  if (options.tls.alpn.empty()) options.tls.alpn = {"http/1.1"};
  // Files the caller named are read now, so that a missing CA file is reported as itself, once;
  // the system store waits for the first https:// request.
  if (!options.tls.ca_file.empty() || !options.tls.cert_file.empty()) tls_context();
}

const tls::ClientContext& Session::State::tls_context() {
  if (!tls) tls.emplace(options.tls);
  return *tls;
}

Session::Session() : Session(SessionOptions()) {}
Session::Session(SessionOptions options) : state_(std::make_unique<State>(std::move(options))) {}
Session::~Session() = default;

const std::vector<Cookie>& Session::cookies() const noexcept {
  return state_->cookies.cookies();
}
void Session::set_cookie(Cookie cookie) {
  state_->cookies.store(std::move(cookie));
}
Session::Stats Session::stats() const noexcept {
  const net::PoolStats pool = state_->pool.stats();
  return {.connections_opened = pool.opened,
          .connections_reused = pool.reused,
          .retries = state_->retries};
}

void Session::close_idle() noexcept {
  state_->pool.close_idle();
}

namespace {

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
      lookup = co_await state.options.cache->lookup_async(method, url, headers);
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
    if (state.options.cookies) state.cookies.keep(response.headers, url);
    if (cacheable) {
      // The response's fields are replaced by what the cache returns.
      CachedResponse network{response.status, std::move(response.reason),
                             std::move(response.headers), std::move(response.body)};
      CachedResponse stored = co_await state.options.cache->store_async(
          method, url, headers, std::move(network), lookup, request_time, SystemClock::now());
      response.from_cache =
          lookup.state == CacheLookup::stale && response.status == 304 && stored.status != 304;
      response.status = stored.status;
      response.reason = std::move(stored.reason);
      response.headers = std::move(stored.headers);
      response.body = std::move(stored.body);
    } else if (state.options.cache && !idempotent(method) && response.status < 400) {
      co_await state.options.cache->invalidate_async(url);
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
