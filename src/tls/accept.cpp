#include <wirekit/core/log.hpp>
#include <wirekit/tls/accept.hpp>

namespace wirekit::tls {

Task<std::unique_ptr<TlsStream>> accept(std::unique_ptr<net::Stream> inner,
                                        const ServerContext& context, AcceptOptions options) {
  auto secure = std::make_unique<TlsStream>(std::move(inner), context);
  const Duration timeout = options.handshake_timeout.value_or(context.options().handshake_timeout);
  std::exception_ptr failure;
  try {
    co_await secure->handshake().timeout(timeout).until(options.until);
  } catch (const Error&) {
    failure = std::current_exception();
  }
  if (!failure) co_return secure;
  if (options.on_plaintext && secure->peer_sent_plaintext()) {
    try {
      co_await options.on_plaintext(secure->inner());
    } catch (const Error& e) {
      log().debug("answering a plaintext client of {}: {}", secure->describe(), e.what());
    }
  }
  std::rethrow_exception(failure);
}

namespace {

// What the peer sent before the handshake began goes, unread.
std::size_t drop_buffered(net::BufferedStream& plain) noexcept {
  const std::size_t dropped = plain.buffered().size();
  plain.consume(dropped);
  plain.release();
  if (dropped > 0) {
    log().debug("STARTTLS with {}: dropped {} plaintext bytes sent ahead of the handshake",
                plain.describe(), dropped);
  }
  return dropped;
}

}  // namespace

Task<Upgraded> starttls(net::BufferedStream& plain, const ServerContext& context,
                        AcceptOptions options) {
  Upgraded upgraded{.dropped = drop_buffered(plain)};
  auto inner = std::make_unique<net::StreamRef>(plain.inner());  // not in the co_await: g++ 12
  upgraded.stream = co_await accept(std::move(inner), context, std::move(options));
  co_return upgraded;
}

Task<Upgraded> starttls(net::BufferedStream& plain, const ClientContext& context,
                        std::string_view server_name, Duration timeout) {
  Upgraded upgraded{.dropped = drop_buffered(plain)};
  upgraded.stream = std::make_unique<TlsStream>(std::make_unique<net::StreamRef>(plain.inner()),
                                                context, server_name);
  co_await upgraded.stream->handshake().timeout(timeout);
  co_return upgraded;
}

}  // namespace wirekit::tls
