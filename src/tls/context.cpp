#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <strings.h>

#include <wirekit/tls/context.hpp>

#include "context_state.hpp"
#include "openssl.hpp"

namespace wirekit::tls {

namespace detail {

void configure_common(SSL_CTX* ctx, bool tls1_3_only, const std::string& ciphers) {
  SSL_CTX_set_min_proto_version(ctx, tls1_3_only ? TLS1_3_VERSION : TLS1_2_VERSION);
  // No compression (CRIME), no renegotiation; a peer that closes without close_notify ends
  // the stream like one that sends it (Python's suppress_ragged_eofs): HTTP frames its own
  // bodies, and a truncated body is caught there.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes and a moving buffer: Stream's writes retry with what is left, from
  // wherever it now is. Buffers released while idle: an idle connection keeps ~30 KiB less.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // Read whole socket buffers at a time, not a record header and then its body.
  SSL_CTX_set_read_ahead(ctx, 1);
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    throw Error(errc::invalid_argument,
                "TLS cipher list '" + ciphers + "': " + detail::openssl_error());
  }
}

}  // namespace detail

namespace {

// A server's TLS 1.2 suites when none are given: key exchange with forward secrecy and AEAD
// ciphers only (Mozilla's "intermediate" list without DHE, which needs parameters of its own),
// strongest first. TLS 1.3 suites are all of this kind already.
constexpr const char* forward_secret_ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

SSL_CTX* new_context(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (!ctx) throw Error(errc::invalid_argument, "TLS: " + detail::openssl_error());
  return ctx;
}

// The file's own problem (missing, unreadable) as the OS says it, before OpenSSL's less
// helpful "no such file" or "system lib".
void check_readable(const std::string& path, std::string_view what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    throw FileError(path, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
  }
  std::fclose(f);
}

void load_certificate(SSL_CTX* ctx, const CertificateFiles& files) {
  check_readable(files.cert_file, "TLS certificate");
  check_readable(files.key_file, "TLS key");
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1) {
    throw FileError(files.cert_file,
                    "TLS certificate " + files.cert_file + ": " + detail::openssl_error());
  }
  const auto mismatch = [&] {
    ERR_clear_error();
    return FileError(files.key_file, "TLS key " + files.key_file +
                                         " does not match the certificate " + files.cert_file);
  };
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH) throw mismatch();
    throw FileError(files.key_file, "TLS key " + files.key_file + ": " + detail::openssl_error());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) throw mismatch();
}

void load_trusted(SSL_CTX* ctx, const std::string& ca_file, std::string_view what) {
  check_readable(ca_file, what);
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    throw FileError(ca_file, fmt::format("{} {}: {}", what, ca_file, detail::openssl_error()));
  }
}

// ALPN's wire form: each name prefixed by its length.
std::string alpn_wire(const std::vector<std::string>& names) {
  std::string wire;
  for (const std::string& name : names) {
    if (name.empty() || name.size() > 255) {
      throw Error(errc::invalid_argument, "ALPN protocol name '" + name + "': 1 to 255 bytes");
    }
    wire += static_cast<char>(name.size());
    wire += name;
  }
  return wire;
}

// The DNS names a certificate answers to: its subjectAltName DNS entries, or its CN without
// them (RFC 6125).
std::vector<std::string> names_of(SSL_CTX* ctx) {
  std::vector<std::string> names;
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (!cert) return names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
      if (name->type != GEN_DNS) continue;
      const ASN1_IA5STRING* dns = name->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                         static_cast<std::size_t>(ASN1_STRING_length(dns)));
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    std::array<char, 256> cn{};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn.data(),
                                  static_cast<int>(cn.size())) > 0) {
      names.emplace_back(cn.data());
    }
  }
  return names;
}

bool name_matches(const std::string& pattern, const char* host) {
  // A wildcard stands for exactly one leftmost label: *.example.com matches a.example.com,
  // neither example.com nor a.b.example.com.
  if (pattern.starts_with("*.")) {
    const char* dot = std::strchr(host, '.');
    return dot && dot != host && strcasecmp(dot + 1, pattern.c_str() + 2) == 0;
  }
  return strcasecmp(pattern.c_str(), host) == 0;
}

int select_certificate(SSL* ssl, int* /*alert*/, void* arg) {
  const auto& loaded = *static_cast<const LoadedCertificates*>(arg);
  const char* host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!host) return SSL_TLSEXT_ERR_NOACK;
  for (std::size_t i = 1; i < loaded.contexts.size(); ++i) {
    for (const std::string& name : loaded.names[i]) {
      if (name_matches(name, host)) {
        SSL_set_SSL_CTX(ssl, loaded.contexts[i].get());
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_OK;  // the default certificate
}

int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_len,
                const unsigned char* offered, unsigned int offered_len, void* arg) {
  const auto& wire = *static_cast<const std::string*>(arg);
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_len, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned int>(wire.size()), offered,
                            offered_len) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // no protocol in common: go on without ALPN
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

int remember_session(SSL* ssl, SSL_SESSION* session) {
  auto* cache = static_cast<SessionCache*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  const auto* key = static_cast<const std::string*>(SSL_get_app_data(ssl));
  if (!cache || !key || key->empty()) return 0;
  cache->store(*key, session);
  return 1;  // the cache owns the session now
}

}  // namespace

