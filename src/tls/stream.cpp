#include <algorithm>
#include <cstring>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>

#include <wirekit/tls/stream.hpp>

#include "certificate.hpp"
#include "context_state.hpp"
#include "openssl.hpp"

namespace wirekit::tls {

struct TlsStream::Connection {
  detail::SslPtr ssl;
  net::Stream* inner = nullptr;
  std::shared_ptr<const void> keep_alive;  // the server's certificates this handshake uses
  std::string session_key;                 // client: "host:port" in the session cache
  std::string server_name;
  std::error_code io_error;  // the inner stream's own failure, reported as it is
  std::string failure;       // why the TLS layer failed, for the handshake's message
  std::string staged;        // a gathered write OpenSSL has to be offered again (try_writev)
  bool eof = false;          // the inner stream ended
  bool broken = false;       // a fatal error: no close_notify may follow
  int first_byte = -1;       // of what the peer sent, once something arrived

  bool established() const noexcept { return SSL_is_init_finished(ssl.get()) == 1; }
};

namespace {

// ---- the BIO over the inner stream --------------------------------------------------------------

TlsStream::Connection& connection_of(BIO* bio) {
  return *static_cast<TlsStream::Connection*>(BIO_get_data(bio));
}

// Tells OpenSSL what an attempt of the inner stream came to: bytes (1); a wait, in whichever
// direction the stream named — a TLS read can need the socket writable and the other way
// round (0, with the retry flag); a failure or the end (0, without one, kept for outcome()).
int report(BIO* bio, const net::Attempt& a, std::size_t* done) {
  TlsStream::Connection& c = connection_of(bio);
  if (a.would_block) {
    if (a.wait_for == Interest::write) {
      BIO_set_retry_write(bio);
    } else {
      BIO_set_retry_read(bio);
    }
    return 0;
  }
  if (a.error) {
    c.io_error = a.error;
    return 0;
  }
  if (a.bytes == 0) {
    c.eof = true;
    return 0;
  }
  *done = a.bytes;
  return 1;
}

int bio_read(BIO* bio, char* data, std::size_t size, std::size_t* read) {
  BIO_clear_retry_flags(bio);
  TlsStream::Connection& c = connection_of(bio);
  const std::span bytes = std::as_writable_bytes(std::span(data, size));
  const int result = report(bio, c.inner->try_read(bytes), read);
  if (result == 1 && c.first_byte < 0) c.first_byte = static_cast<unsigned char>(data[0]);
  return result;
}

int bio_write(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  BIO_clear_retry_flags(bio);
  const std::span bytes = std::as_bytes(std::span(data, size));
  return report(bio, connection_of(bio).inner->try_write(bytes), written);
}

long bio_ctrl(BIO* bio, int command, long /*number*/, void* /*pointer*/) {
  switch (command) {
    case BIO_CTRL_FLUSH:  // writes go straight to the stream: nothing is ever held back
      return 1;
    case BIO_CTRL_EOF:  // OpenSSL asks before treating a close without close_notify as an end
      return connection_of(bio).eof ? 1 : 0;
    default:  // KTLS, datagram and pending-count controls do not apply to a stream
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* stream_bio_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wirekit stream");
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

bool is_ip_address(std::string_view host) {
  std::array<unsigned char, 16> ignored{};
  const std::string text(host);
  return inet_pton(AF_INET, text.c_str(), ignored.data()) == 1 ||
         inet_pton(AF_INET6, text.c_str(), ignored.data()) == 1;
}

std::string_view or_empty(const char* text) {
  return text ? std::string_view(text) : std::string_view();
}

// What went wrong, as one readable reason, from OpenSSL's error queue and the verification
// result; the queue is cleared.
std::string describe_failure(SSL* ssl, const std::string& server_name, errc& kind) {
  const unsigned long code = ERR_peek_error();
  const int reason = ERR_GET_REASON(code);
  kind = errc::tls_failed;
  if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    ERR_clear_error();
    kind = errc::certificate_rejected;
    const long verify = SSL_get_verify_result(ssl);
    std::string text =
        fmt::format("certificate verify failed: {}", X509_verify_cert_error_string(verify));
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      text += fmt::format(" (the certificate is not valid for '{}')", server_name);
    }
    return text;
  }
  std::string text = detail::openssl_error();
  switch (reason) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      text += "; wirekit speaks TLS 1.2 and 1.3 only";
      break;
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
      text += "; is the peer speaking TLS on this port?";
      break;
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
      text += "; the client sent plain HTTP to a TLS port";
      break;
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      text += "; the server requires a client certificate";
      break;
    default:
      break;
  }
  return text;
}

}  // namespace

// ---- TlsStream ----------------------------------------------------------------------------------

