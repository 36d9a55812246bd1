// The server side of TLS for every protocol: accepting a connection on a TLS port, and
// upgrading a plaintext connection in use (STARTTLS).
//
//   tls::AcceptOptions options;
//   options.on_plaintext = [](net::Stream& plain) -> Task<void> {
//     co_await plain.write("HTTP/1.1 400 Bad Request\r\n...");  // in the protocol's own words
//   };
//   auto secure = co_await tls::accept(std::move(tcp), context, std::move(options));
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>

#include <wirekit/core.hpp>
#include <wirekit/net/buffered_stream.hpp>
#include <wirekit/tls/stream.hpp>

namespace wirekit::tls {

struct AcceptOptions {
  std::optional<Duration> handshake_timeout;  // default: the context's handshake_timeout
  std::stop_token until;  // also gives up when requested (a server's drain), as if cancelled
  // The client spoke plaintext where a ClientHello belongs: answer it over the plain stream,
  // in the protocol's own words, before the connection closes. Its failures are ignored (the
  // client may be gone already).
  std::function<Task<void>(net::Stream& plain)> on_plaintext;
};

// Runs the server's handshake on `inner`, a new connection. Throws Error as the handshake does
// (certificate_rejected, tls_failed, unexpected_eof, timed_out, cancelled), after on_plaintext
// has answered a plaintext client.
Task<std::unique_ptr<TlsStream>> accept(std::unique_ptr<net::Stream> inner,
                                        const ServerContext& context, AcceptOptions options);

// A connection upgraded in the middle of a plaintext protocol.
struct Upgraded {
  std::unique_ptr<TlsStream> stream;  // over plain.inner(): `plain` must outlive it
  // Plaintext the peer had sent after its STARTTLS command, dropped unread: commands injected
  // there must not be taken as if they came over TLS (CVE-2011-0411). Not zero is suspicious.
  std::size_t dropped = 0;
};

// STARTTLS, the server's side: after the plaintext "go ahead" (SMTP's 220) was sent, drops what
// `plain` holds unread and runs the handshake over its inner stream.
Task<Upgraded> starttls(net::BufferedStream& plain, const ServerContext& context,
                        AcceptOptions options);
// The client's side: after the server's "go ahead" was read; what else `plain` holds is dropped
// the same way (a server's reply injected ahead of the handshake).
Task<Upgraded> starttls(net::BufferedStream& plain, const ClientContext& context,
                        std::string_view server_name, Duration timeout);

}  // namespace wirekit::tls