// ---- client -------------------------------------------------------------------------------------

detail::SessionPtr SessionCache::take(const std::string& key) {
  const std::lock_guard lock(mutex_);
  const auto found = index_.find(key);
  if (found == index_.end()) return nullptr;
  // TLS 1.3 tickets are for one use: the next connection gets a fresh one from the server.
  detail::SessionPtr session = std::move(found->second->second);
  order_.erase(found->second);
  index_.erase(found);
  return session;
}

void SessionCache::store(const std::string& key, SSL_SESSION* session) {
  const std::lock_guard lock(mutex_);
  if (const auto found = index_.find(key); found != index_.end()) {
    order_.erase(found->second);
    index_.erase(found);
  }
  order_.emplace_front(key, detail::SessionPtr(session));
  index_.emplace(key, order_.begin());
  while (order_.size() > capacity_) {
    index_.erase(order_.back().first);
    order_.pop_back();
  }
}

ClientContext::ClientContext() : ClientContext(ClientOptions{}) {}

ClientContext::ClientContext(const ClientOptions& options) : state_(std::make_shared<State>()) {
  State& s = *state_;
  s.options = options;
  s.ctx.reset(new_context(TLS_client_method()));
  SSL_CTX* ctx = s.ctx.get();
  detail::configure_common(ctx, options.min_version == Version::tls1_3, options.ciphers);
  if (!options.ca_file.empty()) {
    load_trusted(ctx, options.ca_file, "CA file");
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    throw Error(errc::invalid_argument, "TLS: system CA store: " + detail::openssl_error());
  }
  SSL_CTX_set_verify(ctx, options.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    load_certificate(ctx, {options.cert_file, options.key_file});
  }
  if (!options.alpn.empty()) {
    const std::string wire = alpn_wire(options.alpn);
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned int>(wire.size()));
  }
  if (options.resume_sessions) {
    s.sessions = std::make_unique<SessionCache>(options.session_cache_size);
    SSL_CTX_set_app_data(ctx, s.sessions.get());
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, remember_session);
  }
}

const ClientOptions& ClientContext::options() const noexcept {
  return state_->options;
}

// ---- server -------------------------------------------------------------------------------------

std::shared_ptr<const LoadedCertificates> ServerContext::State::load() const {
  if (options.certificates.empty()) {
    throw Error(errc::invalid_argument, "TLS server: no certificate given");
  }
  auto loaded = std::make_shared<LoadedCertificates>();
  loaded->alpn = alpn_wire(options.alpn);
  for (const CertificateFiles& files : options.certificates) {
    detail::SslCtxPtr owned(new_context(TLS_server_method()));
    SSL_CTX* ctx = owned.get();
    detail::configure_common(ctx, options.min_version == Version::tls1_3,
                             options.ciphers.empty() ? forward_secret_ciphers : options.ciphers);
    // Our order, not the client's: a client that lists static RSA first still gets ECDHE.
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    load_certificate(ctx, files);
    if (!options.client_ca_file.empty()) {
      load_trusted(ctx, options.client_ca_file, "client CA file");
      SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(options.client_ca_file.c_str()));
      SSL_CTX_set_verify(
          ctx,
          SSL_VERIFY_PEER |
              (options.require_client_certificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
          nullptr);
    }
    // Sessions resumed by ID (TLS 1.2 without tickets) need a context name; one per server.
    static constexpr unsigned char session_context[] = "wirekit";
    SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context - 1);
    if (options.session_tickets) {
      // Every loop thread and every reload encrypts tickets with the same keys, so a ticket
      // from one connection resumes on any other.
      SSL_CTX_set_tlsext_ticket_keys(ctx, const_cast<unsigned char*>(ticket_keys.data()),
                                     static_cast<long>(ticket_keys.size()));
      // One ticket per handshake, not OpenSSL's two: a client keeps one per server.
      SSL_CTX_set_num_tickets(ctx, 1);
    } else {
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(ctx, 0);
    }
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, const_cast<std::string*>(&loaded->alpn));
    // SSL_CTX_set_tlsext_servername_callback, without its C cast.
    SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                          reinterpret_cast<void (*)()>(select_certificate));
    SSL_CTX_set_tlsext_servername_arg(ctx, loaded.get());
    loaded->names.push_back(names_of(ctx));
    loaded->contexts.push_back(std::move(owned));
  }
  return loaded;
}

std::shared_ptr<const LoadedCertificates> ServerContext::State::current() const {
  const std::lock_guard lock(mutex);
  return certificates;
}

ServerContext::ServerContext(ServerOptions options) : state_(std::make_shared<State>()) {
  state_->options = std::move(options);
  if (RAND_bytes(state_->ticket_keys.data(), static_cast<int>(state_->ticket_keys.size())) != 1) {
    throw Error(errc::invalid_argument, "TLS: random ticket keys: " + detail::openssl_error());
  }
  state_->certificates = state_->load();
}

void ServerContext::reload() {
  auto fresh = state_->load();
  const std::lock_guard lock(state_->mutex);
  state_->certificates = std::move(fresh);
}

const ServerOptions& ServerContext::options() const noexcept {
  return state_->options;
}

}  // namespace wirekit::tls
