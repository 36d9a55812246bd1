// Internal: what ClientContext and ServerContext share with their connections.
#pragma once

#include <array>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <wirekit/tls/context.hpp>

#include "openssl.hpp"

namespace wirekit::tls {

// Client sessions by "host:port", least recently stored dropped first.
class SessionCache {
 public:
  explicit SessionCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  // Removes and returns the session for `key`, if any.
  detail::SessionPtr take(const std::string& key);
  // Takes ownership of `session`.
  void store(const std::string& key, SSL_SESSION* session);

 private:
  using Entry = std::pair<std::string, detail::SessionPtr>;
  std::size_t capacity_;
  std::mutex mutex_;
  std::list<Entry> order_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

struct ClientContext::State {
  ClientOptions options;
  detail::SslCtxPtr ctx;
  std::unique_ptr<SessionCache> sessions;  // null when resumption is off
};

// One reading of the server's certificate files: a context per certificate, the first the
// default. Connections hold the reading they started with, so a reload never pulls a context
// from under a handshake.
struct LoadedCertificates {
  std::vector<detail::SslCtxPtr> contexts;
  std::vector<std::vector<std::string>> names;  // DNS names per certificate
  std::string alpn;                             // accepted protocols, wire form
};

struct ServerContext::State {
  ServerOptions options;
  std::array<unsigned char, 80> ticket_keys{};  // name, HMAC key, AES key
  mutable std::mutex mutex;
  std::shared_ptr<const LoadedCertificates> certificates;

  std::shared_ptr<const LoadedCertificates> load() const;
  std::shared_ptr<const LoadedCertificates> current() const;
};

}  // namespace wirekit::tls
