// Services: what `wirekit serve` runs. A service has a name, reads its own section of
// wirekit.toml, binds its listeners, serves until the runtime stops and reports where it
// listens. A Registry knows the kinds of service by section name; the runner binds every
// service first (a port in use stops the start-up whole), announces them, then serves them all
// until Ctrl-C and shuts them down gracefully.
//
//   std::vector<std::unique_ptr<services::Service>> all;
//   all.push_back(std::make_unique<services::EchoService>(services::EchoOptions{}));
//   services::run(std::move(all), {.threads = 1});  // "echo: listening on 127.0.0.1:1234, ..."
//
// The single-service commands (`wirekit echo`, `tcp serve`, `http serve`...) are this with one
// service and an announcement of their own. A program adds a kind of its own to a Registry and
// `wirekit.toml` sections of that name configure it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/core.hpp>
#include <wirekit/net/address.hpp>
#include <wirekit/net/server.hpp>

namespace wirekit::services {

class Service;

// Where a service writes its human-readable lines (the tutorial's print()). The default
// writes to stdout and flushes, line by line.
using LineSink = std::function<void(const std::string&)>;
LineSink stdout_lines();

// One address a service listens on.
struct Listening {
  std::string transport;  // "tcp" or "udp"
  net::SocketAddress address;
};

// What the runner tells every service; the same for all of them.
struct ServiceContext {
  Runtime& runtime;
  net::ServeOptions serve;  // connection cap and shutdown grace of every TCP service
  LineSink lines;
  // The running services, for a service that shows them (the page at / of `wirekit serve`).
  // Complete once every service is bound; read-only while they serve.
  std::span<const std::unique_ptr<Service>> all;
};

class Service {
 public:
  virtual ~Service() = default;
  // For announcements and the services page: "echo", "http", "https".
  virtual std::string name() const = 0;
  // Binds the listeners; throws Error (e.g. "listen on 127.0.0.1:80: Address already in use").
  virtual Task<void> bind(const ServiceContext& context) = 0;
  // Serves until the awaiting task is cancelled (the runtime's stop), then shuts down
  // gracefully within context.serve.shutdown_grace.
  virtual Task<void> serve(const ServiceContext& context) = 0;
  // Where it listens, once bound.
  virtual std::vector<Listening> listening() const = 0;
  // SIGHUP: re-read what can change without a restart (TLS certificates). Throws on failure;
  // the service then keeps what it had. A program none of whose services reloads ends on
  // SIGHUP, as an ordinary foreground program does.
  virtual bool reloads() const noexcept { return false; }
  virtual void reload() {}
};

using Services = std::vector<std::unique_ptr<Service>>;

// "127.0.0.1:1234, [::1]:1234"
std::string describe(std::span<const Listening> listening);

struct RunOptions {
  std::size_t threads = 0;  // event loops; 0: one per core
  net::ServeOptions serve;
  LineSink lines = stdout_lines();
  // Called once every service is bound, before any serves; the default prints
  // "NAME: listening on ADDRESSES" for each.
  std::function<void(const Services&, const LineSink&)> announce;
  bool handle_signals = true;  // SIGINT/SIGTERM stop gracefully, SIGHUP reloads
};

// Binds, announces and serves `services` on `runtime` until its stop token is requested.
// Throws Error(errc::invalid_argument) when `services` is empty.
Task<void> run_services(Runtime& runtime, const Services& services, const RunOptions& options);
// The same on a Runtime of its own: what every server command of the CLI calls.
void run(const Services& services, const RunOptions& options);

class ConfigSection;

// A kind of service: the wirekit.toml section it is configured by, and how.
struct ServiceKind {
  std::string section;  // "echo" configures [echo] or each [[echo]]
  std::string summary;  // one line for `wirekit serve --help`
  // Makes the service a section describes; reads its keys through `section` (which refuses
  // keys nobody read). An empty section gives the defaults.
  std::function<std::unique_ptr<Service>(ConfigSection& section)> from_config;
};

class Registry {
 public:
  Registry& add(ServiceKind kind);
  const ServiceKind* find(std::string_view section) const noexcept;
  std::span<const ServiceKind> kinds() const noexcept { return kinds_; }
  // echo, welcome, http, udp: the services of the tutorial.
  static const Registry& standard();

 private:
  std::vector<ServiceKind> kinds_;
};

}  // namespace wirekit::services
