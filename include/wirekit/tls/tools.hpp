// TLS tools: look at a server's TLS (`wirekit tls probe`, the tutorial's §7.1) and make a
// development CA and certificate (`wirekit tls selfsigned`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/core.hpp>
#include <wirekit/tls/context.hpp>

namespace wirekit::tls {

struct ProbeOptions {
  std::string sni;  // the name sent and verified; empty: the host
  ClientOptions client;
  bool http = false;  // also send "GET / HTTP/1.1" and keep the first 1024 bytes of the answer
  Duration timeout = std::chrono::seconds(10);  // connect, handshake, and the HTTP answer
};

struct ProbeResult {
  std::string version;  // "TLSv1.3"
  std::string cipher;
  std::string alpn;
  bool session_reused = false;
  std::optional<CertificateInfo> certificate;
  std::string verification;   // "ok" or why the certificate does not verify
  std::string http_response;  // with ProbeOptions::http
};

// Connects to host:port and completes a handshake (verification failures throw unless
// options.client.verify is off; the result then says what failed).
Task<ProbeResult> probe(std::string_view host, std::uint16_t port, const ProbeOptions& options);

// The report `wirekit tls probe` prints, starting "Connected to TLSv1.3".
std::string format_probe(const ProbeResult& result);

struct SelfSignedOptions {
  std::string common_name = "localhost";
  int days = 30;
  // subjectAltNames besides the CN: DNS names or IP addresses. localhost, 127.0.0.1 and ::1
  // are always added, so the certificate serves loopback tests as it is.
  std::vector<std::string> names;
};

// A development CA and a certificate it signed (ECDSA P-256, SHA-256; serverAuth and
// clientAuth, so it also serves as a client certificate for mutual TLS), all PEM.
struct SelfSigned {
  std::string ca_cert;
  std::string ca_key;
  std::string cert;
  std::string key;
};
SelfSigned make_self_signed(const SelfSignedOptions& options);

// Writes ca.pem, ca-key.pem, cert.pem and key.pem into `dir` (created if missing); keys are
// readable by the owner only, and each file appears complete or not at all. Returns the
// paths written.
std::vector<std::filesystem::path> write_self_signed(const SelfSigned& files,
                                                     const std::filesystem::path& dir);

}  // namespace wirekit::tls
