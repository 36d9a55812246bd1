#include <algorithm>

#include <nlohmann/json.hpp>

#include <wirekit/http/message.hpp>

namespace wirekit::http {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += plus_as_space && c == '+' ? ' ' : c;
    }
  }
  return out;
}

std::string percent_encode(std::string_view text, std::string_view keep, bool space_as_plus) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (is_unreserved(u) || keep.find(c) != std::string_view::npos) {
      out += c;
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 15];
    }
  }
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// ---- Headers ------------------------------------------------------------------------------

bool Headers::is_framing_field(std::string_view name) noexcept {
  return iequals(name, "connection") || iequals(name, "content-length") ||
         iequals(name, "transfer-encoding");
}

void Headers::Iterator::load() noexcept {
  const std::size_t eol = rest_.find("\r\n");
  if (eol == std::string_view::npos) {
    rest_ = rest_.substr(rest_.size());
    line_ = 0;
    return;
  }
  const std::string_view line = rest_.substr(0, eol);
  const std::size_t colon = line.find(':');
  field_ = {line.substr(0, colon), line.substr(colon + 2)};
  line_ = eol + 2;
}

void Headers::set(std::string_view name, std::string_view value) {
  if (!lines_.empty()) remove(name);
  add(name, value);
}

void Headers::add(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return is_token_char(static_cast<unsigned char>(c));
      })) {
    throw Error(errc::invalid_argument, "invalid header name '" + std::string(name) + "'");
  }
  if (std::any_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && c != '\t') || u == 0x7f;
      })) {
    throw Error(errc::invalid_argument,
                "header " + std::string(name) + ": value holds a line break or control character");
  }
  lines_.append(name).append(": ").append(value).append("\r\n");
  framing_ = framing_ || is_framing_field(name);
}

void Headers::remove(std::string_view name) noexcept {
  std::size_t at = 0;
  while (at < lines_.size()) {
    const std::size_t eol = lines_.find("\r\n", at);
    const std::size_t colon = lines_.find(':', at);
    if (iequals(std::string_view(lines_).substr(at, colon - at), name)) {
      lines_.erase(at, eol + 2 - at);
    } else {
      at = eol + 2;
    }
  }
}

std::optional<std::string_view> Headers::get(std::string_view name) const noexcept {
  // On every response (middleware asks for several fields): one pass, no parsing of lines
  // whose name cannot match.
  const std::string_view all = lines_;
  for (std::size_t at = 0; at < all.size();) {
    const std::size_t eol = all.find('\n', at);
    if (at + name.size() < eol && all[at + name.size()] == ':' &&
        iequals(all.substr(at, name.size()), name)) {
      return all.substr(at + name.size() + 2, eol - 1 - (at + name.size() + 2));
    }
    at = eol + 1;
  }
  return std::nullopt;
}

void add_to_list(Headers& headers, std::string_view name, std::string_view token) {
  const auto current = headers.get(name);
  if (!current) {
    headers.set(name, token);
  } else if (!list_contains(*current, token)) {
    headers.set(name, std::string(*current) + ", " + std::string(token));
  }
}

// ---- Request ------------------------------------------------------------------------------

Request::Request(const RequestHead& head, const net::SocketAddress& peer, BodySource* body)
    : head_(&head), peer_(&peer), body_source_(body) {
  std::string_view target = head.target;
  target = target.substr(0, target.find('#'));  // a fragment is the client's business
  // Absolute-form (a request meant for a proxy): the path starts after the authority, which
  // ends at the first '/', '?' or '#'.
  bool implicit_root = false;
  if (!target.starts_with('/')) {
    const std::size_t scheme = target.find("://");
    const std::size_t end = scheme == std::string_view::npos
                                ? std::string_view::npos
                                : target.find_first_of("/?", scheme + 3);
    target = end == std::string_view::npos ? std::string_view{} : target.substr(end);
    implicit_root = !target.starts_with('/');
  }
  const std::size_t q = target.find('?');
  path_ = implicit_root ? std::string_view("/") : target.substr(0, q);
  if (q != std::string_view::npos) query_ = target.substr(q + 1);
}

std::optional<std::string> Request::query(std::string_view name) const {
  std::string_view rest = query_;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    const auto key = percent_decode(pair.substr(0, eq), true);
    if (key && *key == name) {
      return eq == std::string_view::npos ? std::string{}
                                          : percent_decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

Task<void> Request::read_body() {
  if (BodySource* source = std::exchange(body_source_, nullptr)) co_await source->read_body(*this);
}

nlohmann::json Request::json() const {
  try {
    return nlohmann::json::parse(body_);
  } catch (const nlohmann::json::parse_error& e) {
    throw HttpError(400, std::string("invalid JSON body: ") + e.what());
  }
}

std::string_view Request::param(std::string_view name) const noexcept {
  if (!route_) return {};
  for (const auto& [key, value] : route_->params) {
    if (key == name) return value;
  }
  return {};
}

void Request::set_attribute(std::string name, std::string value) {
  for (auto& [key, v] : attributes_) {
    if (key == name) {
      v = std::move(value);
      return;
    }
  }
  attributes_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> Request::attribute(std::string_view name) const noexcept {
  for (const auto& [key, value] : attributes_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// ---- Response -----------------------------------------------------------------------------

Response Response::text(std::string body, int code) {
  Response r(code);
  r.headers.set("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

Response Response::html(std::string body, int code) {
  Response r(code);
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.body = std::move(body);
  return r;
}

Response Response::json(const nlohmann::json& value, int code) {
  Response r(code);
  r.headers.set("Content-Type", "application/json");
  r.body = value.dump();
  return r;
}

Response Response::stream(std::string content_type, std::function<Task<void>(BodyWriter&)> producer,
                          int code) {
  Response r(code);
  r.headers.set("Content-Type", std::move(content_type));
  r.producer = std::move(producer);
  return r;
}

Response Response::error(int code, std::string_view detail) {
  std::string text = std::to_string(code) + " " + std::string(reason_phrase(code));
  if (!detail.empty()) text += ": " + std::string(detail);
  return Response::text(text + "\n", code);
}

HttpError::HttpError(int status, const std::string& message)
    : Error(status == 413 ? errc::limit_exceeded : errc::protocol_error, message),
      status_(status) {}

Response Response::switching_protocols(std::string_view protocol, UpgradeHandler takeover) {
  Response r(101);
  r.headers.set("Upgrade", protocol);
  r.upgrade = std::move(takeover);
  return r;
}

}  // namespace wirekit::http