namespace {

SSL* attach(TlsStream::Connection& c, SSL_CTX* ctx, net::Stream& inner) {
  c.inner = &inner;
  c.ssl.reset(SSL_new(ctx));
  if (!c.ssl) throw Error(errc::tls_failed, "TLS: " + detail::openssl_error());
  BIO* bio = BIO_new(stream_bio_method());
  if (!bio) throw Error(errc::tls_failed, "TLS: " + detail::openssl_error());
  BIO_set_data(bio, &c);
  SSL_set_bio(c.ssl.get(), bio, bio);
  return c.ssl.get();
}

}  // namespace

TlsStream::TlsStream(std::unique_ptr<net::Stream> inner, const ClientContext& context,
                     std::string_view server_name)
    : inner_(std::move(inner)), connection_(std::make_unique<Connection>()) {
  Connection& c = *connection_;
  ClientContext::State& state = context.state();
  SSL* ssl = attach(c, state.ctx.get(), *inner_);
  c.server_name = std::string(server_name);
  set_read_timeout(inner_->read_timeout());
  set_write_timeout(inner_->write_timeout());
  handshake_timeout_ = inner_->read_timeout();
  const bool ip = is_ip_address(server_name);
  // SNI names a host; RFC 6066 forbids sending an address.
  if (!ip && !server_name.empty()) {
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, c.server_name.data());
  }
  // The name is checked even without verification, so that verification() can say what
  // would fail.
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, c.server_name.c_str());
  } else if (!server_name.empty()) {
    SSL_set1_host(ssl, c.server_name.c_str());
  }
  if (state.sessions) {
    c.session_key = fmt::format("{}|{}", server_name, inner_->describe());
    SSL_set_app_data(ssl, &c.session_key);
    if (detail::SessionPtr session = state.sessions->take(c.session_key)) {
      SSL_set_session(ssl, session.get());
    }
  }
  SSL_set_connect_state(ssl);
}

TlsStream::TlsStream(std::unique_ptr<net::Stream> inner, const ServerContext& context)
    : inner_(std::move(inner)), connection_(std::make_unique<Connection>()) {
  Connection& c = *connection_;
  auto certificates = context.state().current();
  SSL* ssl = attach(c, certificates->contexts.front().get(), *inner_);
  c.keep_alive = std::move(certificates);
  set_read_timeout(inner_->read_timeout());
  set_write_timeout(inner_->write_timeout());
  handshake_timeout_ = context.options().handshake_timeout;
  SSL_set_accept_state(ssl);
}

TlsStream::~TlsStream() {
  close();
}

net::Attempt TlsStream::outcome(int result, bool reading) noexcept {
  Connection& c = *connection_;
  const int error = SSL_get_error(c.ssl.get(), result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      ERR_clear_error();
      return net::Attempt::blocked(Interest::read);
    case SSL_ERROR_WANT_WRITE:
      ERR_clear_error();
      return net::Attempt::blocked(Interest::write);
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      if (!c.established()) break;
      // close_notify, or the end of the inner stream (see configure_common).
      if (reading) return net::Attempt::done(0);
      return net::Attempt::failed(make_error_code(errc::closed));
    default:
      break;
  }
  c.broken = true;
  if (c.io_error) {
    ERR_clear_error();
    return net::Attempt::failed(c.io_error);
  }
  if (c.eof && !c.established()) {
    ERR_clear_error();
    c.failure = "the peer closed the connection during the handshake";
    return net::Attempt::failed(make_error_code(errc::unexpected_eof));
  }
  errc kind = errc::tls_failed;
  try {
    c.failure = describe_failure(c.ssl.get(), c.server_name, kind);
  } catch (...) {
    ERR_clear_error();
  }
  return net::Attempt::failed(make_error_code(kind));
}

net::Attempt TlsStream::try_handshake() noexcept {
  if (!is_open()) return net::Attempt::failed(make_error_code(errc::closed));
  Connection& c = *connection_;
  ERR_clear_error();
  const int result = SSL_do_handshake(c.ssl.get());
  if (result == 1) return net::Attempt::done(0);
  return outcome(result, false);
}

net::Attempt TlsStream::try_read(std::span<std::byte> buffer) noexcept {
  if (!is_open()) return net::Attempt::failed(make_error_code(errc::closed));
  Connection& c = *connection_;
  ERR_clear_error();
  std::size_t n = 0;
  if (SSL_read_ex(c.ssl.get(), buffer.data(), buffer.size(), &n) == 1) {
    return net::Attempt::done(n);
  }
  return outcome(0, true);
}

net::Attempt TlsStream::try_write(std::span<const std::byte> data) noexcept {
  if (!is_open()) return net::Attempt::failed(make_error_code(errc::closed));
  Connection& c = *connection_;
  ERR_clear_error();
  std::size_t n = 0;
  if (SSL_write_ex(c.ssl.get(), data.data(), data.size(), &n) == 1) {
    return net::Attempt::done(n);
  }
  return outcome(0, false);
}

