#include <algorithm>
#include <array>
#include <memory>
#include <system_error>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <wirekit/core/file.hpp>
#include <wirekit/net/tcp.hpp>
#include <wirekit/tls/stream.hpp>
#include <wirekit/tls/tools.hpp>

#include "openssl.hpp"

namespace wirekit::tls {

// ---- probe --------------------------------------------------------------------------------------

Task<ProbeResult> probe(std::string_view host, std::uint16_t port, const ProbeOptions& options) {
  ClientOptions client_options = options.client;
  if (client_options.alpn.empty() && options.http) client_options.alpn = {"http/1.1"};
  const ClientContext context(client_options);
  const std::string name(options.sni.empty() ? host : std::string_view(options.sni));
  net::ConnectOptions connect;
  connect.timeout = options.timeout;
  net::TcpStream socket = co_await net::TcpStream::connect(host, port, connect);
  auto inner = std::make_unique<net::TcpStream>(std::move(socket));
  TlsStream tls(std::move(inner), context, name);
  co_await tls.handshake().timeout(options.timeout);

  ProbeResult result;
  result.version = tls.version();
  result.cipher = tls.cipher();
  result.alpn = tls.alpn();
  result.session_reused = tls.session_reused();
  result.certificate = tls.peer_certificate();
  result.verification = tls.verification();
  if (options.http) {
    // The tutorial's request, with Connection: close so that the answer ends.
    const std::string request =
        fmt::format("GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", name);
    co_await tls.write(request).timeout(options.timeout);
    static constexpr std::size_t shown = 1024;
    result.http_response.resize(shown);
    std::size_t have = 0;
    while (have < shown) {
      const std::size_t n =
          co_await tls
              .read_some(std::as_writable_bytes(std::span(result.http_response)).subspan(have))
              .timeout(options.timeout);
      if (n == 0) break;
      have += n;
    }
    result.http_response.resize(have);
  }
  co_return result;
}

std::string format_probe(const ProbeResult& result) {
  std::string out = fmt::format("Connected to {}\nCipher: {}\nALPN: {}\n", result.version,
                                result.cipher, result.alpn.empty() ? "none" : result.alpn);
  if (result.session_reused) out += "Session: resumed\n";
  if (const auto& cert = result.certificate) {
    out += fmt::format("Subject: {}\nIssuer: {}\n", cert->subject, cert->issuer);
    std::string sans;
    for (const std::string& name : cert->subject_alt_names) {
      sans += sans.empty() ? name : ", " + name;
    }
    out += fmt::format("Subject alt names: {}\nNot after: {}\nSHA-256 fingerprint: {}\n",
                       sans.empty() ? "none" : sans, cert->not_after, cert->sha256_fingerprint);
  } else {
    out += "Certificate: none\n";
  }
  out += fmt::format("Verification: {}\n", result.verification);
  if (!result.http_response.empty()) out += "\n" + result.http_response + "\n";
  return out;
}

// ---- self-signed --------------------------------------------------------------------------------

namespace {

using detail::PkeyPtr;

void check(int ok, std::string_view what) {
  if (ok != 1)
    throw Error(errc::invalid_argument, fmt::format("{}: {}", what, detail::openssl_error()));
}

PkeyPtr p256_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw Error(errc::invalid_argument, "EC key generation: " + detail::openssl_error());
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) throw Error(errc::invalid_argument, "certificate extension " + value);
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(added, "certificate extension");
}

// A certificate for `key`'s public half, issued by `issuer` (none: self-issued), unsigned.
detail::X509Ptr make_certificate(const std::string& common_name, EVP_PKEY* key, int days,
                                 X509* issuer) {
  detail::X509Ptr cert(X509_new());
  check(X509_set_version(cert.get(), X509_VERSION_3), "certificate version");
  BIGNUM* serial = BN_new();
  check(BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "certificate serial");
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  // Valid from an hour ago: clocks of the machines on a test network disagree a little.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("wirekit development"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name),
        "certificate issuer");
  check(X509_set_pubkey(cert.get(), key), "certificate key");
  X509* signer = issuer ? issuer : cert.get();
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer) {
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  }
  return cert;
}

std::string pem_of(X509* cert) {
  const detail::BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert), "PEM certificate");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

std::string pem_of(EVP_PKEY* key) {
  const detail::BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "PEM key");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

std::string alt_names(const SelfSignedOptions& options) {
  std::vector<std::string> names = {options.common_name, "localhost", "127.0.0.1", "::1"};
  names.insert(names.end(), options.names.begin(), options.names.end());
  std::string text;
  std::vector<std::string> seen;
  for (const std::string& name : names) {
    if (name.empty() || std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    std::array<unsigned char, 16> address{};
    const bool ip = inet_pton(AF_INET, name.c_str(), address.data()) == 1 ||
                    inet_pton(AF_INET6, name.c_str(), address.data()) == 1;
    if (!ip && name.find_first_of(", \t\r\n") != std::string::npos) {
      throw Error(errc::invalid_argument, "certificate name '" + name + "': not a host name");
    }
    text += fmt::format("{}{}:{}", text.empty() ? "" : ",", ip ? "IP" : "DNS", name);
  }
  return text;
}

}  // namespace

SelfSigned make_self_signed(const SelfSignedOptions& options) {
  if (options.days < 1 || options.days > 3650) {
    throw Error(errc::invalid_argument,
                fmt::format("certificate lifetime {} days: must be 1 to 3650", options.days));
  }
  if (options.common_name.empty() || options.common_name.size() > 64) {
    throw Error(errc::invalid_argument, "certificate common name: 1 to 64 characters");
  }
  const PkeyPtr ca_key = p256_key();
  const detail::X509Ptr ca =
      make_certificate("wirekit development CA", ca_key.get(), options.days, nullptr);
  add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()) > 0 ? 1 : 0, "CA signature");

  const PkeyPtr key = p256_key();
  const detail::X509Ptr cert =
      make_certificate(options.common_name, key.get(), options.days, ca.get());
  add_extension(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth,clientAuth");
  add_extension(cert.get(), ca.get(), NID_subject_alt_name, alt_names(options));
  check(X509_sign(cert.get(), ca_key.get(), EVP_sha256()) > 0 ? 1 : 0, "certificate signature");

  return {pem_of(ca.get()), pem_of(ca_key.get()), pem_of(cert.get()), pem_of(key.get())};
}

std::vector<std::filesystem::path> write_self_signed(const SelfSigned& files,
                                                     const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ec, "create directory " + dir.string());
  const std::vector<std::pair<std::string, const std::string*>> outputs = {
      {"ca.pem", &files.ca_cert},
      {"ca-key.pem", &files.ca_key},
      {"cert.pem", &files.cert},
      {"key.pem", &files.key}};
  std::vector<std::filesystem::path> written;
  for (const auto& [name, data] : outputs) {
    const bool secret = name.ends_with("key.pem");
    written.push_back(dir / name);
    write_file_atomically(written.back(), *data, secret ? 0600 : 0644);
  }
  return written;
}

}  // namespace wirekit::tls
