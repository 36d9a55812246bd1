// The application layer: which protocol a TCP/UDP payload carries, decided the way tshark 4.0
// decides it for a packet on its own — the lower port's dissector first, then the higher
// port's, then content heuristics (HTTP, TLS) — and the parsing of HTTP and TLS starts.
#include <algorithm>
#include <array>

#include <wirekit/core/ascii.hpp>

#include "dissect_detail.hpp"

namespace wirekit::capture::detail {

namespace {

using ascii::iequals;

bool is_printable(std::uint8_t c) noexcept {
  return c >= 0x20 && c < 0x7f;
}

// ---- HTTP

// The methods tshark's HTTP dissector accepts at the start of a request line.
constexpr std::array<std::string_view, 34> http_methods = {
    "GET",         "POST",       "HEAD",
    "PUT",         "DELETE",     "OPTIONS",
    "CONNECT",     "TRACE",      "PATCH",
    "PROPFIND",    "PROPPATCH",  "MKCOL",
    "COPY",        "MOVE",       "LOCK",
    "UNLOCK",      "SEARCH",     "REPORT",
    "CHECKOUT",    "CHECKIN",    "MERGE",
    "LABEL",       "UPDATE",     "VERSION-CONTROL",
    "MKWORKSPACE", "MKACTIVITY", "BASELINE-CONTROL",
    "ACL",         "NOTIFY",     "SUBSCRIBE",
    "UNSUBSCRIBE", "M-SEARCH",   "POLL",
    "BIND"};

std::uint64_t parse_decimal(std::string_view s, bool& ok) noexcept {
  std::uint64_t v = 0;
  ok = !s.empty() && s.size() <= 18;
  for (char c : s) {
    if (c < '0' || c > '9') ok = false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

bool parse_http_start(Http& http, std::string_view line) noexcept {
  if (line.starts_with("HTTP/1.") || line.starts_with("HTTP/2")) {
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) return false;
    http.request = false;
    http.version = line.substr(0, sp);
    std::string_view rest = line.substr(sp + 1);
    const auto sp2 = rest.find(' ');
    bool ok = false;
    const std::string_view code = rest.substr(0, std::min(rest.size(), sp2));
    const auto status = parse_decimal(code, ok);
    if (!ok || code.size() != 3) return false;  // three digits, as tshark wants them
    http.status = static_cast<std::uint16_t>(status);
    http.reason = sp2 == std::string_view::npos ? std::string_view{} : rest.substr(sp2 + 1);
    return true;
  }
  const auto sp = line.find(' ');
  if (sp == std::string_view::npos) return false;
  const std::string_view method = line.substr(0, sp);
  if (std::find(http_methods.begin(), http_methods.end(), method) == http_methods.end()) {
    return false;
  }
  std::string_view rest = line.substr(sp + 1);
  const auto sp2 = rest.rfind(' ');
  if (sp2 == std::string_view::npos || !rest.substr(sp2 + 1).starts_with("HTTP/")) return false;
  http.request = true;
  http.method = method;
  http.target = rest.substr(0, sp2);
  http.version = rest.substr(sp2 + 1);
  return true;
}

namespace {

// An HTTP message start: the start line, Host, and whether the headers and the body announced
// by Content-Length (or chunking, or a response read to the end) are all in this segment.
bool dissect_http(Packet& p) noexcept {
  const std::string_view text = as_text(p.payload);
  const auto line_end = text.find('\n');
  std::string_view line = text.substr(0, line_end);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Http http;
  if (!parse_http_start(http, line)) return false;
  p.app = App::http;
  p.http = http;
  if (line_end == std::string_view::npos) {
    p.http.rest = Http::Rest::headers;
    if (p.payload.size() < p.payload_length) {
      detail::set_problem(p, Problem::truncated, Layer::application);
    } else {
      p.app_incomplete = true;
    }
    return true;
  }
  bool headers_complete = false;
  bool has_length = false, chunked = false;
  std::uint64_t content_length = 0;
  std::size_t pos = line_end + 1;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    if (end == std::string_view::npos) break;
    std::string_view field = text.substr(pos, end - pos);
    pos = end + 1;
    if (!field.empty() && field.back() == '\r') field.remove_suffix(1);
    if (field.empty()) {
      headers_complete = true;
      break;
    }
    const auto colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = ascii::trim_ows(field.substr(colon + 1));
    if (iequals(name, "host")) {
      p.http.host = value;
    } else if (iequals(name, "content-length")) {
      bool ok = false;
      content_length = parse_decimal(value, ok);
      has_length = ok;
    } else if (iequals(name, "transfer-encoding")) {
      chunked = value.find("chunked") != std::string_view::npos;
    }
  }
  const std::size_t body =
      std::max<std::size_t>(p.payload_length, text.size()) - std::min(pos, text.size());
  Http::Rest& rest = p.http.rest;
  if (!headers_complete) {
    rest = Http::Rest::headers;
  } else if (chunked) {
    if (!text.ends_with("0\r\n\r\n")) rest = Http::Rest::chunks;
  } else if (has_length) {
    if (content_length > body) {
      rest = Http::Rest::body;
      p.http.body_missing = content_length - body;
    }
  } else if (!http.request && http.status >= 200 && http.status != 204 && http.status != 304) {
    rest = Http::Rest::until_close;  // a response without a length runs to the connection's end
  }
  // Cut by the snapshot length, a segment cannot wait for the rest of its message (tshark
  // does not reassemble it either): the message shows here, truncated if its headers were cut;
  // `rest` still says how it continues.
  const bool snapped = p.payload.size() < p.payload_length;
  if (snapped && rest == Http::Rest::headers) {
    detail::set_problem(p, Problem::truncated, Layer::application);
  }
  p.app_incomplete = rest != Http::Rest::none && !snapped;
  return true;
}

// ---- TLS

bool valid_record_version(std::uint16_t v) noexcept {
  return v == 0x0300 || v == 0x0301 || v == 0x0302 || v == 0x0303 || v == 0x0101;
}

bool looks_like_tls_record(Bytes d) noexcept {
  return d.size() >= 5 && d[0] >= Tls::change_cipher_spec && d[0] <= Tls::heartbeat &&
         valid_record_version(load16(d.data() + 1));
}

// An SSLv2 record header with the type of an unencrypted handshake message.
bool looks_like_sslv2(Bytes d) noexcept {
  return d.size() >= 3 && d[0] >= 0x80 && d[2] <= 5;
}

// tshark's TLS heuristic for ports not registered as TLS: a handshake or application-data
// record with a plausible length, or an SSLv2-compatible ClientHello.
bool tls_heuristic(Bytes d) noexcept {
  if (d.size() >= 5 && (d[0] == Tls::handshake || d[0] == Tls::application_data) &&
      valid_record_version(load16(d.data() + 1))) {
    const std::uint16_t length = load16(d.data() + 3);
    return length != 0 && length < 16384 + 2048;
  }
  return d.size() >= 46 && d[0] == 0x80 && d[2] == 1 && load16(d.data() + 5) != 0 &&
         load16(d.data() + 5) % 3 == 0 &&
         (load16(d.data() + 7) == 0 || load16(d.data() + 7) == 16) && load16(d.data() + 9) == 32;
}

// ClientHello/ServerHello body: versions, the SNI, supported_versions.
void parse_hello(Tls& tls, Bytes body, bool client) noexcept {
  if (body.size() < 34) return;
  tls.hello_version = load16(body.data());
  std::size_t pos = 34;
  if (pos + 1 > body.size()) return;
  pos += 1 + std::size_t{body[pos]};  // session id
  if (client) {
    if (pos + 2 > body.size()) return;
    pos += 2 + std::size_t{load16(body.data() + pos)};  // cipher suites
    if (pos + 1 > body.size()) return;
    pos += 1 + std::size_t{body[pos]};  // compression methods
  } else {
    pos += 3;  // cipher suite, compression method
  }
  if (pos + 2 > body.size()) return;
  const std::size_t end = std::min(body.size(), pos + 2 + load16(body.data() + pos));
  pos += 2;
  while (pos + 4 <= end) {
    const std::uint16_t type = load16(body.data() + pos);
    const std::size_t length = load16(body.data() + pos + 2);
    pos += 4;
    if (pos + length > end) return;
    const Bytes ext = body.subspan(pos, length);
    pos += length;
    if (type == 0 && client && ext.size() >= 5 && ext[2] == 0) {
      const std::size_t name_length = load16(ext.data() + 3);
      if (5 + name_length <= ext.size()) tls.sni = as_text(ext.subspan(5, name_length));
    } else if (type == 43 && client && !ext.empty()) {
      for (std::size_t i = 1; i + 1 < ext.size() && i <= ext[0]; i += 2) {
        if (load16(ext.data() + i) == 0x0304) tls.offers_tls13 = true;
      }
    } else if (type == 43 && !client && ext.size() >= 2) {
      tls.hello_version = load16(ext.data());
    }
  }
}

}  // namespace

// tshark's TLS dissector when the session's version is unknown. It refuses a payload that
// starts with four printable characters: plain text, not TLS.
bool dissect_tls(Packet& p) noexcept {
  // Completeness is judged on the length on the wire, content on what was captured: a record
  // the snapshot length cut is complete, and marked truncated (tshark does the same).
  const Bytes d = p.payload;
  const std::size_t wire = std::max<std::size_t>(p.payload_length, d.size());
  const bool can_wait = d.size() == wire;  // a snapped segment cannot wait for the next one
  const auto cut = [&] { detail::set_problem(p, Problem::truncated, Layer::application); };
  if (wire > 4 && d.size() >= 4 && is_printable(d[0]) && is_printable(d[1]) && is_printable(d[2]) &&
      is_printable(d[3])) {
    return false;
  }
  p.app = App::tls;
  if (wire < 5) {
    p.app_incomplete = true;  // can_wait: d is all there is
    return true;
  }
  if (d.size() < 5) {
    cut();
    return true;
  }
  if (looks_like_sslv2(d)) {
    p.tls.sslv2 = true;
    p.tls.record_version = 0x0002;
    const std::size_t length = ((std::size_t{d[0]} & 0x7f) << 8) | d[1];
    p.tls.handshake_type = d[2];
    if (2 + length > wire) {
      p.app_incomplete = can_wait;
      if (!can_wait) {
        p.tls.sslv2 = false;  // tshark gives up on it: "SSL", nothing dissected
        cut();
      }
    } else {
      p.tls.record_count = 1;
      if (2 + length > d.size()) cut();
    }
    return true;
  }
  if (!looks_like_tls_record(d)) return true;  // continuation data
  std::size_t pos = 0;
  while (pos + 5 <= wire) {
    if (pos + 5 > d.size()) {
      cut();
      break;
    }
    if (!looks_like_tls_record(d.subspan(pos))) break;
    const std::size_t length = load16(d.data() + pos + 3);
    if (pos + 5 + length > wire && (can_wait || p.tls.record_count > 0)) break;
    const Bytes record = d.subspan(pos + 5, std::min(length, d.size() - pos - 5));
    if (record.size() < length) cut();
    if (p.tls.record_count == 0) {
      p.tls.content_type = d[pos];
      p.tls.record_version = load16(d.data() + pos + 1);
      if (p.tls.content_type == Tls::handshake && record.size() >= 4) {
        p.tls.handshake_type = record[0];
        const std::size_t hs_length = detail::load24(record.data() + 1);
        const Bytes body = record.subspan(4, std::min(hs_length, record.size() - 4));
        if (record[0] == 1 || record[0] == 2) parse_hello(p.tls, body, record[0] == 1);
      }
    }
    if (p.tls.record_count < 0xffff) ++p.tls.record_count;
    pos += 5 + length;
  }
  if (p.tls.record_count == 0) p.app_incomplete = true;
  return true;
}

namespace {

// ---- DNS over TCP: a 2-byte length, then the message.
void dissect_dns_tcp(Packet& p) noexcept {
  p.app = App::dns;
  if (p.payload.size() < 2) {
    p.app_incomplete = true;
    return;
  }
  const std::size_t length = load16(p.payload.data());
  if (2 + length > p.payload.size()) {
    p.app_incomplete = true;
    return;
  }
  dissect_dns(p, p.payload.subspan(2, length), Dns::Flavor::dns);
}

bool has_line_end(Bytes d) noexcept {
  return std::find(d.begin(), d.end(), '\n') != d.end();
}

bool is_http_port(std::uint16_t port) noexcept {
  switch (port) {
    case 80:
    case 1900:
    case 2710:
    case 2869:
    case 3128:
    case 3132:
    case 5985:
    case 8080:
    case 8088:
    case 11371:
      return true;
    default:
      return false;
  }
}

bool is_tls_port(std::uint16_t port) noexcept {
  switch (port) {
    case 443:
    case 465:
    case 636:
    case 853:
    case 993:
    case 995:
    case 5061:
    case 8883:
      return true;
    default:
      return false;
  }
}

// The dissector registered on `port`, if any, tried on the payload. Returns whether it claimed
// the payload.
bool try_tcp_port(Packet& p, std::uint16_t port) noexcept {
  if (is_http_port(port)) {
    // tshark's HTTP takes the port's data even when it is no HTTP message (it shows TCP then).
    if (!dissect_http(p)) p.app = App::none;
    return true;
  }
  if (is_tls_port(port)) return dissect_tls(p);
  switch (port) {
    case 53:
      dissect_dns_tcp(p);
      return true;
    case 21:
      p.app = App::ftp;
      return true;
    case 22:
      p.app = App::ssh;
      return true;
    case 23:
      p.app = App::telnet;
      return true;
    case 110:
      p.app = App::pop;
      return true;
    case 143:
      // IMAP hands STARTTLS traffic to TLS.
      if (looks_like_tls_record(p.payload) && dissect_tls(p) && !p.app_incomplete) return true;
      p.app_incomplete = false;
      p.tls = Tls{};
      p.app = App::imap;
      return true;
    case 25:
    case 587:
      p.app = App::smtp;
      // A client's command waits for its line end (unless the capture cut it off).
      p.app_incomplete =
          p.dst_port == port && !has_line_end(p.payload) && p.payload.size() == p.payload_length;
      return true;
    default:
      return false;
  }
}

void dissect_tcp_payload(Packet& p) noexcept {
  const std::uint16_t low = std::min(p.src_port, p.dst_port);
  const std::uint16_t high = std::max(p.src_port, p.dst_port);
  if (try_tcp_port(p, low)) return;
  if (high != low && try_tcp_port(p, high)) return;
  if (dissect_http(p)) return;
  if (tls_heuristic(p.payload)) dissect_tls(p);
}

void dissect_udp_payload(Packet& p) noexcept {
  for (std::uint16_t port : {std::min(p.src_port, p.dst_port), std::max(p.src_port, p.dst_port)}) {
    switch (port) {
      case 53:
        p.app = App::dns;
        return dissect_dns(p, p.payload, Dns::Flavor::dns);
      case 5353:
        p.app = App::dns;
        return dissect_dns(p, p.payload, Dns::Flavor::mdns);
      case 5355:
        p.app = App::dns;
        return dissect_dns(p, p.payload, Dns::Flavor::llmnr);
      default:
        break;
    }
  }
}

}  // namespace

void dissect_application(Packet& p) noexcept {
  if (p.transport == Transport::udp) return dissect_udp_payload(p);
  if (p.transport != Transport::tcp || p.payload.empty()) return;
  dissect_tcp_payload(p);
  // A segment the snapshot length cut cannot wait for the rest of its message: shown as is.
  if (p.app_incomplete && p.payload.size() < p.payload_length) {
    p.app_incomplete = false;
    set_problem(p, Problem::truncated, Layer::application);
  }
}

}  // namespace wirekit::capture::detail