net::Attempt TlsStream::try_writev(std::span<const iovec> chunks) noexcept {
  Connection& c = *connection_;
  if (c.staged.empty()) {
    if (chunks.size() == 1) {
      return try_write(std::as_bytes(
          std::span(static_cast<const char*>(chunks.front().iov_base), chunks.front().iov_len)));
    }
    // One record for a response's head and body instead of one each. OpenSSL wants the same
    // bytes offered again after "want write", which the writers of Stream do (they retry with
    // what is left), so the gathered copy is kept until it is taken.
    static constexpr std::size_t gather_limit = 64 * 1024;
    for (const iovec& chunk : chunks) {
      const std::size_t room = gather_limit - c.staged.size();
      if (room == 0) break;
      c.staged.append(static_cast<const char*>(chunk.iov_base), std::min(room, chunk.iov_len));
    }
  }
  const net::Attempt a = try_write(std::as_bytes(std::span(c.staged)));
  if (!a.would_block) c.staged.clear();
  return a;
}

net::Attempt TlsStream::try_shutdown_write() noexcept {
  if (!is_open()) return net::Attempt::failed(make_error_code(errc::closed));
  Connection& c = *connection_;
  if (c.established() && !c.broken && !(SSL_get_shutdown(c.ssl.get()) & SSL_SENT_SHUTDOWN)) {
    ERR_clear_error();
    const int result = SSL_shutdown(c.ssl.get());
    if (result < 0) {
      const net::Attempt a = outcome(result, false);
      if (a.would_block || a.error) return a;
    }
  }
  return inner_->try_shutdown_write();
}

bool TlsStream::has_buffered_input() const noexcept {
  return is_open() && SSL_has_pending(connection_->ssl.get()) == 1;
}

void TlsStream::close() noexcept {
  if (!inner_ || !inner_->is_open()) return;
  Connection& c = *connection_;
  // A best-effort close_notify, if it fits in the socket now: the peer then knows the end is
  // deliberate (curl reports "unexpected eof" otherwise when it reads to the end).
  if (c.established() && !c.broken && !(SSL_get_shutdown(c.ssl.get()) & SSL_SENT_SHUTDOWN)) {
    ERR_clear_error();
    SSL_shutdown(c.ssl.get());
    ERR_clear_error();
  }
  inner_->close();
}

void TlsStream::reset() noexcept {
  if (inner_) inner_->reset();
}

bool TlsStream::is_open() const noexcept {
  return inner_ && inner_->is_open();
}

std::string TlsStream::describe() const {
  if (!inner_) return "closed TLS stream";
  // A failed read or write is reported as "read from PEER (REASON): TLS failed".
  const std::string& failure = connection_->failure;
  return failure.empty() ? inner_->describe() : fmt::format("{} ({})", inner_->describe(), failure);
}

std::string_view TlsStream::version() const noexcept {
  return or_empty(SSL_get_version(connection_->ssl.get()));
}

std::string_view TlsStream::cipher() const noexcept {
  return or_empty(SSL_get_cipher_name(connection_->ssl.get()));
}

std::string_view TlsStream::alpn() const noexcept {
  const unsigned char* data = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(connection_->ssl.get(), &data, &size);
  return {reinterpret_cast<const char*>(data), size};
}

std::string_view TlsStream::server_name() const noexcept {
  if (!connection_->server_name.empty()) return connection_->server_name;
  return or_empty(SSL_get_servername(connection_->ssl.get(), TLSEXT_NAMETYPE_host_name));
}

bool TlsStream::peer_sent_plaintext() const noexcept {
  // A TLS connection opens with a handshake record (0x16); text opens with a printable byte.
  const int first = connection_->first_byte;
  return !connection_->established() && first >= 0x20 && first < 0x7f;
}

bool TlsStream::session_reused() const noexcept {
  return SSL_session_reused(connection_->ssl.get()) == 1;
}

std::optional<CertificateInfo> TlsStream::peer_certificate() const {
  const detail::X509Ptr cert(SSL_get1_peer_certificate(connection_->ssl.get()));
  if (!cert) return std::nullopt;
  return certificate_info(cert.get());
}

std::string TlsStream::verification() const {
  const long result = SSL_get_verify_result(connection_->ssl.get());
  if (result == X509_V_OK) return "ok";
  return X509_verify_cert_error_string(result);
}

// ---- Handshake ----------------------------------------------------------------------------------

Handshake::Handshake(TlsStream& stream, Duration timeout) noexcept
    : TimedOperation(stream.io_source(), timeout), stream_(stream) {}

bool Handshake::step() noexcept {
  return record(stream_.try_handshake());
}

void Handshake::await_resume() const {
  const std::string& failure = stream_.connection_->failure;
  if (error_ && error_.category() == wirekit::category() && !failure.empty()) {
    throw Error(error_, describe() + ": " + failure);
  }
  rethrow_failure();
}

std::string Handshake::describe() const {
  const std::string_view name = stream_.connection_->server_name;
  const std::string peer = stream_.connection_->inner->describe();
  if (name.empty() || peer.starts_with(name)) return "TLS handshake with " + peer;
  return fmt::format("TLS handshake with {} ({})", name, peer);
}

}  // namespace wirekit::tls
