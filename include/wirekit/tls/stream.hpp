// TlsStream: TLS over any other stream, with the same Stream interface, so HTTP, WebSocket,
// SMTP and Redis run over it unchanged.
//
//   auto tcp = std::make_unique<net::TcpStream>(co_await net::TcpStream::connect(host, 443));
//   tls::TlsStream tls(std::move(tcp), client_context, host);
//   co_await tls.handshake().timeout(10s);     // throws: certificate, version, timeout...
//   co_await tls.write("GET / HTTP/1.1\r\n...");
//
// OpenSSL reads and writes through a BIO of our own that calls the inner stream's non-blocking
// attempts directly: no memory BIO and no extra copy, and a would-block of the inner stream
// becomes OpenSSL's "want read/write", which the event loop waits for. Upgrading a plain
// connection (SMTP STARTTLS) is the same construction over the stream already in use: hand it
// over after the plaintext exchange, with nothing of the peer's left unread in your buffers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <wirekit/net/stream.hpp>
#include <wirekit/tls/context.hpp>

namespace wirekit::tls {

class TlsStream;

// co_await → the handshake is complete, or throws Error: certificate_rejected (with OpenSSL's
// verification reason), tls_failed (version, cipher or ALPN mismatch, an alert from the
// peer), unexpected_eof (the peer closed during the handshake), timed_out.
class Handshake final : public net::detail::TimedOperation<Handshake> {
 public:
  Handshake(TlsStream& stream, Duration timeout) noexcept;
  void await_resume() const;

 private:
  bool step() noexcept override;
  std::string describe() const override;
  TlsStream& stream_;
};

class TlsStream final : public net::Stream {
 public:
  // Client side: `server_name` is sent as SNI (unless it is an IP address) and checked against
  // the certificate when the context verifies.
  TlsStream(std::unique_ptr<net::Stream> inner, const ClientContext& context,
            std::string_view server_name);
  // Server side: the certificate is chosen by the client's SNI.
  TlsStream(std::unique_ptr<net::Stream> inner, const ServerContext& context);
  ~TlsStream() override;
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // The handshake, bounded by the server context's handshake_timeout (a client: the inner
  // stream's read timeout) unless `.timeout(d)` says otherwise. Reads and writes also complete
  // a handshake not yet done, under their own deadlines.
  [[nodiscard]] Handshake handshake() noexcept { return Handshake(*this, handshake_timeout_); }

  // After the handshake:
  std::string_view version() const noexcept;      // "TLSv1.3"
  std::string_view cipher() const noexcept;       // "TLS_AES_128_GCM_SHA256"
  std::string_view alpn() const noexcept;         // the protocol agreed on, or empty
  std::string_view server_name() const noexcept;  // SNI (what a client asked for)
  bool session_reused() const noexcept;
  // After a failed server handshake: the client spoke plaintext (an HTTP request line, an SMTP
  // command: text where a ClientHello belongs), so it may be told so, in its protocol, over
  // inner(). See tls::accept.
  bool peer_sent_plaintext() const noexcept;
  std::optional<CertificateInfo> peer_certificate() const;
  // "ok", or OpenSSL's reason the peer's certificate does not verify (computed even when
  // verification is off, for `wirekit tls probe --insecure`).
  std::string verification() const;

  net::Stream& inner() noexcept { return *inner_; }

  void close() noexcept override;
  void reset() noexcept override;  // no close_notify: the inner stream is reset
  bool is_open() const noexcept override;
  std::string describe() const override;
  net::Attempt try_read(std::span<std::byte> buffer) noexcept override;
  net::Attempt try_write(std::span<const std::byte> data) noexcept override;
  net::Attempt try_writev(std::span<const iovec> chunks) noexcept override;
  // Sends close_notify, then shuts the inner stream's write side.
  net::Attempt try_shutdown_write() noexcept override;
  IoSource& io_source() noexcept override { return inner_->io_source(); }
  bool has_buffered_input() const noexcept override;

  struct Connection;  // OpenSSL's objects and the BIO's state

 private:
  friend class Handshake;
  net::Attempt try_handshake() noexcept;
  // Turns SSL_get_error's verdict on a call that returned `result` into an Attempt; the end
  // of the stream is a result for a read, a failure (closed) for anything else.
  net::Attempt outcome(int result, bool reading) noexcept;

  std::unique_ptr<net::Stream> inner_;
  std::unique_ptr<Connection> connection_;
  Duration handshake_timeout_{};
};

}  // namespace wirekit::tls
