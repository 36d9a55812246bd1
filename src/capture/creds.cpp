#include <algorithm>

#include <wirekit/capture/creds.hpp>
#include <wirekit/codec.hpp>
#include <wirekit/core/ascii.hpp>
#include <wirekit/core/error.hpp>

#include "dissect_detail.hpp"

namespace wirekit::capture {

namespace {

using Step = std::uint8_t;

using ascii::icontains;
using ascii::iequals;

// The next space-separated token of `rest` (which is advanced past it).
std::string_view next_token(std::string_view& rest) noexcept {
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const auto end = std::min(rest.find(' '), rest.size());
  const std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return token;
}

// An IMAP astring: an atom, or a quoted string with \" and \\ escapes.
std::string next_astring(std::string_view& rest) {
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty() || rest.front() != '"') return std::string(next_token(rest));
  std::string value;
  std::size_t i = 1;
  for (; i < rest.size() && rest[i] != '"'; ++i) {
    if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
    value += rest[i];
  }
  rest.remove_prefix(std::min(rest.size(), i + 1));
  return value;
}

std::optional<std::string> base64_text(std::string_view encoded) {
  try {
    return codec::base64_decode(encoded);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// SASL PLAIN: authorization id, NUL, user, NUL, password.
void decode_plain(std::string_view encoded, Credential& c) {
  const auto text = base64_text(encoded);
  if (!text) return;
  const auto first = text->find('\0');
  if (first == std::string::npos) return;
  const auto second = text->find('\0', first + 1);
  if (second == std::string::npos) return;
  c.user = text->substr(first + 1, second - first - 1);
  c.password = text->substr(second + 1);
}

std::string_view service(const Packet& p) noexcept {
  switch (p.dst_port) {
    case 110:
      return "POP3";
    case 25:
    case 587:
      return "SMTP";
    case 143:
      return "IMAP";
    case 21:
      return "FTP";
    default:
      return "HTTP";
  }
}

}  // namespace

std::size_t CredentialScanner::KeyHash::operator()(const Key& k) const noexcept {
  const std::hash<net::IpAddress> hash;
  const std::uint64_t h = hash(k.client) ^ (hash(k.server) * 0x9e3779b97f4a7c15ull) ^
                          (std::uint64_t{k.client_port} << 16) ^ k.server_port;
  return static_cast<std::size_t>(h ^ (h >> 31));
}

CredentialScanner::Connection& CredentialScanner::connection(const Packet& p) {
  const Key key{*p.src, *p.dst, p.src_port, p.dst_port};
  auto it = connections_.find(key);
  if (it != connections_.end()) return it->second;
  while (connections_.size() >= std::max<std::size_t>(options_.max_connections, 1)) {
    connections_.erase(arrival_.front());
    arrival_.pop_front();
  }
  arrival_.push_back(key);
  return connections_[key];
}

void CredentialScanner::scan_line(const Packet& p, std::string_view protocol, std::string_view line,
                                  std::vector<Credential>& out) {
  Credential c;
  c.time = p.timestamp;
  c.source = *p.src;
  c.destination = *p.dst;
  c.source_port = p.src_port;
  c.destination_port = p.dst_port;
  c.protocol = protocol;
  const auto emit = [&](std::string_view method) {
    c.method = method;
    detail::append_escaped(c.line, line);
    out.push_back(std::move(c));
  };

  if (protocol == "HTTP") {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view name = line.substr(0, colon);
    if (!iequals(name, "authorization") && !iequals(name, "proxy-authorization")) return;
    std::string_view value = line.substr(colon + 1);
    if (!iequals(next_token(value), "basic")) return;
    if (const auto text = base64_text(next_token(value))) {
      const auto sep = text->find(':');
      c.user = text->substr(0, sep);
      if (sep != std::string::npos) c.password = text->substr(sep + 1);
    }
    return emit("Basic");
  }

  Connection& conn = connection(p);
  // The base64 lines that follow an AUTH/AUTHENTICATE command ("*" cancels).
  if (conn.step != Connection::Step::none) {
    const auto step = conn.step;
    conn.step = Connection::Step::none;
    if (line != "*") {
      c.user = conn.user;
      if (step == Connection::Step::plain) {
        decode_plain(line, c);
        if (c.user) conn.user = c.user;
      } else if (step == Connection::Step::login_user) {
        c.user = conn.user = base64_text(line);
        conn.step = Connection::Step::login_password;
      } else {
        c.password = base64_text(line);
      }
      return emit(conn.method);
    }
  }

  std::string_view rest = line;
  if (protocol == "IMAP") next_token(rest);  // the tag
  const std::string_view command = next_token(rest);
  const bool imap = protocol == "IMAP";
  if ((protocol == "POP3" || protocol == "FTP") && iequals(command, "USER")) {
    c.user = conn.user = std::string(next_token(rest));
    return emit("USER");
  }
  if ((protocol == "POP3" || protocol == "FTP") && iequals(command, "PASS")) {
    c.user = conn.user;
    c.password = std::string(rest);
    return emit("PASS");
  }
  if (protocol == "POP3" && iequals(command, "APOP")) {
    c.user = conn.user = std::string(next_token(rest));
    return emit("APOP");
  }
  if (imap && iequals(command, "LOGIN")) {
    c.user = conn.user = next_astring(rest);
    c.password = next_astring(rest);
    return emit("LOGIN");
  }
  const bool sasl =
      imap ? iequals(command, "AUTHENTICATE") : (protocol != "FTP" && iequals(command, "AUTH"));
  if (!sasl) return;
  const std::string_view mechanism = next_token(rest);
  const std::string_view initial = next_token(rest);
  if (iequals(mechanism, "PLAIN")) {
    conn.method = imap ? "AUTHENTICATE PLAIN" : "AUTH PLAIN";
    if (initial.empty() || initial == "=") {
      conn.step = Connection::Step::plain;
    } else {
      decode_plain(initial, c);
      if (c.user) conn.user = c.user;
    }
    return emit(conn.method);
  }
  if (iequals(mechanism, "LOGIN")) {
    conn.method = imap ? "AUTHENTICATE LOGIN" : "AUTH LOGIN";
    conn.step = Connection::Step::login_user;
    if (!initial.empty()) {
      c.user = conn.user = base64_text(initial);
      conn.step = Connection::Step::login_password;
    }
    return emit(conn.method);
  }
  emit(imap ? "AUTHENTICATE" : "AUTH");
}

void CredentialScanner::scan(const Packet& p, std::vector<Credential>& out) {
  if (p.transport == Transport::tcp) scan_lines(p, detail::as_text(p.payload), true, out);
}

std::size_t CredentialScanner::scan_stream(const Packet& p, std::string_view data,
                                           std::vector<Credential>& out) {
  if (p.transport != Transport::tcp) return data.size();
  return scan_lines(p, data, false, out);
}

// A mail or FTP server's own lines are not looked at: the protocol is the destination port's,
// and from a server's port only HTTP's Authorization lines could match (they never come).
std::size_t CredentialScanner::scan_lines(const Packet& p, std::string_view data,
                                          bool last_line_complete, std::vector<Credential>& out) {
  const std::string_view protocol = service(p);
  std::size_t pos = 0;
  while (pos < data.size()) {
    auto end = data.find('\n', pos);
    if (end == std::string_view::npos) {
      if (!last_line_complete && data.size() - pos <= options_.max_line) break;
      end = data.size();
    }
    std::string_view line = data.substr(pos, end - pos);
    pos = std::min(end + 1, data.size());
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > options_.max_line) line = line.substr(0, options_.max_line);
    if (!line.empty()) scan_line(p, protocol, line, out);
  }
  return pos;
}

std::string tutorial_alert(const Packet& p) {
  if (p.transport != Transport::tcp || p.payload.empty()) return {};
  std::string_view payload = detail::as_text(p.payload);
  if (!icontains(payload, "user") && !icontains(payload, "pass") && !icontains(payload, "login") &&
      !icontains(payload, "auth")) {
    return {};
  }
  while (!payload.empty() && (payload.back() == '\n' || payload.back() == '\r')) {
    payload.remove_suffix(1);
  }
  std::string out = "[*] Destination: " + p.dst->to_string() + "\n[*] ";
  detail::append_escaped(out, payload);
  out += '\n';
  return out;
}

}  // namespace wirekit::capture
