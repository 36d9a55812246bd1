// TLS configuration (OpenSSL 3): what a client trusts and offers, what a server presents.
//
// A context is made once and shared by every connection (and every loop thread) that uses it:
//
//   tls::ClientContext client;                               // system CAs, verification on
//   tls::ServerContext server{{.certificates = {{"cert.pem", "key.pem"}}}};
//
// Contexts are cheap to copy (they share their state) and safe to use from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wirekit/core.hpp>

namespace wirekit::tls {

enum class Version : std::uint8_t { tls1_2, tls1_3 };

// A certificate, key or CA file that cannot be used (missing, unreadable, not PEM, a key not
// matching its certificate): errc::invalid_argument, with the file, so a configuration reader
// can point at the setting that named it.
class FileError : public Error {
 public:
  FileError(std::string path, const std::string& message)
      : Error(errc::invalid_argument, message), path_(std::move(path)) {}
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

// A certificate as a person reads it (the peer's, after a handshake).
struct CertificateInfo {
  std::string subject;  // RFC 2253: "CN=localhost,O=wirekit"
  std::string issuer;
  std::vector<std::string> subject_alt_names;  // "DNS:localhost", "IP:127.0.0.1"
  std::string not_before;                      // "Nov 26 02:00:00 2026 GMT", as Python prints it
  std::string not_after;
  std::chrono::system_clock::time_point expires;  // notAfter as a time
  std::string serial;                             // hexadecimal
  std::string sha256_fingerprint;                 // "AB:CD:..."
};

struct ClientOptions {
  // Check the server's chain against the trusted CAs and its name against the certificate.
  // Off (`--insecure`) only for development: anyone on the path can then read the traffic.
  bool verify = true;
  std::string ca_file;  // trust these PEM certificates instead of the system store
  // A certificate and key to present when the server asks (mutual TLS).
  std::string cert_file;
  std::string key_file;
  std::vector<std::string> alpn;  // protocols to offer, in preference order ("http/1.1")
  Version min_version = Version::tls1_2;
  std::string ciphers;  // TLS 1.2 cipher list in OpenSSL's syntax; empty: OpenSSL's defaults
  // Remember sessions per server (name and port) and offer them again: a resumed handshake
  // skips the certificate exchange and the signature.
  bool resume_sessions = true;
  std::size_t session_cache_size = 256;  // servers remembered, least recently used dropped
};

class ClientContext {
 public:
  // Loads the CAs and the client certificate now; throws Error(invalid_argument) naming the
  // file that cannot be used.
  explicit ClientContext(const ClientOptions& options);
  ClientContext();  // the defaults: system CAs, verification on

  const ClientOptions& options() const noexcept;

  // Internal: what the connections made with this context share (src/tls).
  struct State;
  State& state() const noexcept { return *state_; }

 private:
  std::shared_ptr<State> state_;
};

struct CertificateFiles {
  std::string cert_file;  // PEM: the certificate, then its intermediates
  std::string key_file;   // PEM: its private key
};

struct ServerOptions {
  // The first is presented by default; the others when a client's SNI names one of their
  // names (subjectAltName DNS entries, wildcards included, or the CN without them).
  std::vector<CertificateFiles> certificates;
  std::vector<std::string> alpn = {"http/1.1"};  // accepted protocols, server's preference
  // Mutual TLS: client certificates are checked against these CAs, and required if asked.
  std::string client_ca_file;
  bool require_client_certificate = false;
  Version min_version = Version::tls1_2;
  // TLS 1.2 cipher list in OpenSSL's syntax; empty: forward-secret AEAD suites only (ECDHE
  // with AES-GCM or ChaCha20-Poly1305; no static RSA, no CBC). The server's order wins.
  std::string ciphers;
  bool session_tickets = true;  // stateless resumption; the keys live as long as the process
  Duration handshake_timeout = std::chrono::seconds(10);
};

class ServerContext {
 public:
  // Loads every certificate and key now; throws Error(invalid_argument) naming the file that
  // cannot be read or does not match its key.
  explicit ServerContext(ServerOptions options);

  // Reads the files again (after a renewal; SIGHUP in the CLI). New handshakes use the new
  // certificates, open connections keep theirs. On failure throws and keeps the old ones.
  void reload();

  const ServerOptions& options() const noexcept;

  // Internal: the loaded certificates and ticket keys the connections share (src/tls).
  struct State;
  State& state() const noexcept { return *state_; }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace wirekit::tls
