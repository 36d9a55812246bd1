// The tutorial's §9.1 credential sniffer, done properly: logins sent in clear text over POP3,
// SMTP, IMAP, FTP and HTTP Basic, decoded where the protocol encodes them.
//
//   capture::CredentialScanner scanner;
//   std::vector<capture::Credential> found;
//   scanner.scan(packet, found);          // per packet (what the tutorial does)
//   for (auto& c : found) std::cout << c.protocol << ' ' << c.user.value_or("?") << '\n';
//
//   std::string alert = capture::tutorial_alert(packet);   // the tutorial's exact output
//
// The scanner reads client-to-server lines: a POP3/SMTP/IMAP/FTP command to the service's
// port (110; 25 and 587; 143; 21), and an HTTP request (any port) with an Authorization or
// Proxy-Authorization header of the Basic scheme. It keeps a little state per connection —
// the user named in an earlier line, the step of an AUTH LOGIN/PLAIN exchange whose base64
// follows on the next lines — bounded by Options::max_connections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <wirekit/capture/packet.hpp>

namespace wirekit::capture {

struct Credential {
  Timestamp time{};
  net::IpAddress source, destination;
  std::uint16_t source_port = 0, destination_port = 0;
  std::string_view protocol;  // "POP3", "SMTP", "IMAP", "FTP", "HTTP"
  // What the line does: "USER", "PASS", "APOP", "AUTH PLAIN", "AUTH LOGIN", "LOGIN",
  // "AUTHENTICATE PLAIN", "AUTHENTICATE LOGIN", "Basic".
  std::string_view method;
  std::string line;  // the payload line, without its line end; bytes outside ASCII escaped
  std::optional<std::string> user;      // decoded, when the exchange says it
  std::optional<std::string> password;  // decoded, when the exchange says it
};

class CredentialScanner {
 public:
  struct Options {
    std::size_t max_connections = 4096;  // connections remembered between lines
    std::size_t max_line = 4096;         // longer lines are cut at this length
  };

  CredentialScanner() : CredentialScanner(Options{}) {}
  explicit CredentialScanner(Options options) : options_(options) {}

  // Scans the TCP payload of one packet (each of its lines) and appends what it finds.
  void scan(const Packet& packet, std::vector<Credential>& out);

  // Scans in-order stream data of a connection, as a FlowTable's on_data hands it over:
  // complete lines only; returns the bytes consumed (a partial last line is left for the next
  // call, unless it is longer than max_line). `packet` gives the time and the endpoints.
  std::size_t scan_stream(const Packet& packet, std::string_view data,
                          std::vector<Credential>& out);

 private:
  struct Connection {
    std::optional<std::string> user;
    enum class Step : std::uint8_t { none, plain, login_user, login_password } step = Step::none;
    std::string_view method;
  };
  struct Key {
    net::IpAddress client, server;
    std::uint16_t client_port, server_port;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };

  std::size_t scan_lines(const Packet& packet, std::string_view data, bool last_line_complete,
                         std::vector<Credential>& out);
  void scan_line(const Packet& packet, std::string_view protocol, std::string_view line,
                 std::vector<Credential>& out);
  Connection& connection(const Packet& packet);

  Options options_;
  std::unordered_map<Key, Connection, KeyHash> connections_;
  std::deque<Key> arrival_;  // oldest first, for the bound
};

// The tutorial's output for a packet: when its TCP payload contains "user", "pass", "login" or
// "auth" (any case), "[*] Destination: <dst IP>\n[*] <payload>\n" (the payload without its
// final line end, control and non-ASCII bytes escaped); otherwise "".
std::string tutorial_alert(const Packet& packet);

}  // namespace wirekit::capture
